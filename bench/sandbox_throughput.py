"""How many requests per second the platform sandbox serves on this machine.

Starts `uvicorn azmth_sandbox.app:create_app --factory` as a separate process (so the client loop
does not share its GIL), lifts every cap, creates one X account and drives N concurrent workers of a bare
httpx.AsyncClient at a cheap read (GET /x/2/users/me) and a publish-ish write (POST /x/2/tweets, unique
text). Prints requests/second for each, so later benchmarks know their ceiling.

    .venv/bin/python bench/sandbox_throughput.py [--requests 5000] [--concurrency 32]
"""

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _drive(client: httpx.AsyncClient, requests: int, concurrency: int, send) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    counter = iter(range(requests))
    failures = 0

    async def worker() -> None:
        nonlocal failures
        for n in counter:
            response = await send(client, n)
            if response.status_code >= 300:
                failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return requests / (time.perf_counter() - started), failures


async def _bench(base_url: str, requests: int, concurrency: int) -> None:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60, trust_env=False) as client:
        (await client.patch("/_admin/limits", json={"lift_all": True})).raise_for_status()
        account = (await client.post("/_admin/accounts", json={"platform": "x", "username": "bench"})).json()
        headers = {"Authorization": f"Bearer {account['access_token']}"}
        run = f"{time.time():.0f}"

        async def read(c: httpx.AsyncClient, n: int) -> httpx.Response:
            return await c.get("/x/2/users/me", headers=headers)

        async def publish(c: httpx.AsyncClient, n: int) -> httpx.Response:
            return await c.post("/x/2/tweets", headers=headers, json={"text": f"bench {run} #{n}"})

        await _drive(client, min(200, requests), concurrency, read)  # warm up connections
        for name, send in (("read  GET /x/2/users/me", read), ("write POST /x/2/tweets", publish)):
            rate, failures = await _drive(client, requests, concurrency, send)
            print(
                f"{name:28s} {requests} requests, concurrency {concurrency}: {rate:8.0f} req/s"
                f"{f' ({failures} failed)' if failures else ''}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "azmth_sandbox.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base_url}/_admin/health", timeout=1, trust_env=False)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        asyncio.run(_bench(base_url, args.requests, args.concurrency))
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()

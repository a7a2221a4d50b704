"""The sandbox in a process of its own (`azmth sandbox serve`), for benchmarks and end-to-end tests that
must not share a GIL with it; `running_sandbox` (testing.py) is the in-process form."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from azmth_sandbox.testing import SandboxHandle

# Generous: a loaded machine (CI beside other work) starts the CLI slowly; the wait ends as soon as it answers.
_START_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def sandbox_process(*args: str, port: int | None = None) -> Iterator[tuple[SandboxHandle, subprocess.Popen[bytes]]]:
    """Run `azmth sandbox serve` with extra CLI `args` on 127.0.0.1; yields its admin handle and the process."""
    port = port or free_port()
    command = [sys.executable, "-m", "azmth_pipelines.cli.main", "sandbox", "serve", "--port", str(port), *args]
    process = subprocess.Popen(command, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            try:
                httpx.get(f"{base_url}/_admin/health", timeout=1, trust_env=False).raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the sandbox on port {port} did not start") from None
                time.sleep(0.1)
        handle = SandboxHandle(base_url)
        try:
            yield handle, process
        finally:
            handle.close()
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

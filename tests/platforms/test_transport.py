"""The shared transport: keep-alive connections a server has closed are noticed, and calls beyond the pool wait."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from azmth_pipelines.platforms.http import CONNECTION_LIMITS, PlatformClient
from azmth_pipelines.platforms.transport import SocketKeepingBackend

pytestmark = pytest.mark.anyio

RESPONSE = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'


class Probe(PlatformClient):
    platform = "probe"

    async def ping(self) -> int:
        return (await self._send("GET", "/ping")).status


async def _serve(handler) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()


async def test_clients_use_the_socket_keeping_backend() -> None:
    async with Probe("http://platform.test") as client:
        # If an httpx upgrade stops honouring the swapped pool, this fails instead of the speed quietly going.
        pool = client._http._transport._pool  # type: ignore[attr-defined]
        assert isinstance(pool._network_backend, SocketKeepingBackend)


async def test_a_keep_alive_connection_the_server_closed_is_replaced() -> None:
    connections = 0

    async def answer_once_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(RESPONSE)  # says keep-alive (HTTP/1.1 default), then closes anyway, as servers may
        await writer.drain()
        writer.close()

    async for base_url in _serve(answer_once_then_close):
        async with Probe(base_url) as client:
            assert await client.ping() == 200
            await asyncio.sleep(0.05)  # the close reaches our idle socket
            assert await client.ping() == 200
    assert connections == 2


async def test_calls_beyond_the_pool_wait_instead_of_failing() -> None:
    in_flight = peak = 0

    async def slow_keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal in_flight, peak
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                in_flight += 1
                peak = max(peak, in_flight)
                await asyncio.sleep(0.02)
                in_flight -= 1
                writer.write(RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    calls = CONNECTION_LIMITS.max_connections * 4
    async for base_url in _serve(slow_keep_alive):
        async with Probe(base_url) as client:
            statuses = await asyncio.gather(*(client.ping() for _ in range(calls)))
    assert statuses == [200] * calls
    assert peak == CONNECTION_LIMITS.max_connections

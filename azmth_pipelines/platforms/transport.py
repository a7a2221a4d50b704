"""httpx's transport for many concurrent API calls on one client, without httpcore's per-request pool scans.

httpcore checks every pooled connection on every request start and finish ("has the server closed this idle
connection?"), and its anyio stream answers that by rebuilding the socket's attribute table, getpeername
included, each time. `pooled_transport` gives the pool a network backend whose streams keep their raw socket,
so the check is one select() call. Requests beyond the pool's size should wait in the caller (an asyncio
semaphore, see `http.PlatformClient`): httpcore re-scans its whole queue against every connection whenever a
connection frees up.

Measured against the sandbox at 100 ms latency, 4 clients x 64 requests in flight (bench/publish_tick.py
prints the same ceiling every run): client CPU per request 4.8 ms with httpx's defaults at 32 connections,
1.6-1.9 ms with this backend, 16 connections and callers waiting outside the pool.
"""

import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from httpcore._backends.anyio import AnyIOBackend
from httpcore._utils import is_socket_readable


class _SocketKeepingStream(httpcore.AsyncNetworkStream):
    """A connected stream that remembers its raw socket, so the pool's liveness check costs one syscall."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._socket = stream.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _SocketKeepingStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return self._socket is not None and is_socket_readable(self._socket)
        if info == "socket":
            return self._socket
        return self._stream.get_extra_info(info)


class SocketKeepingBackend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend, handing out `_SocketKeepingStream`s."""

    def __init__(self) -> None:
        self._backend = AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _SocketKeepingStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _SocketKeepingStream(await self._backend.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def pooled_transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's own transport (request mapping, exception mapping, TLS defaults) over a pool with our backend."""
    transport = httpx.AsyncHTTPTransport(limits=limits)
    # httpx has no parameter for the network backend; its pool is replaced by an equal one that has ours.
    # tests/platforms/test_transport.py fails if an httpx upgrade moves this attribute.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=SocketKeepingBackend(),
    )
    return transport

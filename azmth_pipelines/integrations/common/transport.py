"""httpx's transport for many concurrent API calls on one client, on asyncio's own transports.

httpcore runs its sockets through anyio under asyncio: every read and write opens a cancel scope with a loop
timer, maps exceptions through a context manager and checkpoints, and the pool asks every idle connection "has
the server closed you?" with a poll() syscall on every request start and finish. `pooled_transport` gives the
pool a network backend built on asyncio's transports and protocols instead (`AsyncioBackend`): a read returns
buffered bytes at once or waits on one future, a write waits only when the socket pushes back, and an idle
connection knows from its protocol's callbacks whether the server closed it, without a syscall. TLS is asyncio's
own (`loop.start_tls`). httpcore once shipped such a backend and dropped it for anyio; the upstream proposal to
bring it back (encode/httpcore#930) was closed unmerged, so it lives here, behind httpcore's public
`AsyncNetworkBackend` interface. Our clients only run under asyncio.

Requests beyond the pool's size should wait in the caller (an asyncio semaphore, see `http.PlatformClient`):
httpcore re-scans its whole queue against every connection whenever a connection frees up.

Measured against the sandbox at 100 ms latency, 4 clients x 64 requests in flight (bench/publish_tick.py
prints the same ceiling every run): client CPU per request 4.8 ms with httpx's defaults at 32 connections,
1.6-1.9 ms with anyio streams that keep their raw socket, 16 connections and callers waiting outside the pool
(2026-11-28). On the 2026-11-29 machine, the same loop: 2.3-2.6 ms with those anyio streams, 1.7-1.8 ms with
this backend (426 -> 534 requests/s in one run).

Kept against the libraries made for the job (issue 20, 2026-12-05, one 2-core machine, runs interleaved):
- stock httpx (its own anyio backend): client CPU per call 1.54-1.80 ms against 1.24-1.58 ms here; the publish
  tick of 2,000 posts at 100 ms 223 and 241 calls/s against 266 and 264 here (-12 %), the metrics sync of 4,000
  posts 374 and 428 calls/s against 503 and 572 (-25 %): more than the 10 % a library may cost.
- httpx-aiohttp 0.2.0: less client CPU (0.85-1.07 ms), but it reports a connection lost after a request was sent
  (aiohttp's ServerDisconnectedError) as httpx.ConnectTimeout, i.e. "never sent": a publish whose answer was lost
  would be sent again, a double post. It also ignores proxies from the environment and has no write timeout.
What this costs: about 260 lines to keep in step with httpcore's `AsyncNetworkBackend` interface, guarded by
tests/platforms/test_transport.py. TLS is Python's ssl module, through `loop.start_tls`, with httpx's context
(certifi, or SSL_CERT_FILE / SSL_CERT_DIR). A proxy named by the environment is left to httpx's own transport
(`http.proxy_from_environment`): this backend only connects directly.
"""

import asyncio
import collections
import socket
import ssl
from collections.abc import Iterable
from typing import Any, cast

import httpcore
import httpx

# Bytes a connection buffers before it stops reading from the socket, and where it starts again. Reading goes
# on while a connection is idle, which is how a server's close of a kept-alive connection is seen at once.
_READ_HIGH_WATER = 256 * 1024
_READ_LOW_WATER = 64 * 1024


class _StreamProtocol(asyncio.Protocol):
    """Buffers what the socket receives and wakes the one reader waiting on it (HTTP/1.1: one call at a time)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.eof = False
        self.lost: Exception | None = None
        self.closed = False
        self._reading_paused = False
        self._read_waiter: asyncio.Future[None] | None = None
        self._write_waiter: asyncio.Future[None] | None = None
        self._writing_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports (the sandbox runs on uvicorn's loop) do not subclass asyncio.Transport.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > _READ_HIGH_WATER and not self._reading_paused and self.transport is not None:
            self.transport.pause_reading()
            self._reading_paused = True
        _wake(self._read_waiter)

    def eof_received(self) -> None:
        self.eof = True
        _wake(self._read_waiter)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.lost = exc
        _wake(self._read_waiter)
        _wake(self._write_waiter)

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        _wake(self._write_waiter)

    @property
    def readable(self) -> bool:
        """What select() would say of the socket: bytes or an end are waiting to be read."""
        return bool(self.chunks) or self.eof or self.closed

    def take(self, max_bytes: int) -> bytes:
        chunk = self.chunks.popleft()
        if len(chunk) > max_bytes:
            self.chunks.appendleft(chunk[max_bytes:])
            chunk = chunk[:max_bytes]
        self.buffered -= len(chunk)
        if self._reading_paused and self.buffered <= _READ_LOW_WATER and self.transport is not None:
            self._reading_paused = False
            self.transport.resume_reading()
        return chunk

    def read_waiter(self) -> asyncio.Future[None]:
        self._read_waiter = asyncio.get_running_loop().create_future()
        return self._read_waiter

    def write_waiter(self) -> asyncio.Future[None] | None:
        """A future to wait on while the transport's write buffer is over its high-water mark, else None."""
        if not self._writing_paused or self.closed:
            return None
        self._write_waiter = asyncio.get_running_loop().create_future()
        return self._write_waiter


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


async def _wait(waiter: asyncio.Future[None], timeout: float | None) -> None:
    """Wait for the protocol to wake `waiter`; TimeoutError after `timeout` seconds (one loop timer, no task)."""
    if timeout is None:
        await waiter
        return
    timer = asyncio.get_running_loop().call_later(timeout, _expire, waiter)
    try:
        await waiter
    finally:
        timer.cancel()


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, protocol: _StreamProtocol) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.readable:
            try:
                await _wait(protocol.read_waiter(), timeout)
            except TimeoutError:
                raise httpcore.ReadTimeout(f"no data within {timeout} s") from None
        if protocol.chunks:
            return protocol.take(max_bytes)
        if protocol.lost is not None:
            raise httpcore.ReadError(str(protocol.lost) or type(protocol.lost).__name__) from protocol.lost
        return b""  # the server closed the connection (httpcore tells a missing response from a finished one)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._protocol.closed or self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(buffer)
        waiter = self._protocol.write_waiter()
        if waiter is None:
            return
        try:
            await _wait(waiter, timeout)
        except TimeoutError:
            raise httpcore.WriteTimeout(f"could not send within {timeout} s") from None
        if self._protocol.closed:
            raise httpcore.WriteError("the connection closed while sending")

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport, self._protocol, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError:
            self._transport.close()
            raise httpcore.ConnectTimeout(f"TLS handshake took over {timeout} s") from None
        except (OSError, ssl.SSLError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc)) from exc
        if transport is None:
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        self._protocol.transport = transport  # asyncio does not call connection_made again
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return self._protocol.readable
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on asyncio's transports; see the module's docstring."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        connecting = loop.create_connection(_StreamProtocol, host, port, local_addr=local)
        return await self._connect(connecting, timeout, socket_options)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        return await self._connect(loop.create_unix_connection(_StreamProtocol, path), timeout, socket_options)

    async def _connect(
        self, connecting: Any, timeout: float | None, socket_options: Iterable[Any] | None = None
    ) -> AsyncioStream:
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await connecting
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection within {timeout} s") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        sock: socket.socket | None = transport.get_extra_info("socket")
        for option in socket_options or ():
            if sock is not None:
                sock.setsockopt(*option)
        return AsyncioStream(transport, protocol)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def pooled_transport(limits: httpx.Limits, ssl_context: ssl.SSLContext | None = None) -> httpx.AsyncHTTPTransport:
    """httpx's own transport (request mapping, exception mapping, TLS defaults) over a pool with our backend."""
    transport = httpx.AsyncHTTPTransport(limits=limits)
    # httpx has no parameter for the network backend; its pool is replaced by an equal one that has ours.
    # tests/platforms/test_transport.py fails if an httpx upgrade moves this attribute.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context or httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=AsyncioBackend(),
    )
    return transport

"""Fetching media from the URLs clients hand over, and probing it, the way the platforms do on their side.

One shared httpx.AsyncClient (a client per fetch cost ~50 ms when measured) on the platform clients' pooled
transport, fetches beyond the pool waiting outside it: with httpx's default pool, checking its connections was a
tenth of the sandbox's CPU in bench/publish_tick.py. Probe results are cached by content digest: benchmarks send
the same file thousands of times and ffmpeg costs ~40 ms a probe.
"""

import asyncio
import hashlib
from collections import OrderedDict
from urllib.parse import urlsplit

import httpx

from azmth_pipelines.integrations.common.http import CONNECTION_LIMITS
from azmth_pipelines.integrations.common.transport import pooled_transport
from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.media.probe import MediaProbe, probe_bytes

_PROBE_CACHE_SIZE = 256


class FetchFailed(Exception):
    """The URL could not be downloaded (network error, non-2xx, redirect where none is allowed, too big)."""


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


class MediaFetcher:
    def __init__(self, timeout_s: float, max_bytes: int) -> None:
        self._client: httpx.AsyncClient | None = None
        self._timeout_s = timeout_s
        self._max_bytes = max_bytes
        self._probes: OrderedDict[str, MediaProbe | MediaError] = OrderedDict()
        self._in_flight = asyncio.Semaphore(CONNECTION_LIMITS.max_connections or 1)

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            timeout=self._timeout_s,
            trust_env=False,
            transport=pooled_transport(CONNECTION_LIMITS),
            limits=CONNECTION_LIMITS,
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(self, url: str, *, follow_redirects: bool = True) -> bytes:
        if self._client is None:
            await self.start()
        assert self._client is not None
        if urlsplit(url).scheme not in ("http", "https"):
            raise FetchFailed(f"unsupported URL scheme in {url!r}")
        try:
            async with self._in_flight, self._client.stream("GET", url, follow_redirects=follow_redirects) as response:
                if response.is_redirect:
                    raise FetchFailed(f"{url} redirects to {response.headers.get('location')}")
                if response.status_code != 200:
                    raise FetchFailed(f"{url} answered HTTP {response.status_code}")
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self._max_bytes:
                        raise FetchFailed(f"{url} is larger than {self._max_bytes} bytes")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.HTTPError as exc:
            raise FetchFailed(f"{url}: {exc!r}") from exc

    async def probe(self, data: bytes) -> MediaProbe:
        """probe_bytes in a worker thread (ffmpeg is a subprocess); raises MediaError."""
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        cached = self._probes.get(digest)
        if cached is None:
            try:
                cached = await asyncio.to_thread(probe_bytes, data)
            except MediaError as exc:
                cached = exc
            self._probes[digest] = cached
            if len(self._probes) > _PROBE_CACHE_SIZE:
                self._probes.popitem(last=False)
        if isinstance(cached, MediaError):
            raise cached
        return cached

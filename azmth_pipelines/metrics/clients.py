"""The four platform clients a pull uses, opened together inside the pull's event loop."""

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from azmth_pipelines.integrations.instagram.client import InstagramClient
from azmth_pipelines.integrations.threads.client import ThreadsClient
from azmth_pipelines.integrations.tiktok.client import TikTokClient
from azmth_pipelines.integrations.x.client import XClient


@dataclass(frozen=True)
class MetricsClients:
    tiktok: TikTokClient
    instagram: InstagramClient
    threads: ThreadsClient
    x: XClient


@dataclass(frozen=True)
class ClientFactories:
    """How to build each client (a Dagster resource's `.client`, or the default: hosts from the env)."""

    tiktok: Callable[[], TikTokClient] = TikTokClient
    instagram: Callable[[], InstagramClient] = InstagramClient
    threads: Callable[[], ThreadsClient] = ThreadsClient
    x: Callable[[], XClient] = XClient


@contextlib.asynccontextmanager
async def open_clients(factories: ClientFactories | None = None) -> AsyncIterator[MetricsClients]:
    # An httpx.AsyncClient belongs to the loop that first used it: build them inside the running loop.
    factories = factories or ClientFactories()
    async with (
        factories.tiktok() as tiktok,
        factories.instagram() as instagram,
        factories.threads() as threads,
        factories.x() as x,
    ):
        yield MetricsClients(tiktok=tiktok, instagram=instagram, threads=threads, x=x)

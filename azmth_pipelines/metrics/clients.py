"""The platform clients a pull uses, one per platform, opened together inside the pull's event loop."""

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping

from azmth_pipelines.integrations.common.http import PlatformClient
from azmth_pipelines.integrations.registry import integration
from azmth_pipelines.vocabulary import Platform

# The opened clients, by platform.
MetricsClients = Mapping[Platform, PlatformClient]
# How to build a platform's client: a Dagster resource's `client`, or the default below.
ClientFactory = Callable[[Platform], PlatformClient]


def client_from_env(platform: Platform) -> PlatformClient:
    """The platform's client at its host from the environment (integrations/common/hosts.py)."""
    return integration(platform).client(None)


@contextlib.asynccontextmanager
async def open_clients(factory: ClientFactory | None = None) -> AsyncIterator[MetricsClients]:
    # An httpx.AsyncClient belongs to the loop that first used it: build them inside the running loop.
    build = factory or client_from_env
    async with contextlib.AsyncExitStack() as stack:
        yield {platform: await stack.enter_async_context(build(platform)) for platform in Platform}

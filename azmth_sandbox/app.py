"""The sandbox application: one Starlette app serving all four platforms under host-standing prefixes."""

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from azmth_sandbox.admin import AdminApi
from azmth_sandbox.config import SandboxConfig
from azmth_sandbox.faults import parse_fault_spec
from azmth_sandbox.instagram import InstagramApi
from azmth_sandbox.state import SandboxState
from azmth_sandbox.threads import ThreadsApi
from azmth_sandbox.tiktok import TikTokApi
from azmth_sandbox.x import XApi


def create_app(config: SandboxConfig | None = None) -> Starlette:
    config = config or SandboxConfig()
    state = SandboxState(config)
    for spec in config.faults:
        state.faults.add(parse_fault_spec(spec))

    routes: list[BaseRoute] = [Mount("/_admin", routes=AdminApi(state).routes())]
    for api in (TikTokApi(state), InstagramApi(state), ThreadsApi(state), XApi(state)):
        for prefix, platform_routes in api.routes().items():
            routes.append(Mount(prefix, routes=platform_routes))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.fetcher.start()
        try:
            yield
        finally:
            await state.fetcher.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sandbox = state
    return app

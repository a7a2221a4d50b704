"""One wrapper every platform route goes through: injected faults first, then the handler, whose
`PlatformError` becomes its response. Platform modules only describe routes with `endpoint(...)`."""

import asyncio
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from azmth_pipelines.sandbox.errors import (
    JSONBody,
    PlatformError,
    meta_body,
    tiktok_error,
    x_problem,
    x_rate_limited,
)
from azmth_pipelines.sandbox.faults import FaultPlan
from azmth_pipelines.sandbox.state import SandboxState

Handler = Callable[[Request], Awaitable[Response]]

_STATUS_TITLES = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def fault_response(platform: str, plan: FaultPlan, state: SandboxState) -> Response:
    if plan.action == "malformed":
        # A body cut off mid-object, as a proxy dropping the connection would leave it.
        return Response('{"data": {"id": "17', 200, media_type="application/json")
    if plan.action == "rate_limit":
        return rate_limited(platform, state)
    status = 500
    if plan.action == "status_5xx":
        status = int(plan.value or 503)
    elif plan.action == "timeout":
        status = 504
    if platform == "tiktok":
        return tiktok_error(status, "internal_error", "Something went wrong. Please try again later.").response
    if platform == "x":
        title = _STATUS_TITLES.get(status, "Server Error")
        return x_problem(status, title, title).response
    body = meta_body(2, "An unexpected error has occurred. Please retry your request later.", is_transient=True)
    return JSONBody(body, status)


def rate_limited(platform: str, state: SandboxState) -> Response:
    if platform == "tiktok":
        return tiktok_error(
            429, "rate_limit_exceeded", "The API rate limit was exceeded. Please try again later."
        ).response
    if platform == "x":
        reset = int(state.now()) + 900
        headers = {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset),
        }
        return x_rate_limited(state.limits.x_rate_limit_body, headers).response
    # Graph API throttling: code 4 with the usage header pinned at 100 % (graph-api/overview/rate-limiting).
    body = meta_body(4, "(#4) Application request limit reached", is_transient=True)
    usage = '{"call_count":100,"total_time":100,"total_cputime":100}'
    return JSONBody(body, 400, {"X-App-Usage": usage})


def endpoint(state: SandboxState, platform: str, group: str, path: str, handler: Handler, methods: list[str]) -> Route:
    async def run(request: Request) -> Response:
        state.request_counts[platform] += 1
        plan = state.faults.plan(platform, group, request.url.path)
        if plan.delay_s:
            await asyncio.sleep(plan.delay_s)
        if plan.action == "timeout":
            await asyncio.sleep(float(plan.value or 30))
        if plan.action:
            return fault_response(platform, plan, state)
        try:
            return await handler(request)
        except PlatformError as exc:
            return exc.response

    return Route(path, run, methods=methods, name=f"{platform}:{handler.__name__}")

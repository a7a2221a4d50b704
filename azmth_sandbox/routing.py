"""One wrapper every platform route goes through: injected faults first, then the handler, whose
`PlatformError` becomes its response. Platform modules only describe routes with `endpoint(...)`."""

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from azmth_sandbox.common import bearer, form_or_query
from azmth_sandbox.errors import (
    JSONBody,
    PlatformError,
    meta_body,
    tiktok_error,
    x_problem,
    x_rate_limited,
)
from azmth_sandbox.faults import FaultPlan
from azmth_sandbox.state import SandboxState

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
    status = 500
    if plan.action == "status_5xx":
        status = int(plan.value or 503)
    elif plan.action in ("http_status", "lost_reply"):
        status = int(plan.value or 500)
    elif plan.action == "timeout":
        status = 504
    if status < 500:
        return _client_error(platform, status)
    if platform == "tiktok":
        return tiktok_error(status, "internal_error", "Something went wrong. Please try again later.").response
    if platform == "x":
        title = _STATUS_TITLES.get(status, "Server Error")
        return x_problem(status, title, title).response
    body = meta_body(2, "An unexpected error has occurred. Please retry your request later.", is_transient=True)
    return JSONBody(body, status)


def _client_error(platform: str, status: int) -> Response:
    """A 4xx in the platform's own error shape, as its gateway gives for a path it does not serve."""
    phrase = HTTPStatus(status).phrase
    if platform == "tiktok":
        code = {401: "access_token_invalid", 429: "rate_limit_exceeded"}.get(status, "invalid_params")
        return tiktok_error(status, code, phrase).response
    if platform == "x":
        # response-codes-and-errors: a missing resource is the resource-not-found problem type.
        problem = "resource-not-found" if status == 404 else "about:blank"
        title = "Not Found Error" if status == 404 else phrase
        return x_problem(status, title, phrase, problem=problem).response
    meta_code = 190 if status == 401 else 100
    return JSONBody(meta_body(meta_code, f"(#{meta_code}) {phrase}"), status)


# Graph API throttling codes (graph-api/overview/rate-limiting): 4 is the app's limit; Instagram Platform calls fall
# under Business Use Case limits, whose Instagram code is 80002. Threads documents no code of its own.
_META_THROTTLE = {
    "instagram": (
        80002,
        "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.",
    ),
    "threads": (4, "(#4) Application request limit reached"),
}


def rate_limited(platform: str, state: SandboxState, reset_in: str = "", account_id: str = "") -> Response:
    """The platform's throttling answer. `reset_in`: seconds until the limit resets, where the platform says so."""
    seconds = float(reset_in) if reset_in else None
    if platform == "tiktok":
        # tiktok-api-v2-rate-limit: HTTP 429 and rate_limit_exceeded over a 1-minute sliding window; no reset time.
        return tiktok_error(
            429, "rate_limit_exceeded", "The API rate limit was exceeded. Please try again later."
        ).response
    if platform == "x":
        # x-api/fundamentals/rate-limits: x-rate-limit-reset is the unix second the window resets (no Retry-After).
        reset = math.ceil(state.now() + (900 if seconds is None else seconds))
        headers = {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset),
        }
        return x_rate_limited(state.limits.x_rate_limit_body, headers).response
    usage = '{"call_count":100,"total_time":100,"total_cputime":100}'
    if seconds is None:
        # The app's limit: code 4 with X-App-Usage pinned at 100 %, which says nothing of when it clears.
        body = meta_body(4, "(#4) Application request limit reached", is_transient=True)
        return JSONBody(body, 400, {"X-App-Usage": usage})
    # A Business Use Case limit: X-Business-Use-Case-Usage, keyed by the account, says when calls are allowed
    # again in estimated_time_to_regain_access (minutes).
    code, message = _META_THROTTLE[platform]
    buc = {
        "type": platform,
        "call_count": 100,
        "total_cputime": 100,
        "total_time": 100,
        "estimated_time_to_regain_access": math.ceil(seconds / 60),
    }
    headers = {"X-Business-Use-Case-Usage": json.dumps({account_id: [buc]}, separators=(",", ":"))}
    if code == 4:
        headers["X-App-Usage"] = usage
    return JSONBody(meta_body(code, message, is_transient=True), 400, headers)


async def _token_account(request: Request, state: SandboxState) -> str:
    """The platform id of the account whose token made the request, or "" without a known token."""
    params = await form_or_query(request)
    token = state.token(params.get("access_token") or bearer(request) or bearer(request, "oauth"))
    account = state.accounts.get(token.account_id) if token else None
    return account.remote_id if account else ""


def endpoint(state: SandboxState, platform: str, group: str, path: str, handler: Handler, methods: list[str]) -> Route:
    async def run(request: Request) -> Response:
        state.request_counts[platform] += 1
        plan = state.faults.plan(platform, group, request.url.path)
        if plan.delay_s:
            await asyncio.sleep(plan.delay_s)
        if plan.action == "timeout":
            await asyncio.sleep(float(plan.value or 30))
        if plan.action == "rate_limit":
            account_id = await _token_account(request, state) if platform in _META_THROTTLE else ""
            return rate_limited(platform, state, plan.value, account_id)
        if plan.action and plan.action != "lost_reply":
            return fault_response(platform, plan, state)
        try:
            answer = await handler(request)
        except PlatformError as exc:
            answer = exc.response
        if plan.action == "lost_reply":
            # The platform carried the request out; only its answer is lost (a gateway's 5xx after the fact).
            return fault_response(platform, plan, state)
        return answer

    return Route(path, run, methods=methods, name=f"{platform}:{handler.__name__}")

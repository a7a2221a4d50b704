"""The transport every platform client shares: one httpx.AsyncClient, explicit timeouts, no bare exceptions.

A client subclasses `PlatformClient`, calls `_send` and then applies its own platform's error rules to the
`ApiResponse`. Transport failures and unreadable JSON never escape as httpx/json exceptions: they become
`TransientError` / `MalformedResponse` here, already redacted.
"""

import asyncio
import email.utils
import json
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self, TypeVar

import httpx

from azmth_pipelines.integrations.common import log_redaction
from azmth_pipelines.integrations.common.budget import Hold, RequestBudget, account_key
from azmth_pipelines.integrations.common.errors import MalformedResponse, TransientError
from azmth_pipelines.integrations.common.redaction import redact_text
from azmth_pipelines.integrations.common.transport import pooled_transport

# httpx logs every request URL at INFO, and Meta's documented calls carry tokens in the URL.
log_redaction.install()

# API calls answer within seconds; the read timeout covers a slow platform, not a stuck one.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# Uploading a 64 MB chunk on a slow uplink takes minutes; the write timeout is per socket write, not total.
UPLOAD_TIMEOUT = httpx.Timeout(connect=10.0, read=120.0, write=120.0, pool=30.0)

# The longest a call waits for a free connection. A publish call must go out well within its attempt's lease
# (publishing/ledger.py, 10 minutes) after the checkpoint before it: past the lease another run may take the attempt
# over, find nothing on the platform and publish it, and this call would then post it a second time.
SLOT_WAIT_S = 300.0

# Connections per client. httpcore scans every pooled connection on each request, so each connection costs CPU
# on every call. Measured against the sandbox at 100 ms, callers waiting outside the pool, 4 clients: 8, 12, 16
# and 24 connections used 1.6, 1.9, 2.3 and 2.9 ms of client CPU per call and served 290, 360, 350 and 290
# calls/s. 16 keeps headroom: a 100 ms platform still gets up to 160 calls/s per client.
# Idle connections are dropped after 4 s, under the 5 s idle timeout common to servers (uvicorn, Apache): at
# exactly 5 s the server closes one just as the client reuses it, and a POST lost that way is unconfirmed.
CONNECTION_LIMITS = httpx.Limits(max_connections=16, max_keepalive_connections=16, keepalive_expiry=4.0)

# Response headers worth keeping on an error (rate-limit state and request ids), not the whole set.
_KEPT_HEADER_PREFIXES = ("x-rate-limit", "x-app-limit", "x-user-limit", "retry-after", "x-fb-", "x-tt-")
_KEPT_HEADERS = frozenset(
    {"x-business-use-case-usage", "x-app-usage", "content-type", "content-range", "www-authenticate"}
)
_MAX_KEPT_TEXT = 2000

T = TypeVar("T")


@dataclass(frozen=True)
class ApiResponse:
    method: str
    raw_url: str  # may hold a token: only `url` is ever shown
    status: int
    headers: httpx.Headers
    body: Any  # parsed JSON; None when the body was empty
    text: str
    secrets: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        # Redacted when an error or a log line needs it, not on every call: most answers are never shown.
        return redact_text(self.raw_url, self.secrets)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def payload(self) -> dict[str, Any]:
        """What an error keeps of this exchange (redacted again by the error itself)."""
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() in _KEPT_HEADERS or name.lower().startswith(_KEPT_HEADER_PREFIXES)
        }
        body = self.body if self.body is not None else (self.text[:_MAX_KEPT_TEXT] or None)
        return {
            "request": f"{self.method} {self.url}",
            "status": self.status,
            "headers": headers,
            "body": body,
        }


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from a standard Retry-After header (delta-seconds or HTTP-date), if any."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def proxy_from_environment() -> bool:
    """Whether the environment names a proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, lower or upper case). Our pool
    (transport.py) connects directly only; with a proxy, httpx's own transport does the whole job, NO_PROXY
    included, as it does for any httpx client."""
    return any(address for scheme, address in urllib.request.getproxies().items() if scheme != "no")


class PlatformClient:
    """Base for the four clients: owns the shared AsyncClient; use as `async with Client() as c:`."""

    platform: ClassVar[str]

    def __init__(
        self,
        base_url: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport or (None if proxy_from_environment() else pooled_transport(CONNECTION_LIMITS)),
            # Platforms answer API calls directly; a redirect would be a misconfigured base URL.
            follow_redirects=False,
            headers={"User-Agent": "azmth-pipelines"},
            limits=CONNECTION_LIMITS,
        )
        # Calls beyond the pool's size wait here, in FIFO order, rather than in httpcore's queue (see transport.py).
        self._in_flight = asyncio.Semaphore(CONNECTION_LIMITS.max_connections or 1)
        # The app's request budgets shared with every other process (budget.py); None: the platform's 429s alone.
        self.budget: RequestBudget | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(
        self,
        method: str,
        url: str,
        *,
        secrets: Iterable[str] = (),
        timeout: httpx.Timeout | None = None,
        expect_json: bool = True,
        **kwargs: Any,
    ) -> ApiResponse:
        secrets = tuple(s for s in secrets if s)
        extra: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
        # The token the call is made with says whose budget it spends (the platforms count per user token).
        account = account_key(secrets[0]) if secrets else "app"
        if self.budget is not None:
            await self.budget.spend(self.platform, method, self.endpoint(url), account)
        try:
            await self._take_slot()
            try:
                response = await self._http.request(method, url, **kwargs, **extra)
            except _DROPPED_CONNECTION:
                # A server may close an idle kept-alive connection just as it is reused; a read is safe to
                # send again at once, rather than failing the attempt until the next tick. Writes are not.
                if is_write(method):
                    raise
                response = await self._http.request(method, url, **kwargs, **extra)
            finally:
                self._in_flight.release()
        except httpx.TransportError as exc:
            shown_url = redact_text(url, secrets)
            # Raised "from None": httpx exceptions carry the request, whose URL may hold a token.
            raise TransientError(
                f"{method} {shown_url} failed: {type(exc).__name__}",
                platform=self.platform,
                may_have_succeeded=_may_have_reached_server(method, exc),
                payload={"request": f"{method} {shown_url}", "transport_error": type(exc).__name__},
                secrets=secrets,
            ) from None
        text = response.text
        body: Any = None
        if text.strip():
            try:
                body = json.loads(text)
            except ValueError:
                body = None
        answer = ApiResponse(
            method, str(response.request.url), response.status_code, response.headers, body, text, secrets
        )
        if self.budget is not None:
            for hold in self.budget_holds(answer):
                await self.budget.hold(self.platform, account, hold)
        if expect_json and text.strip() and body is None and response.status_code < 500:
            raise MalformedResponse(
                f"{method} {answer.url} answered HTTP {response.status_code} with a body that is not JSON",
                platform=self.platform,
                http_status=response.status_code,
                may_have_succeeded=unreadable_success_of_a_write(answer),
                payload=answer.payload(),
                secrets=secrets,
            )
        return answer

    def endpoint(self, url: str) -> str:
        """The path of a call below the base URL ("/2/tweets", "/{ig-user-id}/media"), as the platforms' docs name
        endpoints, whether `url` is relative or whole and whatever version prefix the base URL holds."""
        path = httpx.URL(url).path
        base = httpx.URL(self.base_url).path.rstrip("/")
        return path.removeprefix(base) if base and path.startswith(base + "/") else path

    def budget_holds(self, answer: ApiResponse) -> list[Hold]:
        """What the answer says of the budgets every process shares: by default, a 429 with a Retry-After holds
        this account until then. A platform whose headers say more (usage, app-wide limits) overrides it."""
        if answer.status != 429:
            return []
        wait = retry_after_seconds(answer.headers)
        return [Hold("account", wait)] if wait else []

    async def _take_slot(self) -> None:
        """One of the pool's connections, waited for at most SLOT_WAIT_S; else the call fails as never sent."""
        try:
            async with asyncio.timeout(SLOT_WAIT_S):
                await self._in_flight.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout(f"no free connection within {SLOT_WAIT_S:.0f} s") from None

    def _parse(self, answer: ApiResponse, parse: Callable[[Any], T], secrets: Iterable[str] = ()) -> T:
        """Run a model's parser; a missing or mistyped field becomes MalformedResponse."""
        try:
            return parse(answer.body)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise MalformedResponse(
                f"{answer.method} {answer.url} answered without the documented fields ({type(exc).__name__}: {exc})",
                platform=self.platform,
                http_status=answer.status,
                may_have_succeeded=unreadable_success_of_a_write(answer),
                payload=answer.payload(),
                secrets=secrets,
            ) from None


_IDEMPOTENT = frozenset({"GET", "HEAD"})
# 500 and 502/504 come from a server that failed, or a gateway that lost its upstream, possibly after the work was
# done (X: "something is broken", "couldn't be serviced due to some failure within the internal stack"). 503 is
# what X, Meta and TikTok answer when overloaded, before doing anything: it stays a plain retry.
_AMBIGUOUS_SERVER_ERRORS = frozenset({500, 502, 504})


def is_write(method: str) -> bool:
    return method.upper() not in _IDEMPOTENT


def unreadable_success_of_a_write(answer: ApiResponse) -> bool:
    """A 2xx to a write says the platform did it, however unreadable the rest of the answer: none of the four
    platforms takes an idempotency key, so sending it again could publish twice."""
    return answer.ok and is_write(answer.method)


def ambiguous_failure_of_a_write(answer: ApiResponse) -> bool:
    """A write answered 500, 502 or 504 may have been carried out before the failure: check, never resend blindly."""
    return answer.status in _AMBIGUOUS_SERVER_ERRORS and is_write(answer.method)


# What a connection the server closed looks like (not timeouts: a slow platform is not retried at once).
_DROPPED_CONNECTION = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


def _may_have_reached_server(method: str, exc: httpx.TransportError) -> bool:
    if not is_write(method):
        return False
    # Connect failures never sent the request; anything later may have been processed by the platform.
    return not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)

"""What every platform's OAuth provider does, and the Authlib plumbing they share.

A provider builds the authorize URL, exchanges the callback's code (and upgrades the token where the
platform issues short-lived ones first), names the account, and refreshes. Token-endpoint answers are
sorted by the platform's own error rules (integrations/*/errors.py) inside an Authlib compliance hook, so a
refusal surfaces as our PlatformError hierarchy, redacted, never as an Authlib or httpx exception.
"""

import contextvars
import json
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Self, TypeVar

import httpx

from azmth_pipelines.connections._authlib import AsyncOAuth2Client
from azmth_pipelines.connections.apps import AppCredentials
from azmth_pipelines.connections.errors import ConnectRefused
from azmth_pipelines.connections.grants import Identity, TokenGrant
from azmth_pipelines.connections.pkce import Pkce
from azmth_pipelines.integrations.common.errors import MalformedResponse, PlatformError, TransientError
from azmth_pipelines.integrations.common.http import DEFAULT_TIMEOUT, ApiResponse
from azmth_pipelines.vocabulary import Platform

T = TypeVar("T")


# Literal secrets of the token request under way (code, verifier, tokens, client secret), for redaction in
# the compliance hook, which Authlib calls without context. A ContextVar keeps concurrent tasks apart.
_request_secrets: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("request_secrets", default=())


def utcnow() -> datetime:
    return datetime.now(UTC)


class Provider(ABC):
    platform: ClassVar[Platform]
    # Authlib's token endpoint client authentication: client_secret_post, client_secret_basic, none, or
    # a method a provider registers itself (TikTok's client_key).
    token_endpoint_auth_method: ClassVar[str] = "client_secret_post"
    # The environment variables holding our app's id and secret from the platform's developer portal.
    app_variables: ClassVar[tuple[str, str]]
    # False where a public client authenticates with PKCE alone (X).
    needs_app_secret: ClassVar[bool] = True
    # What a connection asks for: read scopes always, write scopes when the artist opts into publishing.
    read_scopes: ClassVar[tuple[str, ...]]
    write_scopes: ClassVar[tuple[str, ...]]
    # How long before its expiry a token is refreshed (connections/refresh.py). The refresh job runs hourly, so a
    # token that lives a couple of hours needs more than an hour of lead.
    refresh_lead: ClassVar[timedelta]
    # Added to "reconnect" when an access token expired without a refresh token: why none was issued.
    no_refresh_token_hint: ClassVar[str] = ""
    # False where an expired access token can be neither exchanged nor refreshed: the artist must reconnect.
    refreshes_expired_token: ClassVar[bool] = True

    @classmethod
    def publish_scopes(cls, options: dict[str, Any], has_media: bool) -> list[str]:
        """The write scopes publishing a post with these options needs (a missing one asks for a reconnect)."""
        return list(cls.write_scopes)

    @classmethod
    def callback_refusal(cls, error: str, said: str) -> ConnectRefused | None:
        """The platform's own reading of an error its consent page redirected back with; None: the general one."""
        return None

    def __init__(
        self,
        app: AppCredentials,
        *,
        now: Callable[[], datetime] = utcnow,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.app = app
        self.now = now
        self._oauth = AsyncOAuth2Client(
            client_id=app.client_id,
            client_secret=app.client_secret,
            token_endpoint_auth_method=self.token_endpoint_auth_method,
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": "azmth-pipelines"},
        )
        self._configure(self._oauth)
        self._oauth.register_compliance_hook("access_token_response", self._check_token_response)
        self._oauth.register_compliance_hook("refresh_token_response", self._check_token_response)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._oauth.aclose()

    # --- what each platform defines ----------------------------------------------------------------

    def _configure(self, client: AsyncOAuth2Client) -> None:
        """Register platform-specific client auth methods or hooks (default: nothing)."""
        return None

    def new_pkce(self) -> Pkce | None:
        """A fresh PKCE pair where the platform takes one (None: it does not)."""
        return None

    @abstractmethod
    def authorization_url(self, *, redirect_uri: str, state: str, scopes: list[str], pkce: Pkce | None) -> str: ...

    @abstractmethod
    async def exchange_code(self, *, code: str, redirect_uri: str, pkce: Pkce | None) -> TokenGrant:
        """The code's tokens, upgraded to the longest-lived form the platform offers."""

    @abstractmethod
    async def identify(self, grant: TokenGrant) -> Identity:
        """Whose account the grant is for."""

    async def granted_scopes(self, grant: TokenGrant, requested: list[str]) -> list[str]:
        """The scopes actually granted; by default what the token response said."""
        return list(grant.scopes or [])

    @abstractmethod
    async def refresh(self, *, access_token: str, refresh_token: str | None) -> TokenGrant: ...

    def too_early_to_refresh(self, *, access_expires_at: datetime | None, now: datetime) -> bool:
        """Whether the platform would refuse a refresh now because the token is too young (Threads)."""
        return False

    def can_refresh(self, *, refresh_token: str | None) -> bool:
        """Whether a connection holding these tokens can be refreshed without the artist."""
        return refresh_token is not None

    @abstractmethod
    def token_error(self, answer: ApiResponse, secrets: Iterable[str]) -> PlatformError | None:
        """The platform's rules for a token endpoint answer."""

    # --- shared plumbing -----------------------------------------------------------------------------

    def _check_token_response(self, response: httpx.Response) -> httpx.Response:
        answer = _answer(response, _request_secrets.get())
        error = self.token_error(answer, _request_secrets.get())
        if error is not None:
            raise error
        if not isinstance(answer.body, dict) or not answer.body.get("access_token"):
            raise MalformedResponse(
                f"{answer.method} {answer.url} answered HTTP {answer.status} without an access_token",
                platform=self.platform,
                http_status=answer.status,
                payload=answer.payload(),
                secrets=_request_secrets.get(),
            )
        return response

    async def _token_call(self, call: Callable[[], Awaitable[T]], secrets: Iterable[str]) -> T:
        """Run an Authlib token request with transport failures turned into our (redacted) errors."""
        known = tuple(s for s in (*secrets, self.app.client_secret) if s)
        reset = _request_secrets.set(known)
        try:
            return await call()
        except httpx.TransportError as exc:
            # From None: httpx errors carry the request, whose URL or body may hold a code or secret.
            raise TransientError(
                f"{self.platform.label} token endpoint unreachable: {type(exc).__name__}",
                platform=self.platform,
                payload={"transport_error": type(exc).__name__},
                secrets=known,
            ) from None
        finally:
            _request_secrets.reset(reset)

    async def _get_json(self, url: str, *, params: dict[str, str], secrets: Iterable[str]) -> Any:
        """A plain GET for the non-RFC steps (Meta's token upgrades, profile lookups), sorted like the rest."""
        known = tuple(s for s in (*secrets, self.app.client_secret) if s)
        try:
            response = await self._oauth.request("GET", url, params=params, withhold_token=True)
        except httpx.TransportError as exc:
            raise TransientError(
                f"{self.platform.label} unreachable: {type(exc).__name__}",
                platform=self.platform,
                payload={"transport_error": type(exc).__name__},
                secrets=known,
            ) from None
        answer = _answer(response, known)
        error = self.token_error(answer, known)
        if error is not None:
            raise error
        if not isinstance(answer.body, dict):
            raise MalformedResponse(
                f"GET {answer.url} answered HTTP {answer.status} with a body that is not a JSON object",
                platform=self.platform,
                http_status=answer.status,
                payload=answer.payload(),
                secrets=known,
            )
        return answer.body


def _answer(response: httpx.Response, secrets: Iterable[str]) -> ApiResponse:
    text = response.text
    try:
        body = json.loads(text) if text.strip() else None
    except ValueError:
        body = None
    return ApiResponse(
        response.request.method,
        str(response.request.url),
        response.status_code,
        response.headers,
        body,
        text,
        tuple(secrets),
    )


def require_account_id(platform: Platform, value: Any, what: str) -> str:
    if value is None or value == "":
        raise MalformedResponse(f"{platform.label} answered without {what}", platform=platform)
    return str(value)

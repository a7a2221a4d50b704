"""Why a connect stopped, in words for the artist; and how a token endpoint's refusal is sorted.

Every message here is built from redacted platform errors: no token, code or secret reaches str().
"""

from collections.abc import Iterable
from typing import Any

from azmth_pipelines.domain.errors import DomainError
from azmth_pipelines.errors import ConfigurationError
from azmth_pipelines.integrations.common.errors import Disposition, PlatformError, error_for
from azmth_pipelines.integrations.common.http import ApiResponse, retry_after_seconds


class ConnectRefused(DomainError):
    """The connection was not made; the message says why and what to do. Nothing was saved."""


class AppNotConfigured(ConnectRefused, ConfigurationError):
    """Our app's client id or secret for a platform is not set: an operator fixes it, not the artist."""


class ConsentDenied(ConnectRefused):
    pass


class StateMismatch(ConnectRefused):
    """The callback's `state` is not the one we sent: a forged or stale redirect (RFC 6749 10.12)."""


class CallbackTimeout(ConnectRefused):
    pass


class AuthorizationFailed(ConnectRefused):
    """The platform refused a step of the flow (code exchange, token upgrade, account lookup)."""

    def __init__(self, message: str, error: PlatformError) -> None:
        super().__init__(message)
        self.error = error


# RFC 6749 5.2 errors that mean our app is misconfigured, not that the artist's grant is dead.
_APP_PROBLEMS = frozenset({"invalid_client", "unauthorized_client", "unsupported_grant_type"})


def classify_oauth_failure(http_status: int, error: str) -> Disposition:
    """Sort an RFC 6749 token-endpoint error: a dead grant (invalid_grant, X's invalid_request for a spent
    code or token) needs a reconnect; 5xx and 429 are retried; an app problem is permanent."""
    if http_status == 429:
        return Disposition.RATE_LIMITED
    if http_status >= 500 or error in ("server_error", "temporarily_unavailable"):
        return Disposition.RETRY
    if error in _APP_PROBLEMS:
        return Disposition.PERMANENT
    return Disposition.RECONNECT


def oauth_error(answer: ApiResponse, *, platform: str, secrets: Iterable[str] = ()) -> PlatformError | None:
    """The error a flat RFC 6749 token response carries (`{"error", "error_description"}`), or None."""
    body: Any = answer.body if isinstance(answer.body, dict) else {}
    error = body.get("error")
    if answer.ok and not error:
        return None
    code = str(error or "")
    description = str(body.get("error_description") or body.get("detail") or "")
    disposition = classify_oauth_failure(answer.status, code)
    return error_for(
        disposition,
        description or code or f"HTTP {answer.status}",
        platform=platform,
        http_status=answer.status,
        code=code or None,
        retry_after_s=retry_after_seconds(answer.headers) if disposition is Disposition.RATE_LIMITED else None,
        payload=answer.payload(),
        secrets=secrets,
    )

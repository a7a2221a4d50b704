"""One exception hierarchy for all four platform clients.

Callers decide what to do from the class (or `disposition`) alone:

- `TransientError`   retry the same call later (5xx, timeouts, the platform's "transient" codes)
- `RateLimited`      retry after `retry_after_s` (None when the platform gave no hint)
- `AuthError`        the connection is dead (token expired/revoked/invalid): the artist must reconnect
- `ScopeMissing`     an `AuthError` whose fix is to grant `missing_scope` when reconnecting
- `PermanentError`   retrying the same request cannot help (bad media, caption, banned, duplicate...)
- `NotAvailableOnTier` the app's API access level (X) does not include this call
- `MalformedResponse` the answer could not be read (treated as transient: usually a proxy's error page; but a
                      write answered 2xx was carried out, so it `may_have_succeeded`)

Every error is built from redacted data: no token ever reaches str(), repr() or `payload`.
"""

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, ClassVar

from azmth_pipelines.errors import ArtistFixableError, PlatformFailure
from azmth_pipelines.integrations.common.redaction import redact, redact_text


class Disposition(StrEnum):
    RETRY = "retry"
    PERMANENT = "permanent"
    RECONNECT = "reconnect"
    RATE_LIMITED = "rate_limited"


class PlatformError(PlatformFailure):
    """A failed platform call, with everything a caller or a support ticket needs (and no secrets)."""

    disposition: ClassVar[Disposition] = Disposition.PERMANENT

    def __init__(
        self,
        message: str,
        *,
        platform: str,
        http_status: int | None = None,
        code: str | int | None = None,
        subcode: str | int | None = None,
        user_title: str | None = None,
        user_message: str | None = None,
        retry_after_s: float | None = None,
        missing_scope: str | None = None,
        may_have_succeeded: bool = False,
        trace_id: str | None = None,
        payload: Mapping[str, Any] | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        secrets = tuple(secrets)
        self.message: str = redact_text(message, secrets)
        self.platform = platform
        self.http_status = http_status
        self.code = code
        self.subcode = subcode
        self.user_title = redact_text(user_title, secrets) if user_title else None
        self.user_message = redact_text(user_message, secrets) if user_message else None
        self.retry_after_s = retry_after_s
        self.missing_scope = missing_scope
        # True when the request may have been carried out although we saw a failure (a timeout after the
        # body was sent; Instagram 2207051 "may still have published"): check before posting again.
        self.may_have_succeeded = may_have_succeeded
        # The platform's id for this request (TikTok log_id, Meta fbtrace_id), needed for support tickets.
        self.trace_id = trace_id
        self.payload: dict[str, Any] = redact(dict(payload or {}), secrets)
        super().__init__(self.message)

    @property
    def retryable(self) -> bool:
        return self.disposition in (Disposition.RETRY, Disposition.RATE_LIMITED)

    @property
    def needs_reconnect(self) -> bool:
        return self.disposition is Disposition.RECONNECT

    def __str__(self) -> str:
        parts = [f"{self.platform}"]
        if self.http_status is not None:
            parts.append(f"HTTP {self.http_status}")
        if self.code is not None:
            parts.append(f"code {self.code}" + (f"/{self.subcode}" if self.subcode is not None else ""))
        text = f"[{' '.join(parts)}] {self.message}"
        if self.user_message:
            text += f" ({self.user_message})"
        if self.retry_after_s is not None:
            text += f"; retry after {self.retry_after_s:.0f}s"
        if self.missing_scope:
            text += f"; grant scope {self.missing_scope}"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(platform={self.platform!r}, http_status={self.http_status!r}, "
            f"code={self.code!r}, subcode={self.subcode!r}, message={self.message!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not pickle by default; multiprocess executors pickle errors.
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[PlatformError], state: dict[str, Any]) -> PlatformError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class TransientError(PlatformError):
    disposition = Disposition.RETRY


class MalformedResponse(TransientError):
    """The platform answered something that is not the documented JSON."""


class RateLimited(PlatformError):
    disposition = Disposition.RATE_LIMITED


class AuthError(PlatformError, ArtistFixableError):
    disposition = Disposition.RECONNECT


class ScopeMissing(AuthError):
    pass


class PermanentError(PlatformError):
    disposition = Disposition.PERMANENT


class NotAvailableOnTier(PermanentError):
    """The app's API access level does not include this call (X pay-per-use / legacy tiers)."""


def error_for(disposition: Disposition, message: str, **fields: Any) -> PlatformError:
    """The exception class that carries a sorted failure; a reconnect with a known scope is ScopeMissing."""
    if disposition is Disposition.RECONNECT:
        cls: type[PlatformError] = ScopeMissing if fields.get("missing_scope") else AuthError
    else:
        cls = {
            Disposition.RETRY: TransientError,
            Disposition.RATE_LIMITED: RateLimited,
            Disposition.PERMANENT: PermanentError,
        }[disposition]
    return cls(message, **fields)

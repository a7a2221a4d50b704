"""What one publish attempt ended with, in the product's words."""

from dataclasses import dataclass, field
from typing import Any

from azmth_pipelines.integrations.common.errors import PlatformError


@dataclass(frozen=True)
class ErrorInfo:
    """A failure as the post shows it: the platform's own code and words, and what the artist should do."""

    message: str
    code: str | None = None
    user_message: str | None = None
    http_status: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_platform_error(cls, error: PlatformError) -> "ErrorInfo":
        code = None if error.code is None else str(error.code)
        if code is not None and error.subcode is not None:
            code = f"{code}/{error.subcode}"
        user_message = error.user_message
        if error.user_title and user_message:
            user_message = f"{error.user_title}: {user_message}"
        return cls(
            message=error.message,
            code=code,
            user_message=user_message,
            http_status=error.http_status,
            payload=error.payload,
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message}
        if self.code:
            data["code"] = self.code
        if self.user_message:
            data["user_message"] = self.user_message
        if self.http_status is not None:
            data["http_status"] = self.http_status
        return data


@dataclass(frozen=True)
class Published:
    remote_id: str
    permalink: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SentToInbox:
    """TikTok drafts inbox: the creator finishes the post in the app."""

    publish_id: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HandedOff:
    """Instagram Path B: a downloadable copy and a deep link; neither published nor failed."""

    download_url: str
    deep_link: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Failed:
    error: ErrorInfo
    retryable: bool
    reconnect_scope: str | None = None
    needs_reconnect: bool = False
    # A rate limit that said when it resets: seconds from its answer until then (None: no hint, a plain retry).
    retry_after_s: float | None = None

    @classmethod
    def from_platform_error(cls, error: PlatformError) -> "Failed":
        return cls(
            error=ErrorInfo.from_platform_error(error),
            retryable=error.retryable,
            needs_reconnect=error.needs_reconnect,
            reconnect_scope=error.missing_scope,
            retry_after_s=error.retry_after_s if error.retryable else None,
        )

    @classmethod
    def permanent(cls, message: str, code: str) -> "Failed":
        """A refusal of ours before any call (media or caption check): the message already says the fix."""
        return cls(error=ErrorInfo(message=message, code=code, user_message=message), retryable=False)


@dataclass(frozen=True)
class Unconfirmed:
    """The platform may have published; nothing proves it either way. Not reposted automatically."""

    reason: str


@dataclass(frozen=True)
class CheckLater:
    """The platform was asked to publish and then an error left it unclear whether it did (an ambiguous answer to
    the publish call, a failed status check after it, a failed reconciliation). Publishing afresh could post twice:
    the attempt stays in flight and a later tick reconciles it with the platform."""

    error: ErrorInfo


@dataclass(frozen=True)
class NotPublished:
    """Reconciliation proved the interrupted attempt never went public: safe to try again."""

    reason: str


Outcome = Published | SentToInbox | HandedOff | Failed | Unconfirmed | NotPublished | CheckLater

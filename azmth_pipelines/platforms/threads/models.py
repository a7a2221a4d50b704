"""Typed answers of the Threads API."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ThreadsContainerStatusValue(StrEnum):
    EXPIRED = "EXPIRED"
    ERROR = "ERROR"
    FINISHED = "FINISHED"
    IN_PROGRESS = "IN_PROGRESS"
    PUBLISHED = "PUBLISHED"


@dataclass(frozen=True)
class ThreadsContainerStatus:
    id: str
    status: str
    # FAILED_DOWNLOADING_VIDEO, INVALID_ASPEC_RATIO (sic), ... (posts doc); all are media problems.
    error_message: str | None

    @classmethod
    def from_json(cls, body: Any) -> "ThreadsContainerStatus":
        return cls(id=str(body.get("id") or ""), status=str(body["status"]), error_message=body.get("error_message"))

    @property
    def is_ready(self) -> bool:
        return self.status == ThreadsContainerStatusValue.FINISHED

    @property
    def is_failed(self) -> bool:
        return self.status in (ThreadsContainerStatusValue.ERROR, ThreadsContainerStatusValue.EXPIRED)


@dataclass(frozen=True)
class ThreadsPost:
    """One of the account's posts as GET /{threads-user-id}/threads lists it."""

    id: str
    text: str | None
    timestamp: str | None  # ISO 8601, e.g. 2026-11-02T17:15:07+0000
    permalink: str | None

    @classmethod
    def from_json(cls, body: Any) -> "ThreadsPost":
        return cls(
            id=str(body["id"]),
            text=body.get("text"),
            timestamp=body.get("timestamp"),
            permalink=body.get("permalink"),
        )


@dataclass(frozen=True)
class ThreadsMediaInsights:
    """Lifetime metrics; None = not reported (views/shares are "in development"; reposts of others: none)."""

    views: int | None = None
    likes: int | None = None
    replies: int | None = None
    reposts: int | None = None
    quotes: int | None = None
    shares: int | None = None

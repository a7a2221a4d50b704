"""Typed answers of the Threads API."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ThreadsPost:
    """One of the account's posts as GET /{threads-user-id}/threads lists it."""

    id: str
    text: str | None
    timestamp: str | None  # ISO 8601, e.g. 2026-11-02T17:15:07+0000
    permalink: str | None
    media_type: str | None = None  # TEXT_POST, IMAGE, VIDEO, CAROUSEL_ALBUM, AUDIO, REPOST_FACADE

    @classmethod
    def from_json(cls, body: Any) -> "ThreadsPost":
        return cls(
            id=str(body["id"]),
            text=body.get("text"),
            timestamp=body.get("timestamp"),
            permalink=body.get("permalink"),
            media_type=body.get("media_type"),
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

"""One platform's part of `content_post.per_platform`: its state and the entry as stored in JSON.

The one reader and writer of that JSON shape, below every layer that looks at it (the publish state machine in
publishing/state.py moves entries; the post report, the CLI and the metrics targets read them). Imports nothing
of ours, like vocabulary.py.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class PlatformState(StrEnum):
    PENDING = "pending"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    SENT_TO_INBOX = "sent_to_inbox"
    HANDED_OFF = "handed_off"
    RETRYING = "retrying"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"


# The artist's work reached the platform or the artist: the post counts as posted.
SUCCESS_STATES = frozenset({PlatformState.PUBLISHED, PlatformState.SENT_TO_INBOX, PlatformState.HANDED_OFF})
# Nothing more happens without a person: the post's status can be settled.
SETTLED_STATES = SUCCESS_STATES | {PlatformState.FAILED, PlatformState.UNCONFIRMED}


@dataclass(frozen=True)
class PlatformEntry:
    """One platform's part of `per_platform`, read from and written back to JSON."""

    state: PlatformState = PlatformState.PENDING
    attempts: int = 0  # attempts made, as the artist is shown them
    # Attempts a rate limit turned away while saying when it resets: they spend none of the retries.
    unspent_attempts: int = 0
    current_attempt_id: int | None = None
    next_retry_at: datetime | None = None
    remote_id: str | None = None
    permalink: str | None = None
    last_error: dict[str, Any] | None = None
    detail: dict[str, Any] | None = None
    updated_at: datetime | None = None
    settled_at: datetime | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "PlatformEntry":
        if not data:
            return cls()
        return cls(
            state=state_of(data),
            attempts=int(data.get("attempts", 0)),
            unspent_attempts=int(data.get("unspent_attempts", 0)),
            current_attempt_id=data.get("current_attempt_id"),
            next_retry_at=_time(data.get("next_retry_at")),
            remote_id=data.get("remote_id"),
            permalink=data.get("permalink"),
            last_error=data.get("last_error"),
            detail=data.get("detail"),
            updated_at=_time(data.get("updated_at")),
            settled_at=_time(data.get("settled_at")),
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"state": self.state.value, "attempts": self.attempts}
        if self.unspent_attempts:  # absent in entries written before it existed, and while it is 0
            data["unspent_attempts"] = self.unspent_attempts
        optional = {
            "current_attempt_id": self.current_attempt_id,
            "next_retry_at": self.next_retry_at.isoformat() if self.next_retry_at else None,
            "remote_id": self.remote_id,
            "permalink": self.permalink,
            "last_error": self.last_error,
            "detail": self.detail,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "settled_at": self.settled_at.isoformat() if self.settled_at else None,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        return data

    @property
    def spent_attempts(self) -> int:
        """The attempts that count against the retry schedule's MAX_ATTEMPTS (publishing/state.py)."""
        return self.attempts - self.unspent_attempts


def state_of(data: dict[str, Any] | None) -> PlatformState:
    """The state of one platform's `per_platform` JSON, without reading the rest (pending when absent)."""
    return PlatformState((data or {}).get("state", PlatformState.PENDING))


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None

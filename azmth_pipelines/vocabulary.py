"""The product's words, as enums every layer shares (imports nothing of ours, so any layer may use it)."""

from enum import StrEnum


class Platform(StrEnum):
    TIKTOK = "tiktok"
    INSTAGRAM = "instagram"
    THREADS = "threads"
    X = "x"

    @property
    def label(self) -> str:
        return {"tiktok": "TikTok", "instagram": "Instagram", "threads": "Threads", "x": "X"}[self.value]


class PostStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    POSTED = "posted"
    FAILED = "failed"


class ConnectionStatus(StrEnum):
    CONNECTED = "connected"
    NEEDS_RECONNECT = "needs_reconnect"


class MediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"


class AccountPostKind(StrEnum):
    """What an account post is, in one vocabulary over the four platforms (the platform's own type is in raw)."""

    VIDEO = "video"
    IMAGE = "image"
    CAROUSEL = "carousel"
    TEXT = "text"
    OTHER = "other"


class MetricSource(StrEnum):
    ON_PUBLISH = "on_publish"
    DAY1 = "day1"
    NIGHTLY = "nightly"
    MANUAL = "manual"


class TikTokMode(StrEnum):
    DIRECT = "direct"
    INBOX = "inbox"


class InstagramPath(StrEnum):
    A = "A"
    B = "B"


class DistributorStatus(StrEnum):
    NOT_SUBMITTED = "not_submitted"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    LIVE = "live"
    REJECTED = "rejected"
    TAKEN_DOWN = "taken_down"


class AttemptStage(StrEnum):
    """How far a `publish_attempt` got; a run that dies leaves it behind for the next run to reconcile."""

    CLAIMED = "claimed"
    PREPARED = "prepared"  # media checked, uploads done
    PUBLISH_REQUESTED = "publish_requested"  # committed just before the call that makes the post public
    FINISHED = "finished"


class AttemptOutcome(StrEnum):
    """How a `publish_attempt` ended (NULL while in flight)."""

    PUBLISHED = "published"
    SENT_TO_INBOX = "sent_to_inbox"
    HANDED_OFF = "handed_off"
    TRANSIENT_ERROR = "transient_error"
    PERMANENT_ERROR = "permanent_error"
    UNCONFIRMED = "unconfirmed"

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

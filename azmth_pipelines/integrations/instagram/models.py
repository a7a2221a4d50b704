"""Typed answers of the Instagram Graph API (Instagram API with Facebook Login)."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ContainerStatusCode(StrEnum):
    EXPIRED = "EXPIRED"
    ERROR = "ERROR"
    FINISHED = "FINISHED"
    IN_PROGRESS = "IN_PROGRESS"
    PUBLISHED = "PUBLISHED"


class MediaProductType(StrEnum):
    FEED = "FEED"
    REELS = "REELS"
    STORY = "STORY"
    AD = "AD"


@dataclass(frozen=True)
class LinkedAccount:
    """A Facebook Page the user manages and the Instagram professional account linked to it (if any)."""

    page_id: str
    page_name: str
    ig_user_id: str | None
    page_access_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class MediaInfo:
    id: str
    media_type: str | None
    media_product_type: str | None
    permalink: str | None
    shortcode: str | None
    timestamp: str | None
    caption: str | None
    like_count: int | None
    comments_count: int | None

    @classmethod
    def from_json(cls, body: Any) -> "MediaInfo":
        return cls(
            id=str(body["id"]),
            media_type=body.get("media_type"),
            media_product_type=body.get("media_product_type"),
            permalink=body.get("permalink"),
            shortcode=body.get("shortcode"),
            timestamp=body.get("timestamp"),
            caption=body.get("caption"),
            like_count=_int_or_none(body.get("like_count")),
            comments_count=_int_or_none(body.get("comments_count")),
        )


@dataclass(frozen=True)
class MediaInsights:
    """Lifetime metrics of one post; None = not available for this media (never a fake 0)."""

    views: int | None = None
    reach: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saved: int | None = None
    total_interactions: int | None = None


@dataclass(frozen=True)
class AccountInfo:
    id: str
    username: str | None
    name: str | None
    followers_count: int | None
    follows_count: int | None
    media_count: int | None

    @classmethod
    def from_json(cls, body: Any) -> "AccountInfo":
        return cls(
            id=str(body["id"]),
            username=body.get("username"),
            name=body.get("name"),
            followers_count=_int_or_none(body.get("followers_count")),
            follows_count=_int_or_none(body.get("follows_count")),
            media_count=_int_or_none(body.get("media_count")),
        )


def _int_or_none(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    return int(value)

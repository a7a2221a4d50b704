"""Typed requests and answers of the TikTok Content Posting and Display APIs (field names as documented)."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class PublishStatusValue(StrEnum):
    PROCESSING_UPLOAD = "PROCESSING_UPLOAD"
    PROCESSING_DOWNLOAD = "PROCESSING_DOWNLOAD"
    SEND_TO_USER_INBOX = "SEND_TO_USER_INBOX"
    PUBLISH_COMPLETE = "PUBLISH_COMPLETE"
    FAILED = "FAILED"


class PostMode(StrEnum):
    DIRECT_POST = "DIRECT_POST"
    MEDIA_UPLOAD = "MEDIA_UPLOAD"


@dataclass(frozen=True)
class CreatorInfo:
    username: str
    nickname: str
    avatar_url: str | None
    privacy_level_options: tuple[str, ...]
    comment_disabled: bool
    duet_disabled: bool
    stitch_disabled: bool
    max_video_post_duration_sec: int | None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "CreatorInfo":
        return cls(
            username=str(data["creator_username"]),
            nickname=str(data.get("creator_nickname") or ""),
            avatar_url=data.get("creator_avatar_url"),
            privacy_level_options=tuple(str(option) for option in data["privacy_level_options"]),
            comment_disabled=bool(data.get("comment_disabled", False)),
            duet_disabled=bool(data.get("duet_disabled", False)),
            stitch_disabled=bool(data.get("stitch_disabled", False)),
            max_video_post_duration_sec=_int_or_none(data.get("max_video_post_duration_sec")),
        )


@dataclass(frozen=True)
class VideoPostInfo:
    """`post_info` of a direct video post; privacy_level must be one of creator_info's options."""

    privacy_level: str
    title: str = ""
    disable_duet: bool = False
    disable_stitch: bool = False
    disable_comment: bool = False
    video_cover_timestamp_ms: int | None = None
    brand_content_toggle: bool = False
    brand_organic_toggle: bool = False
    is_aigc: bool = False

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "privacy_level": self.privacy_level,
            "title": self.title,
            "disable_duet": self.disable_duet,
            "disable_stitch": self.disable_stitch,
            "disable_comment": self.disable_comment,
            "brand_content_toggle": self.brand_content_toggle,
            "brand_organic_toggle": self.brand_organic_toggle,
            "is_aigc": self.is_aigc,
        }
        if self.video_cover_timestamp_ms is not None:
            body["video_cover_timestamp_ms"] = self.video_cover_timestamp_ms
        return body


@dataclass(frozen=True)
class PhotoPostInfo:
    """`post_info` of a photo post; privacy_level and the toggles only apply to DIRECT_POST."""

    title: str = ""
    description: str = ""
    privacy_level: str | None = None
    disable_comment: bool = False
    auto_add_music: bool = False
    brand_content_toggle: bool = False
    brand_organic_toggle: bool = False

    def to_json(self, mode: PostMode) -> dict[str, Any]:
        body: dict[str, Any] = {"title": self.title, "description": self.description}
        if mode is PostMode.DIRECT_POST:
            if not self.privacy_level:
                raise ValueError("a DIRECT_POST photo post needs a privacy_level from creator_info")
            body |= {
                "privacy_level": self.privacy_level,
                "disable_comment": self.disable_comment,
                "auto_add_music": self.auto_add_music,
                "brand_content_toggle": self.brand_content_toggle,
                "brand_organic_toggle": self.brand_organic_toggle,
            }
        return body


@dataclass(frozen=True)
class PublishInit:
    publish_id: str
    upload_url: str | None = field(default=None, repr=False)  # holds an upload token

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "PublishInit":
        publish_id = data["publish_id"]
        if not isinstance(publish_id, str) or not publish_id:
            raise ValueError("publish_id missing")
        return cls(publish_id=publish_id, upload_url=data.get("upload_url") or None)


@dataclass(frozen=True)
class PublishStatus:
    status: str
    fail_reason: str | None
    post_ids: tuple[str, ...]
    uploaded_bytes: int | None
    downloaded_bytes: int | None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "PublishStatus":
        # TikTok spells it publicaly_available_post_id (sic) and sends int64s: kept as str ids, since
        # 19-digit ids lose precision in anything that goes through a float (JS, some JSON tools).
        raw_ids = data.get("publicaly_available_post_id") or []
        return cls(
            status=str(data["status"]),
            fail_reason=data.get("fail_reason") or None,
            post_ids=tuple(str(post_id) for post_id in raw_ids),
            uploaded_bytes=_int_or_none(data.get("uploaded_bytes")),
            downloaded_bytes=_int_or_none(data.get("downloaded_bytes")),
        )

    @property
    def is_terminal(self) -> bool:
        """No further change without the user: posted, failed, or delivered to the inbox as a draft."""
        return self.status in (
            PublishStatusValue.PUBLISH_COMPLETE,
            PublishStatusValue.FAILED,
            PublishStatusValue.SEND_TO_USER_INBOX,
        )


@dataclass(frozen=True)
class UserInfo:
    open_id: str | None = None
    union_id: str | None = None
    display_name: str | None = None
    username: str | None = None
    avatar_url: str | None = None
    bio_description: str | None = None
    profile_deep_link: str | None = None
    is_verified: bool | None = None
    follower_count: int | None = None
    following_count: int | None = None
    likes_count: int | None = None
    video_count: int | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "UserInfo":
        user = data["user"]
        return cls(
            open_id=user.get("open_id"),
            union_id=user.get("union_id"),
            display_name=user.get("display_name"),
            username=user.get("username"),
            avatar_url=user.get("avatar_url"),
            bio_description=user.get("bio_description"),
            profile_deep_link=user.get("profile_deep_link"),
            is_verified=user.get("is_verified"),
            follower_count=_int_or_none(user.get("follower_count")),
            following_count=_int_or_none(user.get("following_count")),
            likes_count=_int_or_none(user.get("likes_count")),
            video_count=_int_or_none(user.get("video_count")),
        )


@dataclass(frozen=True)
class Video:
    id: str
    create_time: int | None = None
    title: str | None = None
    video_description: str | None = None
    duration: int | None = None
    cover_image_url: str | None = None
    share_url: str | None = None
    embed_link: str | None = None
    view_count: int | None = None
    like_count: int | None = None
    comment_count: int | None = None
    share_count: int | None = None

    @classmethod
    def from_json(cls, video: dict[str, Any]) -> "Video":
        return cls(
            id=str(video["id"]),
            create_time=_int_or_none(video.get("create_time")),
            title=video.get("title"),
            video_description=video.get("video_description"),
            duration=_int_or_none(video.get("duration")),
            cover_image_url=video.get("cover_image_url"),
            share_url=video.get("share_url"),
            embed_link=video.get("embed_link"),
            view_count=_int_or_none(video.get("view_count")),
            like_count=_int_or_none(video.get("like_count")),
            comment_count=_int_or_none(video.get("comment_count")),
            share_count=_int_or_none(video.get("share_count")),
        )


@dataclass(frozen=True)
class VideoPage:
    videos: tuple[Video, ...]
    cursor: int | None
    has_more: bool

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "VideoPage":
        return cls(
            videos=tuple(Video.from_json(video) for video in data.get("videos") or []),
            cursor=_int_or_none(data.get("cursor")),
            has_more=bool(data.get("has_more", False)),
        )


def _int_or_none(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    return int(value)

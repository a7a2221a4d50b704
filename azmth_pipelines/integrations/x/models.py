"""Typed answers of the X API v2 (posts, users, media upload)."""

from dataclasses import dataclass
from typing import Any, TypeVar

from azmth_pipelines.integrations.x.errors import problem_kind

M = TypeVar("M")


@dataclass(frozen=True)
class MediaUpload:
    id: str
    media_key: str | None
    state: str | None  # pending | in_progress | succeeded | failed; None = no processing needed
    check_after_secs: int | None
    error_message: str | None = None

    @classmethod
    def from_json(cls, body: Any) -> "MediaUpload":
        data = body["data"]
        processing = data.get("processing_info") or {}
        error = processing.get("error") or {}
        return cls(
            id=str(data["id"]),
            media_key=data.get("media_key"),
            state=processing.get("state"),
            check_after_secs=_int(processing.get("check_after_secs")),
            error_message=(error.get("message") or error.get("name")) if isinstance(error, dict) else None,
        )

    @property
    def ready(self) -> bool:
        return self.state in (None, "succeeded")


@dataclass(frozen=True)
class CreatedPost:
    id: str
    text: str

    @classmethod
    def from_json(cls, body: Any) -> "CreatedPost":
        data = body["data"]
        return cls(id=str(data["id"]), text=str(data.get("text") or ""))


@dataclass(frozen=True)
class UserMetrics:
    followers_count: int | None
    following_count: int | None
    tweet_count: int | None
    listed_count: int | None
    like_count: int | None
    media_count: int | None


@dataclass(frozen=True)
class XUser:
    id: str
    username: str
    name: str
    metrics: UserMetrics

    @classmethod
    def from_json(cls, body: Any) -> "XUser":
        data = body["data"]
        metrics = data.get("public_metrics") or {}
        return cls(
            id=str(data["id"]),
            username=str(data.get("username") or ""),
            name=str(data.get("name") or ""),
            metrics=UserMetrics(**{name: _int(metrics.get(name)) for name in UserMetrics.__dataclass_fields__}),
        )


@dataclass(frozen=True)
class PublicMetrics:
    impression_count: int | None
    like_count: int | None
    reply_count: int | None
    retweet_count: int | None
    quote_count: int | None
    bookmark_count: int | None


@dataclass(frozen=True)
class PrivateMetrics:
    """non_public_metrics (owned posts < 30 days old, user context only)."""

    impression_count: int | None
    url_link_clicks: int | None
    user_profile_clicks: int | None
    engagements: int | None


@dataclass(frozen=True)
class OrganicMetrics:
    """organic_metrics: the post's numbers outside promotion (same access rules as non_public_metrics)."""

    impression_count: int | None
    like_count: int | None
    reply_count: int | None
    retweet_count: int | None
    url_link_clicks: int | None
    user_profile_clicks: int | None


@dataclass(frozen=True)
class Tweet:
    id: str
    text: str
    created_at: str | None
    public_metrics: PublicMetrics | None
    private_metrics: PrivateMetrics | None
    organic_metrics: OrganicMetrics | None = None
    media_keys: tuple[str, ...] = ()  # attachments.media_keys

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> "Tweet":
        public = item.get("public_metrics")
        private = item.get("non_public_metrics")
        attachments = item.get("attachments")
        if not isinstance(attachments, dict):
            attachments = {}
        return cls(
            media_keys=tuple(str(key) for key in attachments.get("media_keys") or []),
            id=str(item["id"]),
            text=str(item.get("text") or ""),
            created_at=item.get("created_at"),
            public_metrics=_metrics(PublicMetrics, public),
            private_metrics=_metrics(PrivateMetrics, private),
            organic_metrics=_metrics(OrganicMetrics, item.get("organic_metrics")),
        )


@dataclass(frozen=True)
class ReadError:
    """One per-id error from a 200 answer's `errors` array (deleted, protected, not authorized...)."""

    resource_id: str | None
    kind: str | None  # problem kind, e.g. resource-not-found, not-authorized-for-field
    title: str
    detail: str

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> "ReadError":
        return cls(
            resource_id=str(item.get("resource_id") or item.get("value") or "") or None,
            kind=problem_kind(item.get("type")),
            title=str(item.get("title") or ""),
            detail=str(item.get("detail") or ""),
        )


@dataclass(frozen=True)
class TierUnavailable:
    """The read is not part of the app's API access level (or its monthly usage cap is spent)."""

    kind: str  # client-forbidden | usage-capped
    reason: str | None
    detail: str
    required_enrollment: str | None = None
    registration_url: str | None = None


@dataclass(frozen=True)
class TimelinePage:
    """One page of a user's posts (GET /2/users/:id/tweets) and the type of each attached media by key."""

    tweets: tuple[Tweet, ...]
    media_types: dict[str, str]
    next_token: str | None

    @classmethod
    def from_json(cls, body: Any) -> "TimelinePage":
        media = ((body.get("includes") or {}).get("media")) or []
        meta = body.get("meta") or {}
        return cls(
            tweets=tuple(Tweet.from_json(item) for item in body.get("data") or []),
            media_types={str(m["media_key"]): str(m.get("type")) for m in media if m.get("media_key")},
            next_token=meta.get("next_token") or None,
        )


@dataclass(frozen=True)
class TweetsRead:
    tweets: tuple[Tweet, ...]
    errors: tuple[ReadError, ...] = ()
    unavailable: TierUnavailable | None = None

    @property
    def available(self) -> bool:
        return self.unavailable is None


def _metrics(cls: type[M], values: Any) -> M | None:
    if not isinstance(values, dict):
        return None
    return cls(**{name: _int(values.get(name)) for name in cls.__dataclass_fields__})  # type: ignore[attr-defined]


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    return int(value)

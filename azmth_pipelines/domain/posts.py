"""Posts: what an artist writes once and schedules to several platforms.

The web app writes `content_post` rows directly; this module is the same contract in Python, used by the
CLI, the tests and the Dagster code, so every writer is held to the same rules.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from azmth_pipelines.db.models import ContentPost, ContentPostMedia, MediaAsset, Release
from azmth_pipelines.domain import post_options, validation
from azmth_pipelines.domain.artists import get_artist
from azmth_pipelines.domain.errors import NotFound, ValidationError
from azmth_pipelines.domain.media_library import add_media
from azmth_pipelines.domain.publishable import check_publishable
from azmth_pipelines.media.crop import CropSpec, cropped_size
from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.vocabulary import MediaKind, Platform, PostStatus

EDITABLE_STATUSES = (PostStatus.DRAFT, PostStatus.SCHEDULED)


@dataclass(frozen=True)
class MediaInput:
    """A file to attach, with an optional crop per platform ({platform: crop spec dict}; images only)."""

    path: Path
    crops: dict[str, dict[str, Any]] = field(default_factory=dict)


def resolved_caption(post: ContentPost, platform: Platform) -> str:
    """The platform's override where one is set, else the body (the caption used where no override is set)."""
    override = (post.caption_overrides or {}).get(platform.value)
    return override if override is not None else post.body


def create_post(
    session: Session,
    *,
    artist_id: int,
    platforms: Sequence[str],
    body: str = "",
    caption_overrides: dict[str, str] | None = None,
    platform_options: dict[str, Any] | None = None,
    media: Sequence[MediaInput] = (),
    scheduled_for: datetime | None = None,
    status: PostStatus | str = PostStatus.DRAFT,
    release_id: int | None = None,
    store: MediaStore | None = None,
) -> ContentPost:
    get_artist(session, artist_id)
    chosen = validation.platforms(platforms)
    status = _writable_status(status)
    post = ContentPost(
        artist_id=artist_id,
        body=body,
        platforms=[p.value for p in chosen],
        caption_overrides=_overrides(caption_overrides, chosen),
        platform_options=post_options.validate(platform_options, chosen),
        scheduled_for=_schedule(scheduled_for, status),
        status=status,
        per_platform={},
        release_id=_release_of_artist(session, release_id, artist_id),
    )
    for position, item in enumerate(media):
        asset = add_media(session, artist_id=artist_id, path=item.path, store=store)
        post.media.append(
            ContentPostMedia(position=position, asset=asset, crops=_crops(item.crops, chosen, asset, position))
        )
    if not post.body.strip() and not post.media and not post.caption_overrides:
        raise ValidationError("body", "a post needs a body, a caption override or media")
    _check_when_scheduled(post)
    session.add(post)
    session.flush()
    return post


def update_post(session: Session, post_id: int, **changes: Any) -> ContentPost:
    """Change a draft or scheduled post; published history (posted, failed) is not rewritten."""
    post = get_post(session, post_id)
    if post.status not in EDITABLE_STATUSES:
        raise ValidationError(
            "status", f"post {post_id} is {post.status.value}; only drafts and scheduled posts change"
        )
    chosen = validation.platforms(changes.get("platforms", post.platforms))
    if "platforms" in changes:
        post.platforms = [p.value for p in chosen]
        for item in post.media:  # a crop for a platform the post left would be kept without a use
            _crops(item.crops or {}, chosen, item.asset, item.position)
    if "body" in changes:
        post.body = changes["body"]
    if "caption_overrides" in changes:
        post.caption_overrides = _overrides(changes["caption_overrides"], chosen)
    if "platform_options" in changes:
        post.platform_options = post_options.validate(changes["platform_options"], chosen)
    if "release_id" in changes:
        post.release_id = _release_of_artist(session, changes["release_id"], post.artist_id)
    status = _writable_status(changes.get("status", post.status))
    post.scheduled_for = _schedule(changes.get("scheduled_for", post.scheduled_for), status)
    post.status = status
    _check_when_scheduled(post)
    session.flush()
    return post


def get_post(session: Session, post_id: int, *, include_deleted: bool = True) -> ContentPost:
    post = session.get(ContentPost, post_id, options=[selectinload(ContentPost.media)])
    if post is None or (post.deleted_at is not None and not include_deleted):
        raise NotFound("post", post_id)
    return post


def list_posts_query(
    *,
    artist_id: int | None = None,
    status: str | None = None,
    release_id: int | None = None,
    deleted: bool = False,
) -> Select[ContentPost]:
    query = (
        select(ContentPost)
        .options(selectinload(ContentPost.media))
        .order_by(ContentPost.scheduled_for.is_(None), ContentPost.scheduled_for, ContentPost.id)
    )
    query = query.where(ContentPost.deleted_at.is_not(None) if deleted else ContentPost.deleted_at.is_(None))
    if artist_id is not None:
        query = query.where(ContentPost.artist_id == artist_id)
    if status is not None:
        query = query.where(ContentPost.status == PostStatus(status))
    if release_id is not None:
        query = query.where(ContentPost.release_id == release_id)
    return query


def list_posts(session: Session, *, platform: str | None = None, **filters: Any) -> list[ContentPost]:
    posts = list(session.scalars(list_posts_query(**filters)))
    if platform is not None:
        # Membership in a JSON list, checked here to stay portable across SQLite and jsonb.
        wanted = validation.platform(platform).value
        posts = [p for p in posts if wanted in p.platforms]
    return posts


def post_view(post: ContentPost) -> dict[str, Any]:
    """The post as the CLI and `--json` show it."""
    platforms = [Platform(p) for p in post.platforms]
    return {
        "id": post.id,
        "artist_id": post.artist_id,
        "status": post.status.value,
        "scheduled_for": post.scheduled_for.astimezone(UTC).isoformat() if post.scheduled_for else None,
        "body": post.body,
        "platforms": post.platforms,
        "captions": {p.value: resolved_caption(post, p) for p in platforms},
        "caption_overrides": post.caption_overrides,
        "platform_options": {p.value: post_options.effective(post.platform_options, p) for p in platforms},
        "media": [
            {
                "position": m.position,
                "media_asset_id": m.media_asset_id,
                "kind": m.asset.kind.value,
                "sha256": m.asset.sha256,
                "width": m.asset.width,
                "height": m.asset.height,
                "duration_s": m.asset.duration_s,
                "crops": m.crops,
            }
            for m in post.media
        ],
        "release_id": post.release_id,
        "per_platform": post.per_platform,
        "deleted_at": post.deleted_at.isoformat() if post.deleted_at else None,
    }


def _writable_status(status: PostStatus | str) -> PostStatus:
    try:
        value = PostStatus(status)
    except ValueError:
        raise ValidationError("status", f"{status!r} is not draft or scheduled") from None
    if value not in EDITABLE_STATUSES:
        raise ValidationError("status", f"a post is written as draft or scheduled, not {value.value}")
    return value


def _check_when_scheduled(post: ContentPost) -> None:
    # A draft may be unfinished (no media yet, a caption still too long); scheduling it promises it can go out.
    if post.status is PostStatus.SCHEDULED:
        check_publishable(post, {p: resolved_caption(post, p) for p in map(Platform, post.platforms)})


def _schedule(scheduled_for: datetime | None, status: PostStatus) -> datetime | None:
    if scheduled_for is None:
        if status is PostStatus.SCHEDULED:
            raise ValidationError("scheduled_for", "a scheduled post needs a time")
        return None
    return validation.aware("scheduled_for", scheduled_for)


def _overrides(overrides: dict[str, str] | None, chosen: list[Platform]) -> dict[str, str]:
    result: dict[str, str] = {}
    for key, text in (overrides or {}).items():
        platform = validation.platform(key)
        if platform not in chosen:
            raise ValidationError("caption_overrides", f"override for {platform.label}, which the post doesn't target")
        if not isinstance(text, str):
            raise ValidationError(f"caption_overrides.{platform.value}", "must be text")
        result[platform.value] = text
    return result


def _crops(
    crops: dict[str, dict[str, Any]], chosen: list[Platform], asset: MediaAsset, position: int
) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for key, spec in crops.items():
        platform = validation.platform(key)
        if platform not in chosen:
            raise ValidationError("crops", f"crop for {platform.label}, which the post doesn't target")
        if asset.kind is MediaKind.VIDEO:
            # Publishing crops pictures only: a crop on a video would be dropped without a word.
            raise ValidationError(
                f"crops.{platform.value}",
                f"media {position} ({asset.original_filename}) is a video; crops apply to images",
            )
        try:
            crop = CropSpec.from_dict(spec)
            if asset.width and asset.height:
                cropped_size((asset.width, asset.height), crop)  # a box outside the picture is refused now
            result[platform.value] = crop.to_dict()
        except (MediaError, ValueError, TypeError) as exc:
            raise ValidationError(f"crops.{platform.value}", str(exc)) from None
    return result


def _release_of_artist(session: Session, release_id: int | None, artist_id: int) -> int | None:
    if release_id is None:
        return None
    release = session.get(Release, release_id)
    if release is None:
        raise NotFound("release", release_id)
    if release.artist_id != artist_id:
        raise ValidationError("release_id", f"release {release_id} belongs to another artist")
    return release_id

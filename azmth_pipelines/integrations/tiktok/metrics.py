"""TikTok's numbers: video/query for posts (20 ids a call), user/info for the account, video/list for every video of
the account."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from azmth_pipelines.integrations.common.metrics import (
    AccountPost,
    AccountPostPages,
    Call,
    KnownCounts,
    MetricsReaders,
    PostCounts,
    PostReading,
    settled,
)
from azmth_pipelines.integrations.tiktok.client import MAX_IDS_PER_QUERY, TikTokClient
from azmth_pipelines.integrations.tiktok.models import Video
from azmth_pipelines.vocabulary import AccountPostKind

if TYPE_CHECKING:
    from azmth_pipelines.metrics.credentials import Credential
    from azmth_pipelines.metrics.targets import Target


def post_counts(video: Video) -> PostCounts:
    """Display API video object (tiktok-api-v2-video-query): view_count, like_count, comment_count,
    share_count. The Display API has no favourites/saves count, so saves is None."""
    return PostCounts(
        views=video.view_count,
        likes=video.like_count,
        comments=video.comment_count,
        shares=video.share_count,
        saves=None,
        raw={
            "view_count": video.view_count,
            "like_count": video.like_count,
            "comment_count": video.comment_count,
            "share_count": video.share_count,
        },
    )


async def read_posts(
    reading: PostReading, client: TikTokClient, credential: Credential, targets: Sequence[Target]
) -> None:
    token = credential.token or ""
    ids = [t.remote_id for t in targets]
    videos = await settled(reading, targets, reading.call(lambda: client.query_videos(token, ids)))
    if videos is None:
        return
    captured_at = reading.clock()
    by_id = {video.id: video for video in videos}
    for target in targets:
        video = by_id.get(target.remote_id)
        if video is None:
            # video/query silently leaves out ids that are not the caller's or no longer exist.
            reading.problem(target, "not_found", "TikTok did not return the video")
            continue
        reading.snapshot(target, post_counts(video), captured_at)


async def read_account(call: Call, client: TikTokClient, credential: Credential) -> dict[str, Any]:
    """user/info: follower_count, following_count, video_count, likes_count (with user.info.stats)."""
    token = credential.token or ""
    # user/info fails as a whole when a field's scope is missing: ask only the granted scopes' fields.
    info_scopes = [s for s in credential.granted_scopes if s.startswith("user.info.")] or ["user.info.basic"]
    info = await call(lambda: client.user_info(token, info_scopes))
    return {
        "followers": info.follower_count,
        "following": info.following_count,
        "post_count": info.video_count,
        "total_likes": info.likes_count,
        "raw": {
            "follower_count": info.follower_count,
            "following_count": info.following_count,
            "video_count": info.video_count,
            "likes_count": info.likes_count,
        },
    }


def _account_post(video: Video) -> AccountPost:
    posted_at = datetime.fromtimestamp(video.create_time, UTC) if video.create_time is not None else None
    return AccountPost(
        remote_id=video.id,
        posted_at=posted_at,
        permalink=video.share_url,
        # The Display API lists videos (photo posts are not video objects).
        kind=AccountPostKind.VIDEO,
        native_type="video",
        counts=post_counts(video),
    )


async def list_posts(call: Call, client: TikTokClient, credential: Credential, known: KnownCounts) -> AccountPostPages:
    """Every video of the account through video/list (needs video.list), following its cursor: a page may hold
    fewer than max_count videos while has_more is still true (video-list doc). Each video carries its
    counts, so `known` is not needed."""
    token = credential.token or ""
    cursor: int | None = None
    while True:
        page = await call(partial(client.list_videos_page, token, cursor=cursor))
        yield [_account_post(video) for video in page.videos]
        if not page.has_more or page.cursor is None or page.cursor == cursor:
            return
        cursor = page.cursor


READERS = MetricsReaders(
    batch=MAX_IDS_PER_QUERY, read_posts=read_posts, read_account=read_account, list_posts=list_posts
)

"""Instagram's numbers: media insights one media at a time (no multi-media insights read is documented), and
the IG user's followers_count, follows_count, media_count."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from azmth_pipelines.integrations.common.errors import PermanentError
from azmth_pipelines.integrations.common.metrics import (
    Call,
    MetricsReaders,
    PostCounts,
    PostReading,
    each_media,
    settled,
)
from azmth_pipelines.integrations.instagram.client import InstagramClient
from azmth_pipelines.integrations.instagram.models import MediaInsights, MediaProductType

if TYPE_CHECKING:
    from azmth_pipelines.metrics.credentials import Credential
    from azmth_pipelines.metrics.targets import Target

# Graph API code 100: a metric asked that the media's product type does not have.
_GRAPH_INVALID_PARAMETER = 100


def post_counts(insights: MediaInsights) -> PostCounts:
    """Media insights (instagram-media/insights, lifetime): views, likes, comments, shares, saved.

    Stories have no likes/comments/saved metric (None); `plays`/`impressions` were removed in v22.0 and are
    never read. Metrics not yet computed come back as an empty `data` list, hence None, not 0."""
    return PostCounts(
        views=insights.views,
        likes=insights.likes,
        comments=insights.comments,
        shares=insights.shares,
        saves=insights.saved,
        raw=asdict(insights),
    )


async def _read_post(reading: PostReading, client: InstagramClient, token: str, target: Target) -> None:
    insights = await settled(reading, [target], _insights(reading, client, token, target))
    if insights is not None:
        reading.snapshot(target, post_counts(insights), reading.clock())


async def _insights(reading: PostReading, client: InstagramClient, token: str, target: Target) -> MediaInsights:
    # Feed and reels share the asked metrics; stories differ (instagram-media/insights). Knowing the
    # placement saves the media lookup the client would otherwise make per post.
    product = MediaProductType.STORY if target.placement == "stories" else MediaProductType.FEED
    try:
        return await reading.call(lambda: client.media_insights(token, target.remote_id, media_product_type=product))
    except PermanentError as error:
        if error.code != _GRAPH_INVALID_PARAMETER:
            raise
        return await reading.call(lambda: client.media_insights(token, target.remote_id))


async def read_account(call: Call, client: InstagramClient, credential: Credential) -> dict[str, Any]:
    token = credential.token or ""
    info = await call(lambda: client.account(token, credential.external_account_id))
    return {
        "followers": info.followers_count,
        "following": info.follows_count,
        "post_count": info.media_count,
        "total_likes": None,
        "raw": {
            "followers_count": info.followers_count,
            "follows_count": info.follows_count,
            "media_count": info.media_count,
        },
    }


READERS = MetricsReaders(batch=1, read_posts=each_media(_read_post), read_account=read_account)

"""Instagram's numbers: media insights one media at a time (no multi-media insights read is documented), and
the IG user's followers_count, follows_count, media_count."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from azmth_pipelines.integrations.common.errors import PermanentError, PlatformError
from azmth_pipelines.integrations.common.metrics import (
    AccountPost,
    AccountPostPages,
    Call,
    KnownCounts,
    MetricsReaders,
    PostCounts,
    PostReading,
    each_media,
    settled,
)
from azmth_pipelines.integrations.common.remote_time import remote_time
from azmth_pipelines.integrations.instagram.client import InstagramClient
from azmth_pipelines.integrations.instagram.models import MediaInfo, MediaInsights, MediaProductType
from azmth_pipelines.vocabulary import AccountPostKind

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
    # Feed and reels share the asked metrics; stories differ (instagram-media/insights). Knowing the
    # placement saves the media lookup the client would otherwise make per post.
    product = MediaProductType.STORY if target.placement == "stories" else MediaProductType.FEED
    insights = await settled(reading, [target], _insights(reading.call, client, token, target.remote_id, product))
    if insights is not None:
        reading.snapshot(target, post_counts(insights), reading.clock())


async def _insights(call: Call, client: InstagramClient, token: str, media_id: str, product: str) -> MediaInsights:
    try:
        return await call(lambda: client.media_insights(token, media_id, media_product_type=product))
    except PermanentError as error:
        if error.code != _GRAPH_INVALID_PARAMETER:
            raise
        # The guessed product type was wrong: let the client look the media up.
        return await call(lambda: client.media_insights(token, media_id))


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


_KINDS = {"IMAGE": AccountPostKind.IMAGE, "VIDEO": AccountPostKind.VIDEO, "CAROUSEL_ALBUM": AccountPostKind.CAROUSEL}


async def _with_insights(
    call: Call, client: InstagramClient, token: str, media: MediaInfo, known: KnownCounts
) -> AccountPost:
    post = AccountPost(
        remote_id=media.id,
        posted_at=remote_time(media.timestamp),
        permalink=media.permalink,
        kind=_KINDS.get(media.media_type or "", AccountPostKind.OTHER),
        native_type=media.media_product_type or media.media_type,
    )
    if (counts := known(media.id)) is not None:
        return replace(post, counts=counts)
    product = media.media_product_type or MediaProductType.FEED
    try:
        return replace(post, counts=post_counts(await _insights(call, client, token, media.id, product)))
    except PlatformError as error:
        # One media's insights refused (e.g. posted before the account became a professional one): the post keeps
        # its row, counts NULL, and the reason.
        return replace(post, problem=str(error))


async def list_posts(
    call: Call, client: InstagramClient, credential: Credential, known: KnownCounts
) -> AccountPostPages:
    """Every media of the IG user (the media edge; stories are not listed), each with its lifetime insights: the
    edge has no views, shares or saves, so each media's insights are read as social_post_metrics reads them, or
    taken from `known` where that read was made tonight."""
    token = credential.token or ""
    after: str | None = None
    while True:
        media, after = await call(partial(client.media_page, token, credential.external_account_id, after=after))
        yield list(await asyncio.gather(*(_with_insights(call, client, token, item, known) for item in media)))
        if after is None:
            return


READERS = MetricsReaders(batch=1, read_posts=each_media(_read_post), read_account=read_account, list_posts=list_posts)

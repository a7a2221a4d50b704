"""Threads' numbers: media insights one media at a time, followers_count from threads_insights."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from azmth_pipelines.integrations.common.errors import PlatformError
from azmth_pipelines.integrations.common.metrics import (
    AccountPost,
    AccountPostPages,
    Call,
    KnownCounts,
    MetricsReaders,
    PostCounts,
    PostReading,
    each_media,
    reported_sum,
    settled,
)
from azmth_pipelines.integrations.common.remote_time import remote_time
from azmth_pipelines.integrations.threads.client import ThreadsClient
from azmth_pipelines.integrations.threads.models import ThreadsMediaInsights, ThreadsPost
from azmth_pipelines.vocabulary import AccountPostKind

if TYPE_CHECKING:
    from azmth_pipelines.metrics.credentials import Credential
    from azmth_pipelines.metrics.targets import Target


def post_counts(insights: ThreadsMediaInsights) -> PostCounts:
    """Threads media insights (threads/insights): views, likes, replies, reposts, quotes, shares.

    comments = replies (top-level only: nested replies are not counted by Threads). shares = reposts +
    quotes + shares (shares is "in development" and often absent). Threads has no saves: None."""
    return PostCounts(
        views=insights.views,
        likes=insights.likes,
        comments=insights.replies,
        shares=reported_sum(insights.reposts, insights.quotes, insights.shares),
        saves=None,
        raw=asdict(insights),
    )


async def _read_post(reading: PostReading, client: ThreadsClient, token: str, target: Target) -> None:
    insights = await settled(reading, [target], reading.call(lambda: client.media_insights(token, target.remote_id)))
    if insights is not None:
        reading.snapshot(target, post_counts(insights), reading.clock())


async def read_account(call: Call, client: ThreadsClient, credential: Credential) -> dict[str, Any]:
    token = credential.token or ""
    followers = await call(lambda: client.followers_count(token, credential.external_account_id))
    return {
        "followers": followers,
        "following": None,
        "post_count": None,
        "total_likes": None,
        "raw": {"followers_count": followers},
    }


_KINDS = {
    "TEXT_POST": AccountPostKind.TEXT,
    "IMAGE": AccountPostKind.IMAGE,
    "VIDEO": AccountPostKind.VIDEO,
    "CAROUSEL_ALBUM": AccountPostKind.CAROUSEL,
}
# A repost of someone else's post is listed on the account but is not the artist's post.
_REPOST = "REPOST_FACADE"


async def _with_insights(
    call: Call, client: ThreadsClient, token: str, thread: ThreadsPost, known: KnownCounts
) -> AccountPost:
    post = AccountPost(
        remote_id=thread.id,
        posted_at=remote_time(thread.timestamp),
        permalink=thread.permalink,
        kind=_KINDS.get(thread.media_type or "", AccountPostKind.OTHER),
        native_type=thread.media_type,
    )
    if (counts := known(thread.id)) is not None:
        return replace(post, counts=counts)
    try:
        return replace(post, counts=post_counts(await call(lambda: client.media_insights(token, thread.id))))
    except PlatformError as error:
        return replace(post, problem=str(error))


async def list_posts(call: Call, client: ThreadsClient, credential: Credential, known: KnownCounts) -> AccountPostPages:
    """Every post of the account (the threads edge, reposts of others left out), each with its media insights:
    the edge lists no counts. Insights read tonight already come from `known`."""
    token = credential.token or ""
    after: str | None = None
    while True:
        threads, after = await call(partial(client.post_page, token, credential.external_account_id, after=after))
        own = [thread for thread in threads if thread.media_type != _REPOST]
        yield list(await asyncio.gather(*(_with_insights(call, client, token, thread, known) for thread in own)))
        if after is None:
            return


READERS = MetricsReaders(batch=1, read_posts=each_media(_read_post), read_account=read_account, list_posts=list_posts)

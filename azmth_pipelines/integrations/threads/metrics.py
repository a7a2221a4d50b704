"""Threads' numbers: media insights one media at a time, followers_count from threads_insights."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from azmth_pipelines.integrations.common.metrics import (
    Call,
    MetricsReaders,
    PostCounts,
    PostReading,
    each_media,
    reported_sum,
    settled,
)
from azmth_pipelines.integrations.threads.client import ThreadsClient
from azmth_pipelines.integrations.threads.models import ThreadsMediaInsights

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


READERS = MetricsReaders(batch=1, read_posts=each_media(_read_post), read_account=read_account)

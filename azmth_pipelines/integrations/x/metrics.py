"""X's numbers: tweet lookup for posts (100 ids a call), users/me public_metrics for the account.

Reading posts is what X's access tiers restrict: the answers tell "reads refused" from "reads work" (not which
paid plan allows them), and the tier seen is recorded on the connection (social_connection.x_access_tier).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from functools import partial
from typing import TYPE_CHECKING, Any

from azmth_pipelines.integrations.common.errors import NotAvailableOnTier
from azmth_pipelines.integrations.common.metrics import (
    AccountPost,
    AccountPostPages,
    AccountPostsRefused,
    Call,
    KnownCounts,
    MetricsReaders,
    PostCounts,
    PostReading,
    reported_sum,
    settled,
)
from azmth_pipelines.integrations.common.remote_time import remote_time
from azmth_pipelines.integrations.x.client import MAX_IDS_PER_READ, XClient, tier_unavailable
from azmth_pipelines.integrations.x.models import Tweet
from azmth_pipelines.vocabulary import AccountPostKind

if TYPE_CHECKING:
    from azmth_pipelines.metrics.credentials import Credential
    from azmth_pipelines.metrics.targets import Target

X_TIER_FREE = "free"  # 403 client-forbidden: the access level is write-only
X_TIER_CAPPED = "usage_capped"  # the monthly read cap is spent
X_TIER_READS = "read_access"  # Basic, Pro, Enterprise or pay-per-use


def post_counts(tweet: Tweet) -> PostCounts:
    """X tweet public_metrics (x-api/fundamentals/metrics): impression_count, like_count, reply_count,
    retweet_count, quote_count, bookmark_count. shares = retweets + quotes; saves = bookmarks."""
    metrics = tweet.public_metrics
    if metrics is None:
        return PostCounts(raw={"public_metrics": None})
    return PostCounts(
        views=metrics.impression_count,
        likes=metrics.like_count,
        comments=metrics.reply_count,
        shares=reported_sum(metrics.retweet_count, metrics.quote_count),
        saves=metrics.bookmark_count,
        raw={"public_metrics": asdict(metrics)},
    )


async def read_posts(reading: PostReading, client: XClient, credential: Credential, targets: Sequence[Target]) -> None:
    token = credential.token or ""
    ids = [t.remote_id for t in targets]
    read = await settled(reading, targets, reading.call(lambda: client.tweets(token, ids)))
    if read is None:
        return
    if read.unavailable is not None:
        reading.access_tier(credential, X_TIER_CAPPED if read.unavailable.kind == "usage-capped" else X_TIER_FREE)
        message = f"X access level does not include reading posts ({read.unavailable.kind})"
        for target in targets:
            reading.problem(target, "tier", message)
        return
    if credential.x_access_tier != X_TIER_READS:
        reading.access_tier(credential, X_TIER_READS)
    captured_at = reading.clock()
    by_id = {tweet.id: tweet for tweet in read.tweets}
    errors = {error.resource_id: error for error in read.errors if error.resource_id}
    for target in targets:
        tweet = by_id.get(target.remote_id)
        if tweet is not None:
            reading.snapshot(target, post_counts(tweet), captured_at)
            continue
        refusal = errors.get(target.remote_id)
        kind = "not_found" if refusal is None or refusal.kind == "resource-not-found" else "error"
        detail = refusal.detail if refusal is not None else "X did not return the post"
        reading.problem(target, kind, detail)


async def read_account(call: Call, client: XClient, credential: Credential) -> dict[str, Any]:
    """users/me public_metrics: followers daily on every tier. X's user `like_count` counts likes the account
    gave, not received, so total_likes is None."""
    token = credential.token or ""
    user = await call(lambda: client.me(token))
    m = user.metrics
    return {
        "followers": m.followers_count,
        "following": m.following_count,
        "post_count": m.tweet_count,
        "total_likes": None,
        "raw": {"public_metrics": m.__dict__},
    }


def _kind(tweet: Tweet, media_types: Mapping[str, str]) -> AccountPostKind:
    types = [media_types.get(key) for key in tweet.media_keys]
    if not types:
        return AccountPostKind.TEXT
    if len(types) > 1:
        return AccountPostKind.CAROUSEL
    return AccountPostKind.IMAGE if types[0] == "photo" else AccountPostKind.VIDEO  # video, animated_gif


def _account_post(tweet: Tweet, media_types: Mapping[str, str]) -> AccountPost:
    return AccountPost(
        remote_id=tweet.id,
        posted_at=remote_time(tweet.created_at),
        # X's own form of a post's address that needs no username.
        permalink=f"https://x.com/i/web/status/{tweet.id}",
        kind=_kind(tweet, media_types),
        native_type="tweet",
        counts=post_counts(tweet),
    )


async def list_posts(call: Call, client: XClient, credential: Credential, known: KnownCounts) -> AccountPostPages:
    """The account's own posts through its timeline (the latest 3,200, retweets left out), with public metrics;
    AccountPostsRefused where the access level does not include reading posts. The listing carries
    the counts, so `known` is not needed."""
    token = credential.token or ""
    next_token: str | None = None
    while True:
        try:
            page = await call(
                partial(client.timeline_page, token, credential.external_account_id, pagination_token=next_token)
            )
        except NotAvailableOnTier as error:
            refusal = tier_unavailable(error)
            tier = X_TIER_CAPPED if refusal.kind == "usage-capped" else X_TIER_FREE
            raise AccountPostsRefused(
                f"X access level does not include reading posts ({refusal.kind})", tier=tier
            ) from error
        yield [_account_post(tweet, page.media_types) for tweet in page.tweets]
        if not page.next_token or not page.tweets:
            return
        next_token = page.next_token


READERS = MetricsReaders(
    batch=MAX_IDS_PER_READ, read_posts=read_posts, read_account=read_account, list_posts=list_posts
)

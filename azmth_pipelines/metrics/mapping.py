"""How each platform's numbers become views, likes, comments, shares and saves (docs/metrics.md).

A count is None (NULL in the database) where the platform offers no such number, or did not report it
this time; never 0 for "unknown". `raw` keeps every number the platform gave, so nothing is lost when
several of its fields fold into one of ours (X reposts + quotes -> shares).
"""

from dataclasses import asdict, dataclass, field
from typing import Any

from azmth_pipelines.integrations.instagram.models import MediaInsights
from azmth_pipelines.integrations.threads.models import ThreadsMediaInsights
from azmth_pipelines.integrations.tiktok.models import Video
from azmth_pipelines.integrations.x.models import Tweet

COUNT_NAMES = ("views", "likes", "comments", "shares", "saves")


@dataclass(frozen=True)
class PostCounts:
    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_columns(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in COUNT_NAMES}


def _sum(*values: int | None) -> int | None:
    """The sum of the reported parts; None only when no part was reported."""
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def from_tiktok(video: Video) -> PostCounts:
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


def from_instagram(insights: MediaInsights) -> PostCounts:
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


def from_threads(insights: ThreadsMediaInsights) -> PostCounts:
    """Threads media insights (threads/insights): views, likes, replies, reposts, quotes, shares.

    comments = replies (top-level only: nested replies are not counted by Threads). shares = reposts +
    quotes + shares (shares is "in development" and often absent). Threads has no saves: None."""
    return PostCounts(
        views=insights.views,
        likes=insights.likes,
        comments=insights.replies,
        shares=_sum(insights.reposts, insights.quotes, insights.shares),
        saves=None,
        raw=asdict(insights),
    )


def from_x(tweet: Tweet) -> PostCounts:
    """X tweet public_metrics (x-api/fundamentals/metrics): impression_count, like_count, reply_count,
    retweet_count, quote_count, bookmark_count. shares = retweets + quotes; saves = bookmarks."""
    metrics = tweet.public_metrics
    if metrics is None:
        return PostCounts(raw={"public_metrics": None})
    return PostCounts(
        views=metrics.impression_count,
        likes=metrics.like_count,
        comments=metrics.reply_count,
        shares=_sum(metrics.retweet_count, metrics.quote_count),
        saves=metrics.bookmark_count,
        raw={"public_metrics": asdict(metrics)},
    )

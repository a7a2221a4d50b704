"""A publish run's numbers: per platform, how many of the platform posts it worked stand in each state.

Read back from `per_platform` after the run, so the numbers are the states the posts show, named as the states are
(`x_published`, `x_retrying`, ...), never the kind of outcome (a platform error that will be retried is `retrying`).
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from azmth_pipelines.db.models import ContentPost
from azmth_pipelines.per_platform import PlatformState, state_of
from azmth_pipelines.publishing.planner import WorkItem
from azmth_pipelines.publishing.windows import publish_window
from azmth_pipelines.vocabulary import Platform

# Every state a worked platform post can end a run in; `publishing` is one in doubt, checked on a later tick.
COUNTED_STATES = (
    PlatformState.PUBLISHED,
    PlatformState.SENT_TO_INBOX,
    PlatformState.HANDED_OFF,
    PlatformState.PUBLISHING,
    PlatformState.RETRYING,
    PlatformState.FAILED,
    PlatformState.UNCONFIRMED,
)
# SQLite caps a statement's parameters; a window may hold thousands of posts.
_CHUNK = 500


def platform_counts(session: Session, items: Iterable[WorkItem]) -> dict[str, int]:
    """`<platform>_<state>` -> how many of `items` stand in that state now, for every platform and counted state
    (zeros included, so a chart of a platform's failures has a point for every run)."""
    platforms_by_post: dict[int, set[Platform]] = {}
    for item in items:
        platforms_by_post.setdefault(item.post_id, set()).add(item.platform)
    counts: Counter[str] = Counter()
    post_ids = sorted(platforms_by_post)
    for start in range(0, len(post_ids), _CHUNK):
        chunk = post_ids[start : start + _CHUNK]
        rows = session.execute(select(ContentPost.id, ContentPost.per_platform).where(ContentPost.id.in_(chunk)))
        for post_id, per_platform in rows:
            for platform in platforms_by_post[post_id]:
                counts[metric_name(platform, state_of((per_platform or {}).get(platform.value)))] += 1
    return {metric_name(p, s): counts[metric_name(p, s)] for p in Platform for s in COUNTED_STATES}


def metric_name(platform: Platform, state: PlatformState) -> str:
    return f"{platform.value}_{state.value}"


PLATFORM_COUNT_NAMES = frozenset(metric_name(p, s) for p in Platform for s in COUNTED_STATES)


def state_totals(counts: Mapping[str, int]) -> dict[str, int]:
    """The run's totals by state over every platform, from one or more shards' `platform_counts`."""
    totals: Counter[str] = Counter({state.value: 0 for state in COUNTED_STATES})
    for platform in Platform:
        for state in COUNTED_STATES:
            totals[state.value] += counts.get(metric_name(platform, state), 0)
    return dict(totals)


@dataclass(frozen=True)
class WindowCounts:
    """One publish window's posts and where their platform posts stand, by platform and state."""

    window: datetime
    posts: int
    states: dict[str, dict[str, int]]  # platform -> state -> platform posts


def window_counts(session: Session, *, since: datetime, until: datetime) -> list[WindowCounts]:
    """Every window from `since` to `until` holding a post that is not deleted (newest first), read from the database
    alone: the report ops read instead of the UI's partitions view of every window since the first."""
    rows = session.execute(
        select(ContentPost.scheduled_for, ContentPost.per_platform)
        .where(
            ContentPost.deleted_at.is_(None),
            ContentPost.scheduled_for >= since,
            ContentPost.scheduled_for < until,
        )
        .execution_options(yield_per=1000)
    )
    posts: Counter[datetime] = Counter()
    states: dict[datetime, dict[str, Counter[str]]] = {}
    for scheduled_for, per_platform in rows:
        window = publish_window(scheduled_for)
        posts[window] += 1
        by_platform = states.setdefault(window, {})
        for platform, entry in (per_platform or {}).items():
            by_platform.setdefault(platform, Counter())[state_of(entry).value] += 1
    return [
        WindowCounts(window, posts[window], {p: dict(c) for p, c in sorted(states[window].items())})
        for window in sorted(posts, reverse=True)
    ]

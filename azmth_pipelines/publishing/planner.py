"""Which (post, platform) pairs a window has to work now, and which windows have work at all."""

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from azmth_pipelines.db.models import ContentPost
from azmth_pipelines.publishing.state import PlatformEntry, PlatformState, is_due
from azmth_pipelines.publishing.windows import window_bounds, window_start
from azmth_pipelines.vocabulary import Platform, PostStatus

# Posts the orchestrator looks at: drafts are never published; failed ones only by a manual re-run.
_ACTIVE = (PostStatus.SCHEDULED, PostStatus.POSTED)
_ACTIVE_OR_FAILED = (*_ACTIVE, PostStatus.FAILED)


@dataclass(frozen=True, order=True)
class WorkItem:
    artist_id: int
    post_id: int
    platform: Platform


def _needs_work(entry: PlatformEntry, now: datetime, manual: bool) -> bool:
    # An attempt in flight is looked at too: the ledger decides whether its lease ran out.
    return entry.state is PlatformState.PUBLISHING or is_due(entry, now, manual=manual)


def _candidates(session: Session, *, start: datetime | None, end: datetime, manual: bool) -> list[ContentPost]:
    query = select(ContentPost).where(
        ContentPost.deleted_at.is_(None),
        ContentPost.status.in_(_ACTIVE_OR_FAILED if manual else _ACTIVE),
        ContentPost.scheduled_for < end,
    )
    if start is not None:
        query = query.where(ContentPost.scheduled_for >= start)
    return list(session.scalars(query.order_by(ContentPost.id)))


def work_in_window(session: Session, window: datetime, *, now: datetime, manual: bool = False) -> list[WorkItem]:
    """The window's (post, platform) pairs that need an attempt or a reconciliation now."""
    start, end = window_bounds(window)
    items = []
    for post in _candidates(session, start=start, end=end, manual=manual):
        for name in post.platforms:
            entry = PlatformEntry.from_json((post.per_platform or {}).get(name))
            if _needs_work(entry, now, manual):
                items.append(WorkItem(post.artist_id, post.id, Platform(name)))
    return sorted(items)


def windows_with_work(session: Session, *, now: datetime) -> list[datetime]:
    """Every closed window with something due: the one that just closed, late posts, due retries.

    Only closed windows: a window still open may gain posts, and Dagster only knows completed windows.
    """
    windows = set()
    for post in _candidates(session, start=None, end=window_start(now), manual=False):
        assert post.scheduled_for is not None
        entries = [PlatformEntry.from_json((post.per_platform or {}).get(p)) for p in post.platforms]
        if any(_needs_work(e, now, False) for e in entries):
            windows.add(window_start(post.scheduled_for))
    return sorted(windows)


def shard_items(items: list[WorkItem], shard_count: int) -> list[list[WorkItem]]:
    """Split by artist (one account never spans two shards, so per-account limits hold within a shard)."""
    shards: list[list[WorkItem]] = [[] for _ in range(max(1, shard_count))]
    for item in items:
        shards[item.artist_id % len(shards)].append(item)
    return [s for s in shards if s]


def round_robin_by_account(items: list[WorkItem]) -> Iterator[WorkItem]:
    """One item of each (artist, platform) in turn, each account's items in their original order: a bounded
    window of work then spans many accounts instead of queueing behind one account's limit."""
    queues: dict[tuple[int, Platform], deque[WorkItem]] = {}
    for item in items:
        queues.setdefault((item.artist_id, item.platform), deque()).append(item)
    while queues:
        for key in list(queues):
            queue = queues[key]
            yield queue.popleft()
            if not queue:
                del queues[key]

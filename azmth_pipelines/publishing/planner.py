"""Which (post, platform) pairs a window has to work now, and which windows have work at all."""

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, or_, select
from sqlalchemy.orm import Session

from azmth_pipelines.db.models import ContentPost
from azmth_pipelines.publishing.invalid_rows import InvalidPostRow
from azmth_pipelines.publishing.state import PlatformEntry, PlatformState, is_due
from azmth_pipelines.publishing.windows import publish_window, window_bounds, window_start
from azmth_pipelines.vocabulary import Platform, PostStatus

# Posts the orchestrator looks at: drafts are never published; failed ones only by a manual re-run.
_ACTIVE = (PostStatus.SCHEDULED, PostStatus.POSTED)
_ACTIVE_OR_FAILED = (*_ACTIVE, PostStatus.FAILED)
# Far past the hours retries take, so a scheduler stopped for days still finds its unfinished retries.
SETTLED_LOOKBACK = timedelta(days=7)


@dataclass(frozen=True, order=True)
class WorkItem:
    artist_id: int
    post_id: int
    platform: Platform


def _needs_work(entry: PlatformEntry, now: datetime, manual: bool) -> bool:
    # An attempt in flight is looked at too: the ledger decides whether its lease ran out.
    return entry.state is PlatformState.PUBLISHING or is_due(entry, now, manual=manual)


def _candidates(
    session: Session, *, start: datetime | None, end: datetime, manual: bool, settled_since: datetime | None = None
) -> Sequence[Row[int, int, datetime, list[str], dict[str, Any]]]:
    """(post id, artist id, scheduled_for, platforms, per_platform) of the posts that may have work, in id order;
    just those columns, so a window of thousands of posts stays small. `settled_since`: posted posts last touched
    before it are left out (see windows_with_work)."""
    statuses = _ACTIVE_OR_FAILED if manual else _ACTIVE
    columns = (ContentPost.id, ContentPost.artist_id, ContentPost.scheduled_for, ContentPost.platforms)
    query = select(*columns, ContentPost.per_platform).where(
        ContentPost.deleted_at.is_(None), ContentPost.scheduled_for < end
    )
    if settled_since is None:
        query = query.where(ContentPost.status.in_(statuses))
    else:
        query = query.where(
            or_(
                ContentPost.status.in_([s for s in statuses if s is not PostStatus.POSTED]),
                and_(ContentPost.status == PostStatus.POSTED, ContentPost.updated_at >= settled_since),
            )
        )
    if start is not None:
        query = query.where(ContentPost.scheduled_for >= start)
    return session.execute(query.order_by(ContentPost.id)).all()


@dataclass(frozen=True)
class WindowWork:
    items: list[WorkItem]
    invalid_rows: list[InvalidPostRow]


@dataclass(frozen=True)
class DueWindows:
    windows: list[datetime]
    invalid_rows: list[InvalidPostRow]


def _platforms_needing_work(
    post_id: int, platforms: Any, per_platform: Any, now: datetime, manual: bool
) -> list[Platform] | InvalidPostRow:
    """The post's platforms that need work now, or what is wrong with its row."""
    if not isinstance(platforms, list) or not isinstance(per_platform, dict | None):
        return InvalidPostRow(post_id, "platforms must be a JSON list and per_platform a JSON object")
    due = []
    for name in platforms:
        try:
            platform = Platform(name)
        except ValueError:
            return InvalidPostRow(post_id, f"platforms: {name!r} is not one of {', '.join(p.value for p in Platform)}")
        data = (per_platform or {}).get(name)
        try:
            entry = PlatformEntry.from_json(data)
        except (ValueError, TypeError, AttributeError) as error:
            return InvalidPostRow(post_id, f"per_platform.{name} cannot be read ({type(error).__name__}: {error})")
        if _needs_work(entry, now, manual):
            due.append(platform)
    return due


def work_in_window(session: Session, window: datetime, *, now: datetime, manual: bool = False) -> WindowWork:
    """The window's (post, platform) pairs that need an attempt or a reconciliation now."""
    start, end = window_bounds(window)
    items: list[WorkItem] = []
    invalid: list[InvalidPostRow] = []
    for post_id, artist_id, _, platforms, per_platform in _candidates(session, start=start, end=end, manual=manual):
        due = _platforms_needing_work(post_id, platforms, per_platform, now, manual)
        if isinstance(due, InvalidPostRow):
            invalid.append(due)
            continue
        items.extend(WorkItem(artist_id, post_id, platform) for platform in due)
    return WindowWork(sorted(items), invalid)


def windows_with_work(session: Session, *, now: datetime) -> DueWindows:
    """Every closed window with something due: the one that just closed, late posts, due retries; and the rows that
    could not be read, which never hold up the others.

    Only closed windows: a window still open may gain posts, and Dagster only knows completed windows. A post
    scheduled before the first window is worked by the first window's run (publish_window). A posted post has work
    only while a platform is retrying or in flight, and every attempt touches the post's row (attempts come at most
    105 minutes apart, RESET_WAIT_LIMIT): posts settled longer ago than SETTLED_LOOKBACK are not read, else every tick
    would read every post ever published.
    """
    windows: set[datetime] = set()
    invalid: list[InvalidPostRow] = []
    candidates = _candidates(
        session, start=None, end=window_start(now), manual=False, settled_since=now - SETTLED_LOOKBACK
    )
    for post_id, _, scheduled_for, platforms, per_platform in candidates:
        due = _platforms_needing_work(post_id, platforms, per_platform, now, False)
        if isinstance(due, InvalidPostRow):
            invalid.append(due)
        elif due:
            windows.add(publish_window(scheduled_for))
    return DueWindows(sorted(windows), invalid)


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

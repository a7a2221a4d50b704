"""Checks on one nightly partition: what the asset checks of social_post_metrics and account_post_metrics evaluate."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from azmth_pipelines.db.models import AccountPostMetrics, ContentPost, SocialConnection, SocialPostMetrics
from azmth_pipelines.integrations.common.metrics import COUNT_NAMES
from azmth_pipelines.vocabulary import MetricSource

# Platforms do take numbers back (unlikes, deleted comments, spam views removed), so a small drop is
# normal; a drop beyond both bounds is worth a look.
SHRINK_TOLERANCE_RATIO = 0.01
SHRINK_TOLERANCE_ABS = 5


def _nightly(partition_date: date) -> ColumnElement[bool]:
    return and_(SocialPostMetrics.source == MetricSource.NIGHTLY, SocialPostMetrics.partition_date == partition_date)


def negative_count_rows(session: Session, partition_date: date) -> int:
    counts = [getattr(SocialPostMetrics, name) for name in COUNT_NAMES]
    return session.scalar(select(func.count()).where(_nightly(partition_date), or_(*(c < 0 for c in counts)))) or 0


def duplicate_snapshots(session: Session, partition_date: date) -> int:
    """Groups that should hold one row and hold more: the unique key, and one nightly row per post and
    platform in a partition (what the replace guarantees)."""
    m = SocialPostMetrics
    same_key = (
        select(m.post_id)
        .where(_nightly(partition_date))
        .group_by(m.post_id, m.platform, m.captured_at, m.source)
        .having(func.count() > 1)
        .subquery()
    )
    same_post = (
        select(m.post_id)
        .where(_nightly(partition_date))
        .group_by(m.post_id, m.platform)
        .having(func.count() > 1)
        .subquery()
    )
    return (session.scalar(select(func.count()).select_from(same_key)) or 0) + (
        session.scalar(select(func.count()).select_from(same_post)) or 0
    )


@dataclass(frozen=True)
class Shrink:
    post: str  # content_post id, or the account post's platform id
    platform: str
    metric: str
    before: int
    after: int


def _pairs(current: type[SocialPostMetrics] | type[AccountPostMetrics], previous: Any) -> list[ColumnElement[Any]]:
    return [
        column
        for name in COUNT_NAMES
        for column in (getattr(current, name).label(f"now_{name}"), getattr(previous, name).label(f"was_{name}"))
    ]


def _drops(rows: Iterable[Any], limit: int) -> tuple[int, list[Shrink]]:
    """Counts that dropped from the previous day's row by more than the tolerance: (total, samples). Each row has
    `post`, `platform` and now_/was_ columns per count."""
    total, samples = 0, list[Shrink]()
    for row in rows:
        for name in COUNT_NAMES:
            before, after = getattr(row, f"was_{name}"), getattr(row, f"now_{name}")
            if before is None or after is None:
                continue
            drop = before - after
            if drop > SHRINK_TOLERANCE_ABS and drop > before * SHRINK_TOLERANCE_RATIO:
                total += 1
                if len(samples) < limit:
                    samples.append(Shrink(str(row.post), str(row.platform), name, before, after))
    return total, samples


def shrinking_counts(session: Session, partition_date: date, limit: int = 20) -> tuple[int, list[Shrink]]:
    """Counts that dropped from the previous night's snapshot by more than the tolerance: (total, samples)."""
    current, previous = SocialPostMetrics, aliased(SocialPostMetrics)
    query = (
        select(current.post_id.label("post"), current.platform, *_pairs(current, previous))
        .join(
            previous,
            and_(
                previous.post_id == current.post_id,
                previous.platform == current.platform,
                previous.source == MetricSource.NIGHTLY,
                previous.partition_date == partition_date - timedelta(days=1),
            ),
        )
        .where(_nightly(partition_date))
        .execution_options(yield_per=1000)
    )
    return _drops(session.execute(query), limit)


def shrinking_account_post_counts(session: Session, partition_date: date, limit: int = 20) -> tuple[int, list[Shrink]]:
    """The same for account posts: each account post's counts against its row of the day before."""
    current, previous = AccountPostMetrics, aliased(AccountPostMetrics)
    query = (
        select(current.remote_post_id.label("post"), current.platform, *_pairs(current, previous))
        .join(
            previous,
            and_(
                previous.connection_id == current.connection_id,
                previous.remote_post_id == current.remote_post_id,
                previous.partition_date == partition_date - timedelta(days=1),
            ),
        )
        .where(current.partition_date == partition_date)
        .execution_options(yield_per=1000)
    )
    return _drops(session.execute(query), limit)


def _read_that_night(partition_date: date) -> Any:
    """(connection, platform post id, AZMTH post) of every post the night's pull read: AZMTH's live posts."""
    m, post, connection = SocialPostMetrics, ContentPost, SocialConnection
    return (
        select(connection.id.label("connection_id"), m.remote_post_id, m.post_id)
        .join(post, post.id == m.post_id)
        .join(connection, and_(connection.artist_id == post.artist_id, connection.platform == m.platform))
        .where(_nightly(partition_date))
        .subquery()
    )


def accounts_not_listed(session: Session, partition_date: date) -> list[int]:
    """Connections whose posts the night's pull read but whose account listing wrote no row that day."""
    read = _read_that_night(partition_date)
    listed = select(AccountPostMetrics.connection_id).where(AccountPostMetrics.partition_date == partition_date)
    return list(
        session.scalars(
            select(read.c.connection_id)
            .where(read.c.connection_id.not_in(listed))
            .distinct()
            .order_by(read.c.connection_id)
        )
    )


def unmatched_azmth_posts(session: Session, partition_date: date, limit: int = 20) -> tuple[int, list[str]]:
    """AZMTH posts the night's pull read on an account that was listed that day, without a listed row carrying
    their post id: (total, samples)."""
    read, a = _read_that_night(partition_date), AccountPostMetrics
    listed_accounts = select(a.connection_id).where(a.partition_date == partition_date)
    matched = select(a.id).where(
        a.partition_date == partition_date,
        a.connection_id == read.c.connection_id,
        a.remote_post_id == read.c.remote_post_id,
        a.post_id == read.c.post_id,
    )
    query = select(read.c.post_id, read.c.remote_post_id).where(
        read.c.connection_id.in_(listed_accounts), ~matched.exists()
    )
    found = session.execute(query.order_by(read.c.post_id)).all()
    return len(found), [f"post {row.post_id} ({row.remote_post_id})" for row in found[:limit]]

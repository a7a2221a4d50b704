"""Checks on one nightly partition: what the asset checks of social_post_metrics evaluate."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from azmth_pipelines.db.models import SocialPostMetrics
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
    post_id: int
    platform: str
    metric: str
    before: int
    after: int


def shrinking_counts(session: Session, partition_date: date, limit: int = 20) -> tuple[int, list[Shrink]]:
    """Counts that dropped from the previous night's snapshot by more than the tolerance: (total, samples)."""
    current, previous = SocialPostMetrics, aliased(SocialPostMetrics)
    columns = [
        column
        for name in COUNT_NAMES
        for column in (getattr(current, name).label(f"now_{name}"), getattr(previous, name).label(f"was_{name}"))
    ]
    query = (
        select(current.post_id, current.platform, *columns)
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
    total, samples = 0, list[Shrink]()
    for row in session.execute(query):
        for name in COUNT_NAMES:
            before, after = getattr(row, f"was_{name}"), getattr(row, f"now_{name}")
            if before is None or after is None:
                continue
            drop = before - after
            if drop > SHRINK_TOLERANCE_ABS and drop > before * SHRINK_TOLERANCE_RATIO:
                total += 1
                if len(samples) < limit:
                    samples.append(Shrink(row.post_id, str(row.platform), name, before, after))
    return total, samples

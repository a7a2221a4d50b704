"""Writing snapshots: staged on disk during a pull, then written in batches in one short transaction.

A nightly sync reads for minutes (hours at real-API latency over 100,000 posts). Holding the write
transaction open meanwhile would lock SQLite's only writer (the publisher) for all that time, and
keeping the rows in memory would grow with N. So rows go to a local spool file while the pull runs,
and only the delete-and-insert of the partition happens inside the transaction.
"""

import pickle
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import IO, Any, cast

from sqlalchemy import Table, delete, insert, update
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.models import AccountMetricsSnapshot, AccountPostMetrics, SocialConnection, SocialPostMetrics
from azmth_pipelines.metrics.pull import Snapshot
from azmth_pipelines.metrics.targets import EVERY_POST, PostRange
from azmth_pipelines.vocabulary import MetricSource

INSERT_BATCH = 1000
# Rows are inserted through the tables, not the mapped classes: they are plain column dicts already, and the
# ORM's bulk-insert path only added per-row work (on SQLite 39,000 rows/s through the class, 46,000 through
# the table, for one executemany of INSERT_BATCH rows either way).
# Core inserts of whole batches (executemany), not ORM objects; a mapped class's table is typed as a FromClause.
_POST_METRICS = cast(Table, SocialPostMetrics.__table__)


class Spool:
    """Rows appended in pages to an anonymous temporary file, read back in the same pages."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()/__exit__
        self.count = 0

    def add(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            pickle.dump(rows, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self.count += len(rows)

    def batches(self) -> Iterator[list[dict[str, Any]]]:
        self._file.flush()
        self._file.seek(0)
        while True:
            try:
                rows: list[dict[str, Any]] = pickle.load(self._file)
            except EOFError:
                return
            for start in range(0, len(rows), INSERT_BATCH):
                yield rows[start : start + INSERT_BATCH]

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def snapshot_row(snapshot: Snapshot, source: MetricSource, partition_date: date | None = None) -> dict[str, Any]:
    return {
        "post_id": snapshot.target.post_id,
        "platform": snapshot.target.platform,
        "remote_post_id": snapshot.target.remote_id,
        "captured_at": snapshot.captured_at,
        "source": source,
        "partition_date": partition_date,
        **snapshot.counts.as_columns(),
        "raw": snapshot.counts.raw,
    }


def replace_nightly_partition(
    sessions: sessionmaker[Session], partition_date: date, spool: Spool, posts: PostRange = EVERY_POST
) -> int:
    """The partition's nightly rows of `posts` become the spool's rows; other posts, sources and days are untouched."""
    written = 0
    with sessions.begin() as session:
        session.execute(
            delete(SocialPostMetrics).where(
                SocialPostMetrics.source == MetricSource.NIGHTLY,
                SocialPostMetrics.partition_date == partition_date,
                posts.holds(SocialPostMetrics.post_id),
            )
        )
        for batch in spool.batches():
            session.execute(insert(_POST_METRICS), batch)
            written += len(batch)
    return written


def append_snapshots(session: Session, rows: Iterable[dict[str, Any]]) -> int:
    batch = list(rows)
    for start in range(0, len(batch), INSERT_BATCH):
        session.execute(insert(_POST_METRICS), batch[start : start + INSERT_BATCH])
    return len(batch)


def replace_account_partition(sessions: sessionmaker[Session], partition_date: date, spool: Spool) -> int:
    return _replace_day(sessions, AccountMetricsSnapshot, partition_date, spool)


def record_x_tiers(session: Session, tiers: Mapping[int, str], now: datetime) -> None:
    """Write the X access tier each connection's answers showed (connection id -> tier)."""
    for connection_id, tier in tiers.items():
        session.execute(
            update(SocialConnection)
            .where(SocialConnection.id == connection_id, SocialConnection.x_access_tier.is_distinct_from(tier))
            .values(x_access_tier=tier, updated_at=now)
        )


def replace_account_posts_partition(sessions: sessionmaker[Session], partition_date: date, spool: Spool) -> int:
    return _replace_day(sessions, AccountPostMetrics, partition_date, spool)


def _replace_day(
    sessions: sessionmaker[Session],
    model: type[AccountMetricsSnapshot] | type[AccountPostMetrics],
    partition_date: date,
    spool: Spool,
) -> int:
    """The day's rows of a daily table become the spool's rows, in one transaction: a re-run replaces the day."""
    written = 0
    table = cast(Table, model.__table__)
    with sessions.begin() as session:
        session.execute(delete(model).where(model.partition_date == partition_date))
        for batch in spool.batches():
            session.execute(insert(table), batch)
            written += len(batch)
    return written

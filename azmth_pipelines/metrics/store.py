"""Writing snapshots: staged on disk during a pull, then written in batches in short transactions.

A nightly sync reads for minutes (hours at real-API latency over 100,000 posts). Holding the write
transaction open meanwhile would lock SQLite's only writer (the publisher) for all that time, and
keeping the rows in memory would grow with N. So rows go to a local spool file while the pull runs,
and only the delete-and-insert of the partition happens inside transactions: one per NIGHTLY_COMMIT_ROWS rows
(a million posts are four million rows, two minutes of SQLite's writer in one transaction), each replacing a
contiguous range of post ids, the ranges together covering the whole slice pulled.
"""

import pickle
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import IO, Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.models import AccountMetricsSnapshot, AccountPostMetrics, SocialConnection, SocialPostMetrics
from azmth_pipelines.metrics.pull import Snapshot
from azmth_pipelines.metrics.targets import EVERY_POST, PostRange
from azmth_pipelines.vocabulary import MetricSource

INSERT_BATCH = 1000
# Rows per transaction of a nightly partition's replace: on SQLite (~30,000 rows/s) the publisher waits at most
# about a third of a second for the writer, and on either database a commit's cost is spread over 10,000 rows.
NIGHTLY_COMMIT_ROWS = 10_000
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

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        """The rows in the lists they were added in, in that order."""
        self._file.flush()
        self._file.seek(0)
        while True:
            try:
                rows: list[dict[str, Any]] = pickle.load(self._file)
            except EOFError:
                return
            yield rows

    def batches(self) -> Iterator[list[dict[str, Any]]]:
        for rows in self.pages():
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
    sessions: sessionmaker[Session],
    partition_date: date,
    spool: Spool,
    posts: PostRange = EVERY_POST,
    *,
    commit_rows: int = NIGHTLY_COMMIT_ROWS,
) -> int:
    """The partition's nightly rows of `posts` become the spool's rows; other posts, sources and days are untouched.

    The spool's pages are in post id order (pages of targets are). Each page replaces the rows of its own range of
    post ids, from its first post to the next page's first (the first page from `posts.start`, the last to
    `posts.end`), and a transaction commits once it wrote `commit_rows` rows. At every commit each post has one
    night's row per platform, this run's or the previous run's, never both; a run that fails while writing leaves
    the posts before its failed range with new rows and the rest with old ones, and its re-run replaces them all.

    The rows replaced are found once, before writing, and deleted by primary key: a delete per range by
    (source, partition_date, post_id) is read by SQLite through ix_social_post_metrics_partition_date, i.e. all
    of the day's rows for every range, quadratic in the night's size."""
    written = 0
    with Spool() as replaced, sessions() as session:
        _spool_replaced_rows(session, partition_date, posts, replaced)
        old_rows = _Peekable(row for page in replaced.pages() for row in page)
        in_transaction = 0
        for post_range, rows in _ranged_pages(spool, posts):
            old_ids = old_rows.take_below(post_range.end)
            for start in range(0, len(old_ids), INSERT_BATCH):
                session.execute(
                    delete(_POST_METRICS).where(_POST_METRICS.c.id.in_(old_ids[start : start + INSERT_BATCH]))
                )
            for start in range(0, len(rows), INSERT_BATCH):
                session.execute(insert(_POST_METRICS), rows[start : start + INSERT_BATCH])
            written += len(rows)
            in_transaction += len(rows) + len(old_ids)
            if in_transaction >= commit_rows:
                session.commit()
                in_transaction = 0
        session.commit()
    return written


def _spool_replaced_rows(session: Session, partition_date: date, posts: PostRange, replaced: Spool) -> None:
    """(post id, row id) of the partition's nightly rows of `posts`, in post id order, to the `replaced` spool."""
    query = (
        select(SocialPostMetrics.post_id, SocialPostMetrics.id)
        .where(
            SocialPostMetrics.source == MetricSource.NIGHTLY,
            SocialPostMetrics.partition_date == partition_date,
            posts.holds(SocialPostMetrics.post_id),
        )
        .order_by(SocialPostMetrics.post_id)
        .execution_options(yield_per=INSERT_BATCH)
    )
    for part in session.execute(query).partitions():
        replaced.add([{"post_id": post_id, "id": row_id} for post_id, row_id in part])
    session.commit()  # the read ends here: no snapshot is held while writing


class _Peekable:
    """Rows in post id order, taken a range at a time."""

    def __init__(self, rows: Iterator[dict[str, Any]]) -> None:
        self._rows = rows
        self._next = next(rows, None)

    def take_below(self, end: int | None) -> list[int]:
        """The ids of the rows before post `end` (all of them for None)."""
        ids = []
        while self._next is not None and (end is None or self._next["post_id"] < end):
            ids.append(self._next["id"])
            self._next = next(self._rows, None)
        return ids


def _ranged_pages(spool: Spool, posts: PostRange) -> Iterator[tuple[PostRange, list[dict[str, Any]]]]:
    """Each spooled page with the range of post ids it replaces; the ranges tile `posts` (one empty page if none)."""
    pages = (rows for rows in spool.pages() if rows)
    current = next(pages, None)
    if current is None:
        yield posts, []
        return
    lower = posts.start
    for following in pages:
        upper = min(row["post_id"] for row in following)
        yield _checked(PostRange(lower, upper), current)
        lower, current = upper, following
    yield _checked(PostRange(lower, posts.end), current)


def _checked(post_range: PostRange, rows: list[dict[str, Any]]) -> tuple[PostRange, list[dict[str, Any]]]:
    # A row outside its page's range would be deleted again by the range it belongs to: never write one.
    if any(
        row["post_id"] < post_range.start or (post_range.end is not None and row["post_id"] >= post_range.end)
        for row in rows
    ):
        raise ValueError(f"spooled rows are not in post id order: a page's rows leave {post_range}")
    return post_range, rows


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

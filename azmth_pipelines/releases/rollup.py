"""Release roll-ups: what a campaign's tagged posts, pre-saves and streams add up to.

Split on purpose (docs/releases.md has the measurement): the database reduces the millions of snapshot
rows, in one pass over the day rows (post_metrics_daily's rule: each post's last snapshot of each UTC day),
to one row per post and platform (its latest snapshot) and one per release, day and platform (the day's
gains), and pandas lays those few rows side by side with pre-saves and streams. Deleted posts are left out;
posts count for the release they are tagged with now, so moving a post moves its numbers.

Rows are replaced per release in one transaction that first locks the releases' rows, so two runs of the
same release one after the other never leave a mix.

Incremental: the same transaction writes each release's high-water marks (release_rollup_mark: the highest
snapshot and pre-save ids, the latest stream import, the ISRC). The next roll-up of the release recomputes
its day rows only from the earliest day whose inputs changed since (a new snapshot's day or nightly partition,
a new pre-save's day, a new stream's day, every day of a post that joined or left the release), reading each
post's last day row before that day for the first gain; the earlier day rows stay. The totals and the
contributions are rewritten whole, from the recomputed posts' latest snapshots and the stored ones of the
posts with no snapshot since. A release with no change is left as it is. `full=True` recomputes everything.
"""

import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    Engine,
    Integer,
    String,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.locking import locked
from azmth_pipelines.db.models import (
    ContentPost,
    PresaveEvent,
    Release,
    ReleaseCampaignRollup,
    ReleasePostContribution,
    ReleaseRollupMark,
    ReleaseStreamDaily,
    SocialPostMetrics,
)
from azmth_pipelines.db.types import UTCDateTime, utcnow

COUNTS = ["views", "likes", "comments", "shares", "saves"]
ENGAGEMENT_COUNTS = ["likes", "comments", "shares", "saves"]
ALL_PLATFORMS = "all"
CAMPAIGN_COLUMNS = ["day", "platform", "post_platforms", *COUNTS, "engagements", "presaves", "clicks", "streams"]
CONTRIBUTION_COLUMNS = [
    "post_id",
    "platform",
    "remote_post_id",
    "captured_at",
    *COUNTS,
    "engagements",
    "engagement_share",
    "presaves",
    "clicks",
]
# Up to this many posts, pick the metric rows by post id: only those posts' rows are read, through
# ix_social_post_metrics_latest. Past it, one scan of the table is cheaper than that many index probes.
POST_FILTER_LIMIT = 5000
# Past POST_FILTER_LIMIT, rollup_releases splits the snapshot query by post id over this many connections
# at once: PostgreSQL runs a query's window and aggregate on one core (no parallel workers for them), and
# the machine measured in docs/releases.md has two.
PARALLEL_CONNECTIONS = 2
# Rows per slice of CSV sent to COPY (see _CsvSlices).
COPY_SLICE_ROWS = 10_000
# The incremental roll-up finds each pair's row before its from-day among the rows of the days just before
# (one range of ix_social_post_metrics_captured_at: nightly pairs all have one) and probes ix_social_post_metrics_latest
# only for the pairs with none; a probe per pair cost about 12 µs, 1 s for the 88,000 pairs of the 10M-row bench.
LOOKBACK_DAYS = 1
# A release's first day to recompute: None recomputes every day; NO_DAYS none (only the totals and the
# contributions change, e.g. a post with pre-saves through its link but no snapshot moved away).
NO_DAYS = date.max


@dataclass
class ReleaseRollup:
    release_id: int
    computed_at: datetime
    campaign: pd.DataFrame
    contributions: pd.DataFrame

    def totals(self, platform: str = ALL_PLATFORMS) -> dict[str, Any]:
        rows = self.campaign[self.campaign["day"].isna() & (self.campaign["platform"] == platform)]
        return _records(rows)[0] if len(rows) else {}

    def daily(self, platform: str = ALL_PLATFORMS) -> list[dict[str, Any]]:
        rows = self.campaign[self.campaign["day"].notna() & (self.campaign["platform"] == platform)]
        return _records(rows.sort_values("day"))

    def as_dict(self) -> dict[str, Any]:
        platforms = [p for p in self.campaign["platform"].unique() if p != ALL_PLATFORMS]
        return {
            "release_id": self.release_id,
            "computed_at": self.computed_at.isoformat(),
            "totals": self.totals(),
            "platforms": {p: self.totals(p) for p in sorted(platforms)},
            "posts": _records(self.contributions.sort_values(["post_id", "platform"])),
            "daily": self.daily(),
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Plain Python values, None for missing (never NaN), for JSON and for inserts."""
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{str(k): _plain(v) for k, v in r.items()} for r in records]


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def _utc_day(session: Session, column: str) -> str:
    if session.get_bind().dialect.name == "postgresql":
        return f"CAST({column} AT TIME ZONE 'UTC' AS DATE)"
    return f"date({column})"


def _tune(connection: Connection) -> None:
    """For this transaction only: sorts and hashes of a batch stay in memory, and no JIT compile (it costs
    more than it saves on these queries: 20-100 ms each, as long as a whole one-release roll-up)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL work_mem = '256MB'"))
        connection.execute(text("SET LOCAL jit = off"))


@dataclass(frozen=True)
class _Scope:
    """Which metric rows are the releases': those of their live tagged posts, picked by post id for a few
    posts (`column` "post_id", `ids` the posts), else by release (`column` "release_id")."""

    column: str
    ids: list[int]
    post_ids: list[int]

    def chunks(self, count: int) -> list[dict[str, Any]]:
        """Query parameters for `count` post-id ranges with about as many posts each (a post never spans two)."""
        posts = self.post_ids or [-1]
        size = -(-len(posts) // count)
        parts = [posts[start : start + size] for start in range(0, len(posts), size)]
        return [{"ids": self.ids, "low": part[0], "high": part[-1]} for part in parts]


def _scope(session: Session, release_ids: Sequence[int]) -> _Scope:
    post_ids = sorted(
        session.scalars(
            select(ContentPost.id).where(ContentPost.release_id.in_(release_ids), ContentPost.deleted_at.is_(None))
        )
    )
    if len(post_ids) <= POST_FILTER_LIMIT:
        return _Scope("post_id", post_ids or [-1], post_ids)
    return _Scope("release_id", list(release_ids), post_ids)


def _day_rows(dialect: str, scope: _Scope) -> str:
    """SQL for the day rows of the posts in scope and in the post-id range :low to :high: per post, platform
    and UTC day, its last snapshot.

    post_metrics_daily's rule, read from the table on PostgreSQL: the view numbers every snapshot with a
    window (one serial pass over all of them); DISTINCT ON in the same order lets parallel workers do the
    sort, then keeps each day's first row by comparing neighbours (docs/releases.md has the plans)."""
    columns = ["remote_post_id", "captured_at", *COUNTS]
    if dialect != "postgresql":
        return f"""
            SELECT release_id, post_id, platform, day, {", ".join(columns)} FROM post_metrics_daily
            WHERE {scope.column} IN :ids AND post_id BETWEEN :low AND :high"""
    return f"""
        SELECT DISTINCT ON (m.post_id, m.platform, day)
               p.release_id, m.post_id, m.platform, CAST(m.captured_at AT TIME ZONE 'UTC' AS DATE) AS day,
               {", ".join(f"m.{c}" for c in columns)}
        FROM social_post_metrics m JOIN content_post p ON p.id = m.post_id AND p.deleted_at IS NULL
        WHERE {"m.post_id" if scope.column == "post_id" else "p.release_id"} IN :ids
          AND m.post_id BETWEEN :low AND :high
        ORDER BY m.post_id, m.platform, day, m.captured_at DESC, m.id DESC"""


def _frame(session: Session, sql: str, params: dict[str, Any], binds: list[Any], **types: Any) -> pd.DataFrame:
    statement = text(sql).bindparams(*binds)
    return _read(session.connection(), statement.columns(**types) if types else statement, params)


def _read(connection: Connection, statement: Any, params: dict[str, Any]) -> pd.DataFrame:
    result = connection.execute(statement, params)
    columns = list(result.keys())
    if connection.dialect.name == "postgresql":
        # psycopg2's own tuples, already typed (dates, aware times, ints): SQLAlchemy's rows and their
        # processors cost 0.3-0.5 s of Python per 46,000 rows of the incremental snapshot query.
        rows = result.cursor.fetchall() if result.cursor is not None else []
        result.close()
        return pd.DataFrame.from_records(rows, columns=columns)
    # Plain tuples: pandas builds a frame from SQLAlchemy Row objects one value at a time (1.0 s instead of
    # 0.15 s for 166,000 pre-save rows; docs/releases.md).
    return pd.DataFrame([tuple(row) for row in result], columns=columns)


def _read_on_snapshot(
    bind: Engine, snapshot: str, statement: Any, params: dict[str, Any], settings: Mapping[str, str]
) -> pd.DataFrame:
    with bind.connect() as connection:
        # An imported snapshot needs REPEATABLE READ (READ COMMITTED would take a new one per statement), and
        # SET TRANSACTION SNAPSHOT must be the transaction's first statement.
        connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            connection.exec_driver_sql("SET TRANSACTION SNAPSHOT %s", (snapshot,))
            _tune(connection)
            return _read_with(connection, statement, params, settings)


# PostgreSQL settings for one statement of the incremental roll-up: no nested loop where another join will
# do. Its days are newer than the table's statistics until the next ANALYZE (autovacuum runs it after a
# tenth of the table changed: every few weeks of nights), so the planner guesses one row where there are
# 100,000 and nested-loops two of them: 374 s instead of 1 s, measured at 10M rows.
_INCREMENTAL_SETTINGS = {"enable_nestloop": "off"}
# And of the full one: its group by release, day and platform (plus a group per post for the latest row)
# gets a hash table of up to six times work_mem, 1.5 GB. The groups hold about 400 bytes each, 1 GB for the
# 100M-row bench's half on each connection, and the planner, guessing one million groups where there are
# 2.5 million, chose to sort all 50M windowed rows by group instead (197 s instead of 155 s for the query
# at 100M rows).
_FULL_SETTINGS = {"hash_mem_multiplier": "6"}


def _read_with(
    connection: Connection, statement: Any, params: dict[str, Any], settings: Mapping[str, str]
) -> pd.DataFrame:
    """The statement with `settings` (PostgreSQL), for this statement only."""
    if not settings or connection.dialect.name != "postgresql":
        return _read(connection, statement, params)
    for name, value in settings.items():
        connection.exec_driver_sql(f"SET LOCAL {name} = {value}")
    try:
        return _read(connection, statement, params)
    finally:
        for name in settings:
            connection.exec_driver_sql(f"SET LOCAL {name} TO DEFAULT")


def _read_chunks(
    session: Session, statement: Any, chunks: list[dict[str, Any]], *, settings: Mapping[str, str]
) -> list[pd.DataFrame]:
    """The statement once per chunk, at the same time: the first in the session, each other one on a
    connection of its own that imports the session's snapshot (pg_export_snapshot), so every chunk reads
    exactly the rows the session sees. Only for a transaction that has written nothing the chunks need:
    other connections never see a transaction's own uncommitted rows."""
    if len(chunks) == 1:
        return [_read_with(session.connection(), statement, chunks[0], settings)]
    snapshot = session.execute(text("SELECT pg_export_snapshot()")).scalar_one()
    bind = session.get_bind().engine
    with ThreadPoolExecutor(len(chunks) - 1) as pool:
        others = [pool.submit(_read_on_snapshot, bind, snapshot, statement, chunk, settings) for chunk in chunks[1:]]
        first = _read_with(session.connection(), statement, chunks[0], settings)
        return [first, *(other.result() for other in others)]


def _day_literal(dialect: str, day: date) -> str:
    """A day written into the SQL (dates of our own making, never input): PostgreSQL's DATE, SQLite's text."""
    return f"DATE '{day.isoformat()}'" if dialect == "postgresql" else f"'{day.isoformat()}'"


def _utc_day_of(dialect: str, column: str) -> str:
    return f"CAST({column} AT TIME ZONE 'UTC' AS DATE)" if dialect == "postgresql" else f"date({column})"


def _before_day(dialect: str, column: str, day: date) -> str:
    """`column` (a UTC timestamp) is earlier than `day`; on PostgreSQL comparable with the column's indexes."""
    if dialect == "postgresql":
        return f"{column} < TIMESTAMPTZ '{day.isoformat()} 00:00:00+00'"
    return f"date({column}) < '{day.isoformat()}'"


def _recent_day_rows(dialect: str, scope: _Scope, from_day: date) -> tuple[str, str]:
    """(CTEs, SQL) for the day rows from `from_day` on of the posts in scope, plus, per post and platform with
    such a row or with a stored latest snapshot from that day on, its last day row before `from_day` (`earlier`
    true): the previous row of the first gain, and the latest snapshot of a pair whose later rows are gone; and
    the stored latest snapshot of every other pair of the releases' live tagged posts (`earlier` true too).

    PostgreSQL reads the days from ix_social_post_metrics_captured_at (or ix_social_post_metrics_latest for a
    few posts), the rows before them from the LOOKBACK_DAYS before (the same index), and probes
    ix_social_post_metrics_latest once per pair with no row in those days."""
    columns = ["remote_post_id", "captured_at", *COUNTS]
    listed = ", ".join(columns)
    stored_pairs = f"""
            SELECT c.release_id, c.post_id, c.platform FROM release_post_contribution c
            JOIN content_post p ON p.id = c.post_id AND p.release_id = c.release_id AND p.deleted_at IS NULL
            WHERE c.release_id IN :release_ids AND c.post_id BETWEEN :low AND :high
              AND NOT ({_before_day(dialect, "c.captured_at", from_day)})"""
    # The other pairs' latest snapshots, as the last roll-up stored them: nothing of theirs is from from_day on.
    stored_latest = f"""
            SELECT c.release_id, c.post_id, c.platform, {_utc_day_of(dialect, "c.captured_at")},
                   {", ".join(f"c.{c}" for c in columns)}, {"true" if dialect == "postgresql" else "1"}
            FROM release_post_contribution c
            JOIN content_post p ON p.id = c.post_id AND p.release_id = c.release_id AND p.deleted_at IS NULL
            WHERE c.release_id IN :release_ids AND c.post_id BETWEEN :low AND :high
              AND {_before_day(dialect, "c.captured_at", from_day)}
              AND NOT EXISTS (SELECT 1 FROM pairs WHERE pairs.post_id = c.post_id AND pairs.platform = c.platform)"""
    if dialect != "postgresql":
        ctes = f"""
        WITH recent AS (
            SELECT release_id, post_id, platform, day, {listed} FROM post_metrics_daily
            WHERE {scope.column} IN :ids AND post_id BETWEEN :low AND :high AND day >= {_day_literal(dialect, from_day)}
        ), pairs AS (
            SELECT release_id, post_id, platform FROM recent UNION {stored_pairs}
        )"""
        rows = f"""
            SELECT release_id, post_id, platform, day, {listed}, 0 AS earlier FROM recent
            UNION ALL
            SELECT release_id, post_id, platform, day, {listed}, 1 FROM (
                SELECT pairs.release_id, d.post_id, d.platform, d.day, {", ".join(f"d.{c}" for c in columns)},
                       row_number() OVER (PARTITION BY d.post_id, d.platform ORDER BY d.day DESC) AS newest
                FROM pairs JOIN post_metrics_daily d ON d.post_id = pairs.post_id AND d.platform = pairs.platform
                WHERE d.day < {_day_literal(dialect, from_day)}
            ) earlier WHERE newest = 1
            UNION ALL {stored_latest}"""
        return ctes, rows
    since = f"TIMESTAMPTZ '{from_day.isoformat()} 00:00:00+00'"
    ctes = f"""
        WITH recent AS MATERIALIZED (
            SELECT DISTINCT ON (m.post_id, m.platform, day)
                   p.release_id, m.post_id, m.platform, CAST(m.captured_at AT TIME ZONE 'UTC' AS DATE) AS day,
                   {", ".join(f"m.{c}" for c in columns)}
            FROM social_post_metrics m JOIN content_post p ON p.id = m.post_id AND p.deleted_at IS NULL
            WHERE {"m.post_id" if scope.column == "post_id" else "p.release_id"} IN :ids
              AND m.post_id BETWEEN :low AND :high AND m.captured_at >= {since}
            ORDER BY m.post_id, m.platform, day, m.captured_at DESC, m.id DESC
        ), pairs AS MATERIALIZED (
            SELECT release_id, post_id, platform FROM recent UNION {stored_pairs}
        ), near AS MATERIALIZED (
            SELECT DISTINCT ON (m.post_id, m.platform)
                   m.post_id, m.platform, CAST(m.captured_at AT TIME ZONE 'UTC' AS DATE) AS day,
                   {", ".join(f"m.{c}" for c in columns)}
            FROM social_post_metrics m
            WHERE {"m.post_id IN :ids AND " if scope.column == "post_id" else ""}m.post_id BETWEEN :low AND :high
              AND m.captured_at < {since}
              AND m.captured_at >= {since} - interval '{LOOKBACK_DAYS} days'
            ORDER BY m.post_id, m.platform, m.captured_at DESC, m.id DESC
        ), missing AS MATERIALIZED (
            SELECT * FROM pairs
            WHERE NOT EXISTS (SELECT 1 FROM near WHERE near.post_id = pairs.post_id AND near.platform = pairs.platform)
        )"""
    rows = f"""
        SELECT release_id, post_id, platform, day, {listed}, false AS earlier FROM recent
        UNION ALL
        SELECT pairs.release_id, near.post_id, near.platform, near.day, {", ".join(f"near.{c}" for c in columns)}, true
        FROM near JOIN pairs ON pairs.post_id = near.post_id AND pairs.platform = near.platform
        UNION ALL
        SELECT missing.release_id, missing.post_id, missing.platform, CAST(b.captured_at AT TIME ZONE 'UTC' AS DATE),
               {", ".join(f"b.{c}" for c in columns)}, true
        FROM missing CROSS JOIN LATERAL (
            SELECT * FROM social_post_metrics b
            WHERE b.post_id = missing.post_id AND b.platform = missing.platform AND b.captured_at < {since}
            ORDER BY b.captured_at DESC, b.id DESC LIMIT 1
        ) b
        UNION ALL {stored_latest}"""
    return ctes, rows


_SNAPSHOT_TYPES: dict[str, Any] = dict(
    release_id=Integer(),
    day=Date(),
    platform=String(),
    post_id=Integer(),
    post_platforms=Integer(),
    **{f"{c}_gain": BigInteger() for c in COUNTS},
    remote_post_id=String(),
    captured_at=UTCDateTime(),
    **{c: BigInteger() for c in COUNTS},
)


def _snapshot_rows(
    session: Session, release_ids: Sequence[int], from_day: date | None, connections: int
) -> pd.DataFrame:
    """The releases' gains per day and platform and each post's latest row (post_id set), every day (from_day
    None) or from `from_day` on. Rows with `earlier` true carry only the latest snapshot of a pair with no day
    row from `from_day` on (their gains are not that day's)."""
    scope = _scope(session, release_ids)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # One lag of an array instead of five lags: the window fetches the previous row once, not five
        # times (measured on 784,000 day rows: 0.57 s instead of 0.77 s for the window step).
        previous = f"lag(ARRAY[{', '.join(COUNTS)}]) OVER w AS previous"
        gains = ", ".join(
            f"CAST(sum(CAST({c} - coalesce(previous[{i}], 0) AS FLOAT8)) AS BIGINT) AS {c}_gain"
            for i, c in enumerate(COUNTS, 1)
        )
    else:
        previous = ", ".join(f"lag({c}) OVER w AS previous_{c}" for c in COUNTS)
        gains = ", ".join(f"CAST(sum({c} - coalesce(previous_{c}, 0)) AS BIGINT) AS {c}_gain" for c in COUNTS)
    # CAST: PostgreSQL's sum of bigints is numeric, which arrives as Decimal objects that pandas adds up one
    # by one (pandas assembly of the 10M-row batch: 2.2 s instead of 0.8 s); sums of counts fit a bigint.
    # PostgreSQL sums them as FLOAT8, which adds integers exactly up to 2^53: a bigint sum keeps a 128-bit
    # accumulator per group, and the groups took twice the memory (the full query's hash table at 10M rows:
    # 225 MB instead of 110 MB), which at 100M rows made the planner sort instead of hash (_FULL_SETTINGS).
    latest = ", ".join(f"max({c}) FILTER (WHERE is_latest) AS {c}" for c in ["remote_post_id", "captured_at", *COUNTS])

    def windowed(day_rows: str) -> str:
        return f"""
            SELECT day_row.*, {previous}, lead(day) OVER w IS NULL AS is_latest
            FROM ({day_rows}) day_row
            WINDOW w AS (PARTITION BY post_id, platform ORDER BY day)"""

    if from_day is None:
        sql = f"""
        SELECT release_id, day, platform, CASE WHEN is_latest THEN post_id END AS post_id,
               count(*) AS post_platforms, {gains}, {latest}
        FROM ({windowed(_day_rows(dialect, scope))}) gained
        GROUP BY release_id, day, platform, CASE WHEN is_latest THEN post_id END"""
    else:
        # A few days of rows, so the windowed rows can be read twice: the gains summed per release, day and
        # platform, and each pair's latest row as it is (flagged `earlier`: no gains of its own). Grouping the
        # latest rows as groups of their own, as the full query does, was half of this query's 1.4 s at 10M.
        ctes, day_rows = _recent_day_rows(dialect, scope, from_day)
        true, false = ("true", "false") if dialect == "postgresql" else ("1", "0")
        snapshot_columns = ["remote_post_id", "captured_at", *COUNTS]
        sql = f"""{ctes}, gained AS MATERIALIZED ({windowed(day_rows)}
        )
        SELECT release_id, day, platform, NULL AS post_id, count(*) AS post_platforms, {gains},
               {", ".join(f"NULL AS {c}" for c in snapshot_columns)}, {false} AS earlier
        FROM gained WHERE NOT earlier GROUP BY release_id, day, platform
        UNION ALL
        SELECT release_id, day, platform, post_id, 0, {", ".join("NULL" for _ in COUNTS)},
               {", ".join(snapshot_columns)}, {true}
        FROM gained WHERE is_latest"""
    types = {**_SNAPSHOT_TYPES, **({"earlier": Boolean()} if from_day is not None else {})}
    binds: list[Any] = [bindparam("ids", expanding=True)]
    if from_day is not None:
        binds.append(bindparam("release_ids", expanding=True))
    statement = text(sql).bindparams(*binds).columns(**types)
    split = connections if dialect == "postgresql" and scope.column == "release_id" else 1
    chunks = [{**chunk, "release_ids": list(release_ids)} for chunk in scope.chunks(split)]
    settings = _FULL_SETTINGS if from_day is None else _INCREMENTAL_SETTINGS
    frame = pd.concat(_read_chunks(session, statement, chunks, settings=settings), ignore_index=True)
    return frame.assign(earlier=frame["earlier"].astype(bool) if from_day is not None else False)


def _snapshots(
    session: Session, release_ids: Sequence[int], connections: int, since: Mapping[int, date | None]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(each post and platform's latest snapshot, each release/day/platform's gains from its from-day on).

    One pass over the day rows: a post's day row minus its previous day row is that day's gain, and its last
    day row is its latest snapshot (the last snapshot of the last day is the latest of all). The database
    sums the gains per release, day and platform, except that each post's last day row comes back as a
    group of its own (post_id set), carrying the latest snapshot; pandas adds those into their days, and
    adds up the chunks when a big batch is split by post id over several connections.

    Releases are read in groups with the same from-day (`since`; None: every day). A group with a from-day
    reads the day rows from it on plus each pair's row before it, and the stored latest snapshot of every
    other pair (_recent_day_rows)."""
    groups: dict[date | None, list[int]] = {}
    for release_id in release_ids:
        groups.setdefault(since.get(release_id), []).append(release_id)
    frame = pd.concat(
        [
            _snapshot_rows(session, group, from_day, connections)
            for from_day, group in sorted(groups.items(), key=lambda item: item[0] or date.min)
        ],
        ignore_index=True,
    )
    per_post = frame["post_id"].notna()
    latest_rows = frame.loc[per_post, ["release_id", "post_id", "platform", "remote_post_id", "captured_at", *COUNTS]]
    latest_rows = latest_rows.astype({"release_id": "int64", "post_id": "int64"})
    gained = frame.loc[
        ~frame["earlier"].astype(bool),
        ["release_id", "day", "platform", "post_platforms", *(f"{c}_gain" for c in COUNTS)],
    ].rename(columns={f"{c}_gain": c for c in COUNTS})
    day_keys = ["release_id", "day", "platform"]
    days = gained.groupby(day_keys, as_index=False)[["post_platforms", *COUNTS]].sum(min_count=1)
    everything = days.groupby(["release_id", "day"], as_index=False)[["post_platforms", *COUNTS]].sum(min_count=1)
    all_gains = pd.concat([days, everything.assign(platform=ALL_PLATFORMS)], ignore_index=True)
    return latest_rows.reset_index(drop=True), all_gains


def _cut(session: Session, since: Mapping[int, date | None]) -> str:
    """A CTE `cut(release_id, from_day)`: each release's first recomputed day (every day: the first day there is)."""
    dialect = session.get_bind().dialect.name
    rows = ", ".join(
        f"({int(release_id)}, {_day_literal(dialect, day or date.min)})" for release_id, day in since.items()
    )
    return f"cut(release_id, from_day) AS (VALUES {rows or f'(-1, {_day_literal(dialect, date.min)})'})"


def _presaves(session: Session, since: Mapping[int, date | None]) -> pd.DataFrame:
    """Events per release, day, platform and kind from each release's from-day on, and those before it in one
    group per release, platform and kind (day NULL), for the totals."""
    day = _utc_day(session, "e.occurred_at")
    sql = f"""
        WITH {_cut(session, since)}
        SELECT e.release_id, CASE WHEN {day} >= cut.from_day THEN {day} END AS day, e.platform, e.kind,
               count(*) AS events
        FROM presave_event e JOIN cut ON cut.release_id = e.release_id
        GROUP BY 1, 2, 3, 4"""
    return _frame(session, sql, {}, [], day=Date())


def _presaves_by_post(session: Session, release_ids: Sequence[int]) -> pd.DataFrame:
    """Events whose source post is tagged with the event's release now and not deleted; the rest of a
    release's events count in its totals only (as unattributed)."""
    sql = """
        SELECT e.release_id, e.post_id, e.platform, e.kind, count(*) AS events
        FROM presave_event e
        JOIN content_post p ON p.id = e.post_id AND p.release_id = e.release_id AND p.deleted_at IS NULL
        WHERE e.release_id IN :release_ids AND e.platform IS NOT NULL
        GROUP BY e.release_id, e.post_id, e.platform, e.kind"""
    return _frame(session, sql, {"release_ids": list(release_ids)}, [bindparam("release_ids", expanding=True)])


def _streams(session: Session, since: Mapping[int, date | None]) -> pd.DataFrame:
    """Streams per release and day from its from-day on, and those before it in one row per release (day NULL).

    The days before come from the release's stored day rows (their streams are what the distributor reported
    for them, or a new report would have moved the from-day back): summing every stream row of every release
    took 0.4 s at 1,000 releases of 100 days; the stored rows are a twelfth of that. LATERAL (PostgreSQL): per
    release, a range of the (isrc, day, ...) index, where a join scanned every stream row (0.37 s -> 0.10 s)."""
    recent = """
        SELECT r.id AS release_id, s.day, CAST(sum(s.streams) AS BIGINT) AS streams
        FROM release r JOIN cut ON cut.release_id = r.id
        JOIN release_stream_daily s ON s.isrc = r.isrc AND s.day >= cut.from_day
        GROUP BY r.id, s.day"""
    if session.get_bind().dialect.name == "postgresql":
        recent = """
        SELECT r.id AS release_id, s.day, s.streams
        FROM release r JOIN cut ON cut.release_id = r.id
        CROSS JOIN LATERAL (
            SELECT s.day, CAST(sum(s.streams) AS BIGINT) AS streams FROM release_stream_daily s
            WHERE s.isrc = r.isrc AND s.day >= cut.from_day GROUP BY s.day
        ) s"""
    sql = f"""
        WITH {_cut(session, since)}
        {recent}
        UNION ALL
        SELECT k.release_id, NULL, CAST(sum(k.streams) AS BIGINT)
        FROM release_campaign_rollup k JOIN cut ON cut.release_id = k.release_id
        WHERE k.platform = '{ALL_PLATFORMS}' AND k.day < cut.from_day
        GROUP BY k.release_id HAVING count(k.streams) > 0"""
    return _frame(session, sql, {}, [], day=Date())


def _with_engagements(frame: pd.DataFrame) -> pd.DataFrame:
    frame["engagements"] = frame[ENGAGEMENT_COUNTS].sum(axis=1, min_count=1)
    return frame


def _kinds_wide(events: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """(keys..., kind, events) -> (keys..., presaves, clicks)."""
    if events.empty:
        return pd.DataFrame(columns=[*keys, "presaves", "clicks"])
    wide = events.pivot_table(index=keys, columns="kind", values="events", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=["presave", "click"], fill_value=0).rename(
        columns={"presave": "presaves", "click": "clicks"}
    )
    return wide.reset_index()


def _with_all(events: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Events per platform (those with one) plus every event under 'all'."""
    attributed = events[events["platform"].notna()].assign(platform=lambda f: f["platform"].astype(str))
    everything = events.assign(platform=ALL_PLATFORMS)
    summed = (
        pd.concat([attributed, everything], ignore_index=True)
        .groupby([*keys, "platform", "kind"], as_index=False)["events"]
        .sum()
    )
    # A DataFrame: as_index=False keeps the keys as columns (pandas-stubs types the selection as a Series).
    return cast(pd.DataFrame, summed)


def _contributions(latest: pd.DataFrame, by_post: pd.DataFrame) -> pd.DataFrame:
    keys = ["release_id", "post_id", "platform"]
    posts = _kinds_wide(by_post.assign(platform=by_post["platform"].astype(str)), keys)
    frame = latest.assign(platform=latest["platform"].astype(str)).merge(posts, on=keys, how="outer")
    frame = _with_engagements(frame)
    frame[["presaves", "clicks"]] = frame[["presaves", "clicks"]].fillna(0).astype("int64")
    release_total = frame.groupby("release_id")["engagements"].transform("sum")
    frame["engagement_share"] = (frame["engagements"] / release_total.where(release_total > 0)).astype("float64")
    for column in [*COUNTS, "engagements"]:
        frame[column] = frame[column].astype("Int64")
    frame[["release_id", "post_id"]] = frame[["release_id", "post_id"]].astype("int64")
    return frame[["release_id", *CONTRIBUTION_COLUMNS]].sort_values(keys).reset_index(drop=True)


def _totals(contributions: pd.DataFrame, events: pd.DataFrame, streams: pd.DataFrame) -> pd.DataFrame:
    """Campaign-to-date rows (day NULL): each platform's latest snapshots summed, and 'all' over them."""
    with_numbers = contributions[contributions["captured_at"].notna()]
    parts = []
    for keys, platform in ((["release_id", "platform"], None), (["release_id"], ALL_PLATFORMS)):
        grouped = with_numbers.groupby(keys)
        part = grouped[COUNTS].sum(min_count=1).join(grouped.size().rename("post_platforms")).reset_index()
        parts.append(part if platform is None else part.assign(platform=platform))
    totals = pd.concat(parts, ignore_index=True)
    if len(events):
        presaves = _kinds_wide(_with_all(events, ["release_id"]), ["release_id", "platform"])
        totals = totals.merge(presaves, on=["release_id", "platform"], how="outer")
    if len(streams):
        overall = streams.groupby("release_id", as_index=False)["streams"].sum().assign(platform=ALL_PLATFORMS)
        totals = totals.merge(overall, on=["release_id", "platform"], how="outer")
    totals["day"] = None
    return totals


def _daily(gains: pd.DataFrame, events: pd.DataFrame, streams: pd.DataFrame) -> pd.DataFrame:
    keys = ["release_id", "day", "platform"]
    daily = gains.assign(platform=gains["platform"].astype(str))
    if len(events):
        daily = daily.merge(_kinds_wide(_with_all(events, ["release_id", "day"]), keys), on=keys, how="outer")
    if len(streams):
        daily = daily.merge(streams.assign(platform=ALL_PLATFORMS), on=keys, how="outer")
    return daily


@dataclass
class Rollups:
    """Roll-ups of several releases as two frames keyed by release_id (the rows of the two tables)."""

    computed_at: datetime
    campaign: pd.DataFrame
    contributions: pd.DataFrame

    def release(self, release_id: int) -> ReleaseRollup:
        return ReleaseRollup(
            release_id=release_id,
            computed_at=self.computed_at,
            campaign=self.campaign[self.campaign["release_id"] == release_id].drop(columns="release_id"),
            contributions=self.contributions[self.contributions["release_id"] == release_id].drop(columns="release_id"),
        )


def compute_rollups(
    session: Session,
    release_ids: Sequence[int],
    *,
    now: datetime | None = None,
    connections: int = 1,
    since: Mapping[int, date | None] | None = None,
) -> Rollups:
    """Roll-ups of the given releases (those that exist), computed together: one query per kind of input,
    then pandas over the small results with release_id as one more key.

    `since`: per release, the first day to recompute (absent or None: every day; NO_DAYS: none). The campaign
    frame then holds the totals and the days from there on; the contributions are whole, the latest snapshots
    of pairs with no day row since taken from the stored contributions (what plan_rollups' marks vouch for).

    connections > 1 (PostgreSQL, a batch too big for the post-id filter): the snapshot query of the releases
    recomputed from scratch is split by post id over that many connections at once, the session's and helpers
    reading its snapshot. Only for a transaction that has not written the metrics, posts or releases itself
    (helpers cannot see that)."""
    now = now or utcnow()
    ids = sorted(set(session.scalars(select(Release.id).where(Release.id.in_(list(release_ids))))))
    cut = {release_id: (since or {}).get(release_id) for release_id in ids}
    _tune(session.connection())
    latest, gains = _snapshots(session, ids or [-1], connections, cut)
    events, by_post = _presaves(session, cut), _presaves_by_post(session, ids or [-1])
    streams = _streams(session, cut)

    contributions = _contributions(latest, by_post)
    daily = _daily(gains, events[events["day"].notna()], streams[streams["day"].notna()])
    campaign = pd.concat([_totals(contributions, events, streams), daily], ignore_index=True)
    campaign = _with_engagements(campaign.reindex(columns=["release_id", *CAMPAIGN_COLUMNS]))
    filled = ["post_platforms", "presaves", "clicks"]
    campaign[filled] = campaign[filled].fillna(0).astype("int64")
    for column in [*COUNTS, "engagements", "streams"]:
        campaign[column] = campaign[column].astype("Int64")
    campaign["release_id"] = campaign["release_id"].astype("int64")
    # Totals first, then the days in order; within a day platforms alphabetically ('all' first).
    campaign = campaign.sort_values(["release_id", "day", "platform"], na_position="first", key=_day_key)
    return Rollups(now, campaign.reset_index(drop=True), contributions)


def _day_key(column: pd.Series) -> pd.Series:
    return column.map(lambda d: d.toordinal() if isinstance(d, date) else -1) if column.name == "day" else column


def compute_rollup(session: Session, release_id: int) -> ReleaseRollup | None:
    if session.get(Release, release_id) is None:
        return None
    return compute_rollups(session, [release_id]).release(release_id)


@dataclass(frozen=True)
class _Marks:
    """The high-water marks of the inputs as a roll-up starts: what it will have seen."""

    metrics_id: int
    presave_id: int
    streams_at: datetime | None

    @classmethod
    def now(cls, session: Session) -> "_Marks":
        return cls(
            metrics_id=session.scalar(select(func.max(SocialPostMetrics.id))) or 0,
            presave_id=session.scalar(select(func.max(PresaveEvent.id))) or 0,
            streams_at=session.scalar(select(func.max(ReleaseStreamDaily.imported_at))),
        )


def _earliest(plan: dict[int, date], rows: Any) -> None:
    """Lower each release's from-day to the rows' (release_id, day, ...) days; a release named with no day at
    all changed too (NO_DAYS: its totals and contributions only)."""
    for release_id, *days in rows:
        known = [d for d in days if d is not None]
        day = min(known) if known else NO_DAYS
        plan[release_id] = min(plan.get(release_id, day), day)


def _isrcs(session: Session, release_ids: list[int]) -> dict[int, str | None]:
    return {r: isrc for r, isrc in session.execute(select(Release.id, Release.isrc).where(Release.id.in_(release_ids)))}


def plan_rollups(session: Session, release_ids: Sequence[int]) -> dict[int, date | None]:
    """Which of the releases need recomputing since their last roll-up, and from which day (None: every day,
    for a release never rolled up; NO_DAYS: the totals and contributions only). Releases left out changed not.

    The from-day is the earliest of: each snapshot new since the mark of a live post tagged with the release
    (its UTC day, and the day after its nightly partition: re-running a partition deletes the partition's old
    rows, captured after the partition's day ended); each new pre-save's day; each stream day imported since;
    every stream day of the old and the new ISRC when it changed; and the first snapshot day of each post that
    joined the release (tagged, restored) or left it (moved, untagged, deleted), read against the stored
    contributions."""
    marks = {
        m.release_id: m
        for m in session.scalars(select(ReleaseRollupMark).where(ReleaseRollupMark.release_id.in_(list(release_ids))))
    }
    plan: dict[int, date | None] = {r: None for r in release_ids if r not in marks}
    marked = sorted(marks)
    if not marked:
        return plan
    earliest: dict[int, date] = {}
    captured_day = _utc_day(session, "m.captured_at")
    ids: list[Any] = [bindparam("ids", expanding=True)]
    params: dict[str, Any] = {
        "ids": marked,
        "metrics_id": min(m.metrics_id for m in marks.values()),
        "presave_id": min(m.presave_id for m in marks.values()),
    }
    # New snapshots (the lowest mark as a constant: the primary key's range, then each release's own mark).
    new_snapshots = f"""
        SELECT p.release_id, min({captured_day}) AS captured_day, min(m.partition_date) AS partition_day
        FROM social_post_metrics m
        JOIN content_post p ON p.id = m.post_id AND p.deleted_at IS NULL
        JOIN release_rollup_mark k ON k.release_id = p.release_id
        WHERE p.release_id IN :ids AND m.id > :metrics_id AND m.id > k.metrics_id
        GROUP BY p.release_id"""
    snapshots = _frame(session, new_snapshots, params, ids, captured_day=Date(), partition_day=Date())
    # Daily partitions end at 00:00 UTC: partition P's rows, the ones a re-run of it deleted among them, were
    # captured on P + 1 or later (recomputing from P would redo yesterday too: twice the rows each night).
    snapshots["partition_day"] = [None if d is None else d + timedelta(days=1) for d in snapshots["partition_day"]]
    _earliest(earliest, snapshots[["release_id", "captured_day", "partition_day"]].values)
    new_presaves = f"""
        SELECT e.release_id, min({_utc_day(session, "e.occurred_at")}) AS day
        FROM presave_event e JOIN release_rollup_mark k ON k.release_id = e.release_id
        WHERE e.release_id IN :ids AND e.id > :presave_id AND e.id > k.presave_id
        GROUP BY e.release_id"""
    _earliest(earliest, _frame(session, new_presaves, params, ids, day=Date()).values)
    known_streams = [m.streams_at for m in marks.values()]
    since_lowest = ""
    stream_binds = list(ids)
    if None not in known_streams:
        since_lowest = "AND s.imported_at > :streams_at"
        stream_binds.append(bindparam("streams_at", type_=UTCDateTime()))
    new_streams = f"""
        SELECT r.id, min(s.day) AS day
        FROM release r JOIN release_rollup_mark k ON k.release_id = r.id JOIN release_stream_daily s ON s.isrc = r.isrc
        WHERE r.id IN :ids {since_lowest} AND (k.streams_at IS NULL OR s.imported_at > k.streams_at)
        GROUP BY r.id"""
    stream_params = {"ids": marked, "streams_at": min((s for s in known_streams if s), default=None)}
    _earliest(earliest, _frame(session, new_streams, stream_params, stream_binds, day=Date()).values)
    isrcs = _isrcs(session, marked)
    for release_id in marked:
        if isrcs.get(release_id) != marks[release_id].isrc:
            both = [i for i in (isrcs.get(release_id), marks[release_id].isrc) if i]
            first = session.scalar(select(func.min(ReleaseStreamDaily.day)).where(ReleaseStreamDaily.isrc.in_(both)))
            if first is not None:
                _earliest(earliest, [(release_id, first)])
    # Posts that left or joined first, then each one's first snapshot by a probe of ix_social_post_metrics_latest.
    # The planner can't tell how few they are: at 100M rows it guessed 342,000 joined posts where there were none
    # and hashed all of social_post_metrics to join them as a set (32.7 s for a roll-up with nothing new; 2.2 s now).
    first_snapshot = "SELECT min(m.captured_at) FROM social_post_metrics m WHERE m.post_id = {0}.post_id{1}"
    # Posts that left: their stored contributions name a post no longer live and tagged with the release.
    left = f"""
        WITH gone AS MATERIALIZED (
            SELECT c.release_id, c.post_id, c.platform
            FROM release_post_contribution c JOIN content_post p ON p.id = c.post_id
            WHERE c.release_id IN :ids
              AND (p.deleted_at IS NOT NULL OR p.release_id IS NULL OR p.release_id <> c.release_id)
        ), firsts AS (
            SELECT gone.release_id, ({first_snapshot.format("gone", " AND m.platform = gone.platform")}) AS first_at
            FROM gone
        )
        SELECT release_id, {_utc_day(session, "min(first_at)")} AS day FROM firsts GROUP BY release_id"""
    _earliest(earliest, _frame(session, left, params, ids, day=Date()).values)
    # Posts that joined: live and tagged, with snapshots or pre-saves through their link, and no stored row.
    joined = f"""
        WITH joined AS MATERIALIZED (
            SELECT p.id AS post_id, p.release_id FROM content_post p
            WHERE p.release_id IN :ids AND p.deleted_at IS NULL AND NOT EXISTS (
                SELECT 1 FROM release_post_contribution c WHERE c.release_id = p.release_id AND c.post_id = p.id)
        ), firsts AS (
            SELECT joined.release_id, joined.post_id, ({first_snapshot.format("joined", "")}) AS first_at
            FROM joined
        )
        SELECT release_id, {_utc_day(session, "min(first_at)")} AS day FROM firsts
        WHERE first_at IS NOT NULL OR EXISTS (
            SELECT 1 FROM presave_event e
            WHERE e.post_id = firsts.post_id AND e.release_id = firsts.release_id AND e.platform IS NOT NULL)
        GROUP BY release_id"""
    _earliest(earliest, _frame(session, joined, params, ids, day=Date()).values)
    return {**plan, **earliest}


@dataclass(frozen=True)
class RollupReport:
    """`recomputed_from`: each release whose rows were rewritten and the first day recomputed (None: every
    day; NO_DAYS: only the totals and contributions). Releases locked but not in it had no change."""

    releases: int
    campaign_rows: int
    contribution_rows: int
    recomputed_from: dict[int, date | None] = field(default_factory=dict)

    @property
    def full(self) -> int:
        return sum(1 for day in self.recomputed_from.values() if day is None)

    @property
    def incremental(self) -> int:
        return len(self.recomputed_from) - self.full

    @property
    def unchanged(self) -> int:
        return self.releases - len(self.recomputed_from)

    def as_dict(self) -> dict[str, Any]:
        return {
            "releases": self.releases,
            "campaign_rows": self.campaign_rows,
            "contribution_rows": self.contribution_rows,
            "full": self.full,
            "incremental": self.incremental,
            "unchanged": self.unchanged,
            "recomputed_from": {
                str(r): None if d is None else ("none" if d == NO_DAYS else d.isoformat())
                for r, d in sorted(self.recomputed_from.items())
            },
        }


_CSV_QUOTED = re.compile(r'^$|[,"\r\n]')


def _csv_field(text: str) -> str:
    """A text field as CSV: quoted when it holds a separator or a quote, or is empty (an unquoted empty field
    is NULL to COPY)."""
    return '"' + text.replace('"', '""') + '"' if _CSV_QUOTED.search(text) else text


def _csv_column(values: pd.Series) -> list[str]:
    """One column as CSV fields ("" is NULL): numbers and times formatted a column at a time, which took a
    third of the time pandas' to_csv took (0.8 s for the 88,200 contributions of the 10M-row bench, 0.37 s of
    it on the aware times)."""
    missing = values.isna().to_numpy()
    if values.dtype == object and values.notna().any() and isinstance(values[values.notna()].iloc[0], datetime):
        values = pd.to_datetime(values, utc=True)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        utc = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        fields = [f"{t}Z" for t in np.datetime_as_string(utc, unit="us").tolist()]
    elif pd.api.types.is_integer_dtype(values.dtype):
        fields = list(map(str, values.fillna(0).to_numpy(dtype=np.int64).tolist()))
    elif pd.api.types.is_float_dtype(values.dtype):
        fields = list(map(repr, values.to_numpy(dtype=np.float64).tolist()))
    else:
        fields = [_csv_field(str(v)) for v in values.tolist()]
    return [field if not gone else "" for field, gone in zip(fields, missing, strict=True)]


class _CsvSlices:
    """The frame as CSV for COPY, formatted and read a slice of rows at a time: the server inserts one slice
    (indexes, foreign-key checks) while the next is formatted and sent, instead of waiting for the whole text
    first (formatting is a third of the copy of the 300,000 campaign rows of the 10M-row bench)."""

    def __init__(self, frame: pd.DataFrame, rows: int) -> None:
        self._slices = (self._csv(frame.iloc[start : start + rows]) for start in range(0, len(frame), rows))

    @staticmethod
    def _csv(frame: pd.DataFrame) -> str:
        fields = zip(*(_csv_column(frame[c]) for c in frame.columns), strict=True)
        return "".join(f"{','.join(line)}\n" for line in fields)

    def read(self, size: int = -1) -> str:
        # A whole slice whatever the size asked: psycopg2's copy_expert sends what read returns; "" ends it.
        return next(self._slices, "")


def _copy(session: Session, table: str, frame: pd.DataFrame) -> None:
    """PostgreSQL's COPY: hundreds of thousands of roll-up rows in a second, where INSERTs take many."""
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.copy_expert(
        f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)", _CsvSlices(frame, COPY_SLICE_ROWS)
    )


def _insert(session: Session, model: Any, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    if session.get_bind().dialect.name == "postgresql":
        _copy(session, model.__tablename__, frame)
    else:
        session.execute(insert(model), _records(frame))


def _replace_contributions(session: Session, release_ids: Sequence[int], frame: pd.DataFrame) -> None:
    """The releases' release_post_contribution rows become the frame's rows.

    PostgreSQL: the rows go to a temporary table first, then update the stored rows of the same release, post
    and platform in place, and only the pairs that came or went are inserted or deleted: an update that keeps
    the keys skips the two foreign-key checks (a row lock on the release and on the post) that every inserted
    row pays, and a night of new snapshots changes every pair's row."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(delete(ReleasePostContribution).where(ReleasePostContribution.release_id.in_(release_ids)))
        _insert(session, ReleasePostContribution, frame)
        return
    # One time for every row: written by the statements below rather than sent 88,200 times in the CSV.
    computed_at = frame["computed_at"].iloc[0] if len(frame) else None
    frame = frame.drop(columns="computed_at")
    columns = list(frame.columns)
    listed = ", ".join(columns)
    same = "c.release_id = t.release_id AND c.post_id = t.post_id AND c.platform = t.platform"
    session.execute(text("DROP TABLE IF EXISTS pg_temp.contribution_rows"))
    session.execute(
        text(
            f"CREATE TEMPORARY TABLE contribution_rows ON COMMIT DROP AS "
            f"SELECT {listed} FROM release_post_contribution WITH NO DATA"
        )
    )
    if len(frame):
        _copy(session, "contribution_rows", frame)
    settable = [c for c in columns if c not in ("release_id", "post_id", "platform")]
    stored = session.scalar(
        select(func.count())
        .select_from(ReleasePostContribution)
        .where(ReleasePostContribution.release_id.in_(release_ids))
    )
    updated = session.execute(
        text(
            f"UPDATE release_post_contribution c SET {', '.join(f'{c} = t.{c}' for c in settable)}, "
            f"computed_at = CAST(:computed_at AS TIMESTAMPTZ) FROM contribution_rows t WHERE {same}"
        ),
        {"computed_at": computed_at},
    ).rowcount  # type: ignore[attr-defined]
    # Pairs that went or came: anti-joins over every row, skipped when the counts say there are none. Hash
    # joins only: the planner knows nothing of the temporary table, and a nested loop that scans the table it
    # inserts into once per row took 80 s for the first roll-up of the 10M-row bench.
    session.execute(text("SET LOCAL enable_nestloop = off"))
    if updated < (stored or 0):
        session.execute(
            text(
                f"""DELETE FROM release_post_contribution c WHERE c.release_id IN :ids
                    AND NOT EXISTS (SELECT 1 FROM contribution_rows t WHERE {same})"""
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": list(release_ids)},
        )
    if updated < len(frame):
        new_pairs = f"WHERE NOT EXISTS (SELECT 1 FROM release_post_contribution c WHERE {same})" if updated else ""
        session.execute(
            text(
                f"INSERT INTO release_post_contribution ({listed}, computed_at) "
                f"SELECT {listed}, CAST(:computed_at AS TIMESTAMPTZ) FROM contribution_rows t {new_pairs}"
            ),
            {"computed_at": computed_at},
        )
    session.execute(text("SET LOCAL enable_nestloop = on"))


def write_rollups(
    session: Session, release_ids: Sequence[int], *, connections: int = 1, full: bool = False
) -> RollupReport:
    """Bring the releases' rows in both tables up to date, in the caller's transaction: each from the earliest
    day whose inputs changed since its last roll-up (plan_rollups), or every day with `full`; and store the
    marks the next roll-up starts from (`connections`: see compute_rollups)."""
    ids = sorted(set(release_ids))
    # Lock the releases first (FOR NO KEY UPDATE: posts may still be tagged with them meanwhile), so a
    # concurrent run of the same release waits and then computes from what this one committed.
    locked_ids = session.scalars(
        locked(session, select(Release.id).where(Release.id.in_(ids)).order_by(Release.id), key_share=True)
    ).all()
    _tune(session.connection())  # before plan_rollups too: JIT alone cost 0.35 s of one of its reads
    # Read before the inputs: a row committed meanwhile is above the marks, so the next roll-up sees it again.
    marks = _Marks.now(session)
    plan: dict[int, date | None] = dict.fromkeys(locked_ids) if full else plan_rollups(session, locked_ids)
    if not plan:  # nothing changed: only the marks move
        _write_marks(session, locked_ids, marks, plan, utcnow())
        return RollupReport(len(locked_ids), 0, 0, plan)
    rollups = compute_rollups(session, sorted(plan), connections=connections, since=plan)
    groups: dict[date | None, list[int]] = {}
    for release_id, day in plan.items():
        groups.setdefault(day, []).append(release_id)
    for day, group in groups.items():
        stale = delete(ReleaseCampaignRollup).where(ReleaseCampaignRollup.release_id.in_(group))
        if day is not None:
            stale = stale.where(or_(ReleaseCampaignRollup.day.is_(None), ReleaseCampaignRollup.day >= day))
        session.execute(stale)
    stamp = rollups.computed_at.isoformat() if session.get_bind().dialect.name == "postgresql" else rollups.computed_at
    campaign = rollups.campaign.assign(computed_at=stamp)
    contributions = rollups.contributions.assign(computed_at=stamp)
    _insert(session, ReleaseCampaignRollup, campaign)
    _replace_contributions(session, sorted(plan), contributions)
    _write_marks(session, locked_ids, marks, plan, rollups.computed_at)
    return RollupReport(len(locked_ids), len(campaign), len(contributions), plan)


def _write_marks(
    session: Session, release_ids: Sequence[int], marks: _Marks, plan: Mapping[int, date | None], now: datetime
) -> None:
    if not release_ids:
        return
    wanted = list(release_ids)
    old: dict[int, date | None] = {
        release_id: day
        for release_id, day in session.execute(
            select(ReleaseRollupMark.release_id, ReleaseRollupMark.recomputed_from).where(
                ReleaseRollupMark.release_id.in_(wanted)
            )
        )
    }
    isrcs = _isrcs(session, wanted)
    session.execute(delete(ReleaseRollupMark).where(ReleaseRollupMark.release_id.in_(list(release_ids))))
    session.execute(
        insert(ReleaseRollupMark),
        [
            {
                "release_id": release_id,
                "metrics_id": marks.metrics_id,
                "presave_id": marks.presave_id,
                "streams_at": marks.streams_at,
                "isrc": isrcs.get(release_id),
                "recomputed_from": plan[release_id] if release_id in plan else old.get(release_id),
                "marked_at": now,
            }
            for release_id in release_ids
        ],
    )


def rollup_releases(sessions: sessionmaker[Session], release_ids: Sequence[int], *, full: bool = False) -> RollupReport:
    """A transaction of its own: it writes nothing before computing (row locks only), so a big batch may
    read on several connections."""
    with sessions.begin() as session:
        return write_rollups(session, release_ids, connections=PARALLEL_CONNECTIONS, full=full)

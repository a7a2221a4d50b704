"""Release roll-ups: what a campaign's tagged posts, pre-saves and streams add up to.

Split on purpose (docs/releases.md has the measurement): the database reduces the millions of snapshot
rows, in one pass over the day rows (post_metrics_daily's rule: each post's last snapshot of each UTC day),
to one row per post and platform (its latest snapshot) and one per release, day and platform (the day's
gains), and pandas lays those few rows side by side with pre-saves and streams. Deleted posts are left out;
posts count for the release they are tagged with now, so moving a post moves its numbers.

Rows are replaced per release in one transaction that first locks the releases' rows, so two runs of the
same release one after the other never leave a mix.
"""

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import pandas as pd
from sqlalchemy import BigInteger, Connection, Date, Engine, Integer, String, bindparam, delete, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.locking import locked
from azmth_pipelines.db.models import (
    ContentPost,
    Release,
    ReleaseCampaignRollup,
    ReleasePostContribution,
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
    # Plain tuples: pandas builds a frame from SQLAlchemy Row objects one value at a time (1.0 s instead of
    # 0.15 s for 166,000 pre-save rows; docs/releases.md).
    return pd.DataFrame([tuple(row) for row in result], columns=list(result.keys()))


def _read_on_snapshot(bind: Engine, snapshot: str, statement: Any, params: dict[str, Any]) -> pd.DataFrame:
    with bind.connect() as connection:
        # An imported snapshot needs REPEATABLE READ (READ COMMITTED would take a new one per statement), and
        # SET TRANSACTION SNAPSHOT must be the transaction's first statement.
        connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            connection.exec_driver_sql("SET TRANSACTION SNAPSHOT %s", (snapshot,))
            _tune(connection)
            return _read(connection, statement, params)


def _read_chunks(session: Session, statement: Any, chunks: list[dict[str, Any]]) -> list[pd.DataFrame]:
    """The statement once per chunk, at the same time: the first in the session, each other one on a
    connection of its own that imports the session's snapshot (pg_export_snapshot), so every chunk reads
    exactly the rows the session sees. Only for a transaction that has written nothing the chunks need:
    other connections never see a transaction's own uncommitted rows."""
    if len(chunks) == 1:
        return [_read(session.connection(), statement, chunks[0])]
    snapshot = session.execute(text("SELECT pg_export_snapshot()")).scalar_one()
    bind = session.get_bind().engine
    with ThreadPoolExecutor(len(chunks) - 1) as pool:
        others = [pool.submit(_read_on_snapshot, bind, snapshot, statement, chunk) for chunk in chunks[1:]]
        first = _read(session.connection(), statement, chunks[0])
        return [first, *(other.result() for other in others)]


def _snapshots(session: Session, release_ids: Sequence[int], connections: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(each post and platform's latest snapshot, each release/day/platform's gains).

    One pass over the day rows: a post's day row minus its previous day row is that day's gain, and its last
    day row is its latest snapshot (the last snapshot of the last day is the latest of all). The database
    sums the gains per release, day and platform, except that each post's last day row comes back as a
    group of its own (post_id set), carrying the latest snapshot; pandas adds those into their days, and
    adds up the chunks when a big batch is split by post id over several connections."""
    scope = _scope(session, release_ids)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # One lag of an array instead of five lags: the window fetches the previous row once, not five
        # times (measured on 784,000 day rows: 0.57 s instead of 0.77 s for the window step).
        previous = f"lag(ARRAY[{', '.join(COUNTS)}]) OVER w AS previous"
        gains = ", ".join(
            f"CAST(sum({c} - coalesce(previous[{i}], 0)) AS BIGINT) AS {c}_gain" for i, c in enumerate(COUNTS, 1)
        )
    else:
        previous = ", ".join(f"lag({c}) OVER w AS previous_{c}" for c in COUNTS)
        gains = ", ".join(f"CAST(sum({c} - coalesce(previous_{c}, 0)) AS BIGINT) AS {c}_gain" for c in COUNTS)
    # CAST: PostgreSQL's sum of bigints is numeric, which arrives as Decimal objects that pandas adds up one
    # by one (pandas assembly of the 10M-row batch: 2.2 s instead of 0.8 s); sums of counts fit a bigint.
    latest = ", ".join(f"max({c}) FILTER (WHERE is_latest) AS {c}" for c in ["remote_post_id", "captured_at", *COUNTS])
    sql = f"""
        SELECT release_id, day, platform, CASE WHEN is_latest THEN post_id END AS post_id,
               count(*) AS post_platforms, {gains}, {latest}
        FROM (
            SELECT day_row.*, {previous}, lead(day) OVER w IS NULL AS is_latest
            FROM ({_day_rows(dialect, scope)}) day_row
            WINDOW w AS (PARTITION BY post_id, platform ORDER BY day)
        ) gained
        GROUP BY release_id, day, platform, CASE WHEN is_latest THEN post_id END"""
    statement = (
        text(sql)
        .bindparams(bindparam("ids", expanding=True))
        .columns(
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
    )
    split = connections if dialect == "postgresql" and scope.column == "release_id" else 1
    frame = pd.concat(_read_chunks(session, statement, scope.chunks(split)), ignore_index=True)
    per_post = frame["post_id"].notna()
    latest_rows = frame.loc[per_post, ["release_id", "post_id", "platform", "remote_post_id", "captured_at", *COUNTS]]
    keys = ["release_id", "day", "platform"]
    gained = frame[[*keys, "post_platforms", *(f"{c}_gain" for c in COUNTS)]].rename(
        columns={f"{c}_gain": c for c in COUNTS}
    )
    days = gained.groupby(keys, as_index=False)[["post_platforms", *COUNTS]].sum(min_count=1)
    everything = days.groupby(["release_id", "day"], as_index=False)[["post_platforms", *COUNTS]].sum(min_count=1)
    all_gains = pd.concat([days, everything.assign(platform=ALL_PLATFORMS)], ignore_index=True)
    return latest_rows.astype({"post_id": "int64"}).reset_index(drop=True), all_gains


def _presaves(session: Session, release_ids: Sequence[int]) -> pd.DataFrame:
    sql = f"""
        SELECT release_id, {_utc_day(session, "occurred_at")} AS day, platform, kind, count(*) AS events
        FROM presave_event WHERE release_id IN :release_ids
        GROUP BY release_id, {_utc_day(session, "occurred_at")}, platform, kind"""
    return _frame(
        session, sql, {"release_ids": list(release_ids)}, [bindparam("release_ids", expanding=True)], day=Date()
    )


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


def _streams(session: Session, release_ids: Sequence[int]) -> pd.DataFrame:
    sql = """
        SELECT r.id AS release_id, s.day, CAST(sum(s.streams) AS BIGINT) AS streams
        FROM release r JOIN release_stream_daily s ON s.isrc = r.isrc
        WHERE r.id IN :release_ids
        GROUP BY r.id, s.day"""
    return _frame(
        session, sql, {"release_ids": list(release_ids)}, [bindparam("release_ids", expanding=True)], day=Date()
    )


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
    session: Session, release_ids: Sequence[int], *, now: datetime | None = None, connections: int = 1
) -> Rollups:
    """Roll-ups of the given releases (those that exist), computed together: one query per kind of input,
    then pandas over the small results with release_id as one more key.

    connections > 1 (PostgreSQL, a batch too big for the post-id filter): the snapshot query is split by
    post id over that many connections at once, the session's and helpers reading its snapshot. Only for a
    transaction that has not written the metrics, posts or releases itself (helpers cannot see that)."""
    now = now or utcnow()
    ids = sorted(set(session.scalars(select(Release.id).where(Release.id.in_(list(release_ids))))))
    _tune(session.connection())
    latest, gains = _snapshots(session, ids or [-1], connections)
    events, by_post = _presaves(session, ids or [-1]), _presaves_by_post(session, ids or [-1])
    streams = _streams(session, ids or [-1])

    contributions = _contributions(latest, by_post)
    campaign = pd.concat([_totals(contributions, events, streams), _daily(gains, events, streams)], ignore_index=True)
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
class RollupReport:
    releases: int
    campaign_rows: int
    contribution_rows: int


class _CsvSlices:
    """The frame as CSV for COPY, read a slice of rows at a time: the server inserts one slice (indexes,
    foreign-key checks) while pandas formats the next, instead of waiting for the whole text first."""

    def __init__(self, frame: pd.DataFrame, rows: int) -> None:
        self._slices = (
            frame.iloc[start : start + rows].to_csv(index=False, header=False, na_rep="")
            for start in range(0, len(frame), rows)
        )

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


def write_rollups(session: Session, release_ids: Sequence[int], *, connections: int = 1) -> RollupReport:
    """Recompute the releases and replace their rows in both tables, in the caller's transaction
    (`connections`: see compute_rollups)."""
    ids = sorted(set(release_ids))
    # Lock the releases first (FOR NO KEY UPDATE: posts may still be tagged with them meanwhile), so a
    # concurrent run of the same release waits and then computes from what this one committed.
    locked_ids = session.scalars(
        locked(session, select(Release.id).where(Release.id.in_(ids)).order_by(Release.id), key_share=True)
    ).all()
    rollups = compute_rollups(session, locked_ids, connections=connections)
    session.execute(delete(ReleaseCampaignRollup).where(ReleaseCampaignRollup.release_id.in_(ids)))
    session.execute(delete(ReleasePostContribution).where(ReleasePostContribution.release_id.in_(ids)))
    stamp = rollups.computed_at.isoformat() if session.get_bind().dialect.name == "postgresql" else rollups.computed_at
    campaign = rollups.campaign.assign(computed_at=stamp)
    contributions = rollups.contributions.assign(computed_at=stamp)
    _insert(session, ReleaseCampaignRollup, campaign)
    _insert(session, ReleasePostContribution, contributions)
    return RollupReport(len(locked_ids), len(campaign), len(contributions))


def rollup_releases(sessions: sessionmaker[Session], release_ids: Sequence[int]) -> RollupReport:
    """A transaction of its own: it writes nothing before computing (row locks only), so a big batch may
    read on several connections."""
    with sessions.begin() as session:
        return write_rollups(session, release_ids, connections=PARALLEL_CONNECTIONS)

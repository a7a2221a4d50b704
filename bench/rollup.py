"""Release roll-ups over N social_post_metrics rows on PostgreSQL: every release at once, and one release's
partition; plus the all-pandas alternative for the "SQL or pandas" question (docs/releases.md).

    .venv/bin/python bench/rollup.py                     # 1,000,000 rows
    .venv/bin/python bench/rollup.py --rows 10000000     # the issue's goal: all < 30 s, one < 1 s

Builds a throwaway database (dropped afterwards unless --keep), migrates it and generates the rows inside
PostgreSQL with generate_series: posts on 2 platforms each, one nightly snapshot per post and platform per
day for --days days (written night by night, so a night's rows lie together as the nightly job leaves them),
50 posts per release, 90 % of posts tagged, 2 % soft-deleted, 200 pre-save events and 4 stores x 3 countries
of daily streams per release.

Then the incremental roll-up (docs/releases.md): after the first roll-up of every release, one more night
(a snapshot per post and platform, 2 pre-saves and a day of streams per release) and the roll-up of every
release again, which recomputes each from that night's days; the same with nothing new; late snapshots for
an old day in 10 releases; and, as the baseline, a full recompute of every release in the same run.

    .venv/bin/python bench/rollup.py --rows 10000000 --incremental-only   # skip the SQL-or-pandas part
"""

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.engine import make_engine, normalise_url
from azmth_pipelines.db.migrate import upgrade
from azmth_pipelines.releases.rollup import COUNTS, PARALLEL_CONNECTIONS, compute_rollups, rollup_releases

PLATFORMS = ("tiktok", "instagram", "threads", "x")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def load(session: Session, rows: int, days: int, posts_per_release: int) -> tuple[int, int]:
    posts = max(rows // (2 * days), 1)
    releases = max(posts // posts_per_release, 1)
    statements = [
        "INSERT INTO artist (id, name, timezone, created_at) VALUES (1, 'Bench', 'UTC', now())",
        f"""INSERT INTO release (id, artist_id, title, isrc, distributor_status, created_at, updated_at)
            SELECT r, 1, 'Release ' || r, 'QZBEN' || to_char(26, 'FM00') || to_char(r, 'FM00000'),
                   'live', now(), now()
            FROM generate_series(1, {releases}) r""",
        f"""INSERT INTO content_post (id, artist_id, body, platforms, caption_overrides, platform_options,
                                      scheduled_for, status, per_platform, release_id, created_at, updated_at,
                                      deleted_at)
            SELECT p, 1, 'post ' || p,
                   jsonb_build_array(('{{{",".join(PLATFORMS)}}}'::text[])[p % 4 + 1],
                                     ('{{{",".join(PLATFORMS)}}}'::text[])[(p + 1) % 4 + 1]),
                   '{{}}', '{{}}', '2026-09-01'::timestamptz, 'posted', '{{}}',
                   CASE WHEN (p / {releases}) % 10 = 0 THEN NULL ELSE (p % {releases}) + 1 END, now(), now(),
                   CASE WHEN p % 50 = 7 THEN now() END
            FROM generate_series(1, {posts}) p""",
        f"""INSERT INTO presave_event (release_id, post_id, platform, occurred_at, kind, src, event_key, created_at)
            SELECT r, CASE WHEN e % 4 = 0 THEN NULL ELSE r END,
                   CASE WHEN e % 4 = 0 THEN NULL ELSE ('{{{",".join(PLATFORMS)}}}'::text[])[r % 4 + 1] END,
                   '2026-09-01'::timestamptz + (e % {days}) * interval '1 day', CASE WHEN e % 3 = 0 THEN 'click'
                   ELSE 'presave' END, NULL, 'id:' || r || '-' || e, now()
            FROM generate_series(1, {releases}) r CROSS JOIN generate_series(1, 200) e""",
        f"""INSERT INTO release_stream_daily (isrc, day, store, country, streams, imported_at)
            SELECT 'QZBEN' || to_char(26, 'FM00') || to_char(r, 'FM00000'), DATE '2026-09-01' + d, s, c,
                   (r % 50 + 1) * (d + 1), now()
            FROM generate_series(1, {releases}) r CROSS JOIN generate_series(0, {days - 1}) d
            CROSS JOIN unnest(ARRAY['Spotify', 'Apple Music', 'Deezer', 'Amazon']) s
            CROSS JOIN unnest(ARRAY['US', 'DE', 'FR']) c""",
    ]
    for statement in statements:
        session.execute(text(statement))
    for day in range(days):
        load_snapshots(session, posts, day)
    # Posts on release r: the ids with p % releases = r - 1, so a release's posts are spread over the table.
    session.execute(
        text("SELECT setval(pg_get_serial_sequence('content_post', 'id'), (SELECT max(id) FROM content_post))")
    )
    return posts, releases


def load_snapshots(session: Session, posts: int, day: int) -> None:
    """Night `day`'s snapshot of every post and platform, in one statement as the nightly job appends them: a
    night's rows lie together in the table, as they do in production (rows generated post by post put each
    post's days together instead, and a read of one day then touches every page of the table: at 100M rows,
    more than the page cache holds)."""
    session.execute(
        text(
            f"""INSERT INTO social_post_metrics (post_id, platform, remote_post_id, captured_at, source,
                                                 partition_date, views, likes, comments, shares, saves, raw)
            SELECT p, pl.name, p || '-' || pl.name,
                   '2026-09-01 03:00+00'::timestamptz + {day} * interval '1 day', 'nightly', DATE '2026-08-31' + {day},
                   (p % 97 + 1) * ({day} + 1) * 10, (p % 97 + 1) * ({day} + 1), (p % 13) * ({day} + 1) / 3,
                   (p % 7) * ({day} + 1) / 2, CASE WHEN pl.name = 'tiktok' THEN NULL ELSE (p % 5) * {day} END, '{{}}'
            FROM generate_series(1, {posts}) p
            CROSS JOIN LATERAL (VALUES (('{{{",".join(PLATFORMS)}}}'::text[])[p % 4 + 1]),
                                       (('{{{",".join(PLATFORMS)}}}'::text[])[(p + 1) % 4 + 1])) pl(name)"""
        )
    )


def load_night(session: Session, posts: int, releases: int, day: int) -> None:
    """One more nightly pull (the snapshots of night `day`, as load writes them), 2 pre-saves per release on that
    day and that day's streams, as they would arrive after the first roll-up."""
    load_snapshots(session, posts, day)
    session.execute(
        text(
            f"""INSERT INTO presave_event (release_id, post_id, platform, occurred_at, kind, src, event_key, created_at)
            SELECT r, r, ('{{{",".join(PLATFORMS)}}}'::text[])[r % 4 + 1],
                   '2026-09-01 12:00+00'::timestamptz + {day} * interval '1 day', 'presave', NULL,
                   'night{day}:' || r || '-' || e, now()
            FROM generate_series(1, {releases}) r CROSS JOIN generate_series(1, 2) e"""
        )
    )
    session.execute(
        text(
            f"""INSERT INTO release_stream_daily (isrc, day, store, country, streams, imported_at)
            SELECT 'QZBEN' || to_char(26, 'FM00') || to_char(r, 'FM00000'), DATE '2026-09-01' + {day}, s, c,
                   (r % 50 + 1) * ({day} + 1), now()
            FROM generate_series(1, {releases}) r
            CROSS JOIN unnest(ARRAY['Spotify', 'Apple Music', 'Deezer', 'Amazon']) s
            CROSS JOIN unnest(ARRAY['US', 'DE', 'FR']) c"""
        )
    )


def load_late(session: Session, releases: int, day: int) -> None:
    """A late manual read for an old day of one post of each of 10 releases."""
    session.execute(
        text(
            f"""INSERT INTO social_post_metrics (post_id, platform, remote_post_id, captured_at, source,
                                                 partition_date, views, likes, comments, shares, saves, raw)
            SELECT p.id, p.platforms->>0, p.id || '-late',
                   '2026-09-01 20:00+00'::timestamptz + {day} * interval '1 day',
                   'manual', NULL, 1000000, 1000, 100, 10, 1, '{{}}'
            FROM (SELECT DISTINCT ON (release_id) id, platforms FROM content_post
                  WHERE release_id BETWEEN 1 AND {min(releases, 10)} AND deleted_at IS NULL
                  ORDER BY release_id, id) p"""
        )
    )


def incremental(sessions: sessionmaker[Session], posts: int, releases: int, days: int) -> None:
    all_ids = list(range(1, releases + 1))
    with sessions.begin() as session:
        night_s, _ = timed(lambda: load_night(session, posts, releases, days))
    print(f"one more night loaded in {night_s:.1f} s")
    incremental_s, report = timed(lambda: rollup_releases(sessions, all_ids))
    days_from = sorted({str(d) for d in report.recomputed_from.values()})
    print(
        f"incremental, all releases: {incremental_s:.2f} s ({report.incremental:,} from a day on {days_from}, "
        f"{report.full:,} every day, {report.unchanged:,} unchanged; {report.campaign_rows:,} campaign rows, "
        f"{report.contribution_rows:,} contribution rows written)"
    )
    nothing_s, report = timed(lambda: rollup_releases(sessions, all_ids))
    print(f"incremental, nothing new: {nothing_s:.2f} s ({report.unchanged:,} unchanged)")
    with sessions.begin() as session:
        load_late(session, releases, days // 2)
    late_s, report = timed(lambda: rollup_releases(sessions, all_ids))
    days_from = sorted({str(d) for d in report.recomputed_from.values()})
    print(
        f"incremental, late snapshots for day {days // 2} in {report.incremental} releases: {late_s:.2f} s "
        f"(from {days_from}; {report.unchanged:,} unchanged)"
    )
    full_s, report = timed(lambda: rollup_releases(sessions, all_ids, full=True))
    print(
        f"full recompute, all releases (baseline, same run): {full_s:.2f} s "
        f"({report.campaign_rows:,} campaign rows, {report.contribution_rows:,} contribution rows written)"
    )
    print(f"incremental / full: {incremental_s / full_s:.3f} ({full_s / incremental_s:.1f} times faster)")


def pandas_rollup_totals(session: Session, release_ids: list[int]) -> pd.DataFrame:
    """The alternative: pull the releases' raw snapshot rows and do "latest" and the daily gains in pandas."""
    result = session.execute(
        text(
            """SELECT p.release_id, m.post_id, m.platform, m.captured_at, m.id, m.views, m.likes, m.comments,
                      m.shares, m.saves
               FROM social_post_metrics m JOIN content_post p ON p.id = m.post_id
               WHERE p.release_id IN :ids AND p.deleted_at IS NULL"""
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": release_ids},
    )
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    frame = frame.sort_values(["post_id", "platform", "captured_at", "id"])
    latest = frame.drop_duplicates(["post_id", "platform"], keep="last")
    frame["day"] = pd.to_datetime(frame["captured_at"], utc=True).dt.date
    daily = frame.drop_duplicates(["post_id", "platform", "day"], keep="last").copy()
    daily[COUNTS] = daily.groupby(["post_id", "platform"])[COUNTS].diff().fillna(daily[COUNTS])
    daily.groupby(["release_id", "day", "platform"])[COUNTS].sum(min_count=1)
    return latest.groupby("release_id")[COUNTS].sum(min_count=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=100, help="Nightly snapshots per post and platform.")
    parser.add_argument("--posts-per-release", type=int, default=50)
    parser.add_argument("--postgres", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--repeat", type=int, default=5, help="Runs of the one-release partition.")
    parser.add_argument("--keep", action="store_true", help="Keep the database (its URL is printed).")
    parser.add_argument(
        "--incremental-only", action="store_true", help="Skip the compute-only SQL-or-pandas comparison."
    )
    args = parser.parse_args()

    admin = create_engine(normalise_url(args.postgres), isolation_level="AUTOCOMMIT")
    name = f"azmth_bench_rollup_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(args.postgres)).set(database=name).render_as_string(hide_password=False)
    bind = make_engine(url)
    if args.keep:
        print(f"database: {url}")
    try:
        upgrade(bind)
        sessions = sessionmaker(bind, expire_on_commit=False)
        with sessions.begin() as session:
            load_s, (posts, releases) = timed(lambda: load(session, args.rows, args.days, args.posts_per_release))
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
            metric_rows = connection.execute(text("SELECT count(*) FROM social_post_metrics")).scalar_one()
        print(f"loaded {metric_rows:,} metric rows, {posts:,} posts, {releases:,} releases in {load_s:.1f} s")

        all_ids = list(range(1, releases + 1))
        all_s, report = timed(lambda: rollup_releases(sessions, all_ids))
        print(
            f"all releases ({report.releases:,}), first roll-up (every day): {all_s:.2f} s "
            f"({report.campaign_rows:,} campaign rows, {report.contribution_rows:,} contribution rows written)"
        )
        one = releases // 2 + 1
        one_runs = [timed(lambda: rollup_releases(sessions, [one], full=True))[0] for _ in range(args.repeat)]
        print(
            f"one release's partition, every day: median {statistics.median(one_runs):.3f} s, max {max(one_runs):.3f} s"
        )
        with bind.connect() as connection:
            size = connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        print(f"database size: {size / 1e9:.2f} GB")
        if args.incremental_only:
            incremental(sessions, posts, releases, args.days)
            return

        with sessions() as session:
            sql_one_s, sql_one = timed(lambda: compute_rollups(session, [one]))
            pandas_one_s, pandas_one = timed(lambda: pandas_rollup_totals(session, [one]))
            sql_all_s, sql_all = timed(lambda: compute_rollups(session, all_ids, connections=PARALLEL_CONNECTIONS))
            pandas_all_s, pandas_all = timed(lambda: pandas_rollup_totals(session, all_ids))
        assert sql_one.release(one).totals()["views"] == int(pandas_one["views"].sum()), "SQL and pandas disagree"
        totals = sql_all.campaign[sql_all.campaign["day"].isna() & (sql_all.campaign["platform"] == "all")]
        assert int(totals["views"].sum()) == int(pandas_all["views"].sum()), "SQL and pandas disagree"
        print("compute only (no writes), views totals agree:")
        print(f"  one release:  SQL views + pandas assembly {sql_one_s:.3f} s | all-pandas {pandas_one_s:.3f} s")
        print(f"  all releases: SQL views + pandas assembly {sql_all_s:.2f} s | all-pandas {pandas_all_s:.2f} s")
        incremental(sessions, posts, releases, args.days)
    finally:
        bind.dispose()
        if not args.keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()

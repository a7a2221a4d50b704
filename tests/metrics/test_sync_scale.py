"""A night of a million posts: what the sync holds stays flat however many artists it meets, and the partition is
written in bounded transactions that still replace exactly the slice pulled, re-runs included."""

import gc
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.engine import engine, session_factory, session_scope
from azmth_pipelines.db.models import Artist, ContentPost, SocialConnection, SocialPostMetrics
from azmth_pipelines.metrics.credentials import CACHE_SIZE, CredentialBook
from azmth_pipelines.metrics.store import Spool, replace_nightly_partition
from azmth_pipelines.metrics.targets import PostRange, iter_target_pages
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import MetricSource, Platform, PostStatus

D = date(2026, 11, 27)
CAPTURED = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


# --- the credential book -------------------------------------------------------------------------------


def _artists_with_connections(count: int) -> None:
    cipher = TokenCipher.from_settings()
    with session_scope() as session:
        session.execute(
            insert(Artist), [{"id": i, "name": f"artist {i}", "timezone": "UTC"} for i in range(1, count + 1)]
        )
        session.execute(
            insert(SocialConnection),
            [
                {
                    "artist_id": i,
                    "platform": platform,
                    "external_account_id": f"{platform.value}-{i}",
                    "access_token_ciphertext": cipher.encrypt(f"token-{platform.value}-{i}"),
                    "granted_scopes": [],
                }
                for i in range(1, count + 1)
                for platform in Platform
            ],
        )


def _page_keys(first_artist: int, artists: int) -> set[tuple[int, Platform]]:
    return {(a, p) for a in range(first_artist, first_artist + artists) for p in Platform}


def test_credential_book_holds_the_same_after_thousands_of_artists_as_after_a_few_pages(database_url: str) -> None:
    _artists_with_connections(2000)
    book = CredentialBook(session_factory(database_url), TokenCipher.from_settings())
    artists_per_page = 125  # 500 keys a page, four platforms each

    def read_pages(first_page: int, pages: int) -> None:
        for page in range(first_page, first_page + pages):
            keys = _page_keys(1 + page * artists_per_page, artists_per_page)
            credentials = book.load(keys)
            # Every key of the page is at hand with its own token, however small the cache.
            assert set(credentials) == keys
            for artist_id, platform in keys:
                credential = book.get(artist_id, platform)
                assert credential is not None and credential.token == f"token-{platform.value}-{artist_id}"

    tracemalloc.start()
    try:
        read_pages(0, 2)  # 250 artists
        gc.collect()
        after_two_pages = tracemalloc.get_traced_memory()[0]
        read_pages(2, 14)  # 2,000 artists, 8,000 connections in all
        gc.collect()
        after_all = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert book.held <= 4 * artists_per_page + CACHE_SIZE
    # Eight times the artists, the same memory (the 4,096-entry cache it replaced held ~1.5 MiB more here).
    assert after_all - after_two_pages < 256 * 1024


def test_credential_book_reads_an_artist_on_consecutive_pages_once(database_url: str) -> None:
    _artists_with_connections(3)
    sessions = session_factory(database_url)
    reads = _count(sessions, "do_orm_execute")
    book = CredentialBook(sessions, TokenCipher.from_settings())
    for _ in range(5):
        book.load(_page_keys(1, 3))
    assert reads() == 1
    assert book.get(4, Platform.X) is None  # no such artist: known absent, not an error


# --- the nightly partition's replace ----------------------------------------------------------------------


def _count(sessions: sessionmaker[Session], event_name: str) -> Any:
    seen = [0]

    def listener(*_: object) -> None:
        seen[0] += 1

    event.listen(sessions, event_name, listener)
    return lambda: seen[0]


def _posts(count: int) -> list[int]:
    with session_scope() as session:
        session.execute(insert(Artist), [{"id": 1, "name": "Nova", "timezone": "UTC"}])
        ids = session.scalars(
            insert(ContentPost).returning(ContentPost.id),
            [
                {
                    "artist_id": 1,
                    "body": "Night Drive",
                    "platforms": ["x"],
                    "status": PostStatus.POSTED,
                    "scheduled_for": CAPTURED,
                    "per_platform": {},
                }
                for _ in range(count)
            ],
        ).all()
    return sorted(ids)


def _row(post_id: int, views: int, *, source: MetricSource = MetricSource.NIGHTLY, day: date | None = D) -> dict:
    return {
        "post_id": post_id,
        "platform": Platform.X,
        "remote_post_id": f"x-{post_id}",
        # A night's rows are read at 03:00 the morning after it (the unique key has no partition_date).
        "captured_at": CAPTURED - (D - day) if day is not None else CAPTURED + timedelta(hours=1),
        "source": source,
        "partition_date": day,
        "views": views,
        "likes": None,
        "comments": None,
        "shares": None,
        "saves": None,
        "raw": {},
    }


def _rows() -> set[tuple[int, str, str | None, int | None]]:
    with session_scope() as session:
        found = session.execute(
            select(
                SocialPostMetrics.post_id,
                SocialPostMetrics.source,
                SocialPostMetrics.partition_date,
                SocialPostMetrics.views,
            )
        ).all()
    return {
        (post_id, MetricSource(source).value, day and day.isoformat(), views) for post_id, source, day, views in found
    }


def _spool(pages: list[list[int]], views: int) -> Spool:
    spool = Spool()
    for page in pages:
        spool.add([_row(post_id, views) for post_id in page])
    return spool


@pytest.fixture
def night(database_url: str) -> tuple[list[int], set[tuple[int, str, str | None, int | None]]]:
    """Twelve posts, each with a nightly row of D (views 1), of the day before (views 7) and a manual one (views 9)."""
    posts = _posts(12)
    old = [_row(p, 1) for p in posts]
    old += [_row(p, 7, day=D - timedelta(days=1)) for p in posts]
    old += [_row(p, 9, source=MetricSource.MANUAL, day=None) for p in posts]
    with session_scope() as session:
        session.execute(insert(SocialPostMetrics), old)
    return posts, _rows()


def test_nightly_replace_commits_in_bounded_transactions_and_replaces_only_its_slice(
    database_url: str, night: tuple[list[int], set[tuple[int, str, str | None, int | None]]]
) -> None:
    posts, before = night
    sessions = session_factory(database_url)
    commits = _count(sessions, "after_commit")
    # The slice is posts[2:10]; posts[5] was not read this time (its old row goes), posts[2] neither.
    pages = [[posts[3], posts[4]], [posts[6], posts[7]], [posts[8], posts[9]]]
    with _spool(pages, 50) as spool:
        written = replace_nightly_partition(sessions, D, spool, PostRange(posts[2], posts[10]), commit_rows=2)
    assert written == 6
    assert commits() >= 3  # one per page here, not one for the whole partition
    replaced = {p for page in pages for p in page}
    expected = {r for r in before if not (r[1] == "nightly" and r[2] == D.isoformat() and posts[2] <= r[0] < posts[10])}
    expected |= {(p, "nightly", D.isoformat(), 50) for p in replaced}
    assert _rows() == expected

    # A re-run replaces the same rows and nothing else.
    with _spool(pages, 60) as spool:
        replace_nightly_partition(sessions, D, spool, PostRange(posts[2], posts[10]), commit_rows=2)
    assert _rows() == {
        (p, s, d, 60 if (s == "nightly" and d == D.isoformat() and p in replaced) else v) for p, s, d, v in expected
    }


def test_a_replace_that_fails_half_way_leaves_one_row_per_post_and_its_rerun_repairs_the_night(
    database_url: str, night: tuple[list[int], set[tuple[int, str, str | None, int | None]]]
) -> None:
    posts, before = night
    sessions = session_factory(database_url)
    good = [[posts[0], posts[1]], [posts[2], posts[3]], [posts[4], posts[5]], [posts[6], posts[7]]]
    # The third page's rows are out of order with the second's: the write stops there, after two commits.
    broken = [[posts[0], posts[1]], [posts[2], posts[5]], [posts[4], posts[6]], [posts[7]]]
    with _spool(broken, 50) as spool, pytest.raises(ValueError, match="post id order"):
        replace_nightly_partition(sessions, D, spool, PostRange(), commit_rows=2)
    tonight = [r for r in _rows() if r[1] == "nightly" and r[2] == D.isoformat()]
    assert sorted(r[0] for r in tonight) == sorted(set(r[0] for r in tonight))  # never two rows of one post
    assert {r[0] for r in tonight if r[3] == 50} == {posts[0], posts[1]}  # the committed part: new rows

    with _spool(good, 60) as spool:
        replace_nightly_partition(sessions, D, spool, PostRange(), commit_rows=2)
    replaced = {p for page in good for p in page}
    expected = {r for r in before if not (r[1] == "nightly" and r[2] == D.isoformat())}
    expected |= {(p, "nightly", D.isoformat(), 60) for p in replaced}
    assert _rows() == expected


def test_an_empty_night_still_clears_its_slice(
    database_url: str, night: tuple[list[int], set[tuple[int, str, str | None, int | None]]]
) -> None:
    posts, before = night
    with Spool() as spool:
        assert replace_nightly_partition(session_factory(database_url), D, spool, PostRange(posts[6], None)) == 0
    assert _rows() == {r for r in before if not (r[1] == "nightly" and r[2] == D.isoformat() and r[0] >= posts[6])}


# --- what the queries read, at any N ----------------------------------------------------------------------------


def _sqlite_plans(url: str, prefix: str, run: Any) -> list[str]:
    """SQLite's query plan of each statement starting with `prefix` that `run()` executes."""
    if not url.startswith("sqlite"):
        pytest.skip("SQLite's planner (no statistics) is the one that read whole indexes here")
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith(prefix) and not executemany:
            seen.append((statement, parameters))

    bind = engine(url)
    event.listen(bind, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(bind, "before_cursor_execute", capture)
    assert seen, f"no {prefix} statement ran"
    with bind.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        return [" / ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params)) for sql, params in seen]


def test_target_pages_read_a_range_of_the_primary_key_not_every_posted_post(database_url: str) -> None:
    _posts(5)
    plans = _sqlite_plans(
        database_url, "SELECT", lambda: list(iter_target_pages(session_factory(database_url), page_size=2))
    )
    for plan in plans:
        assert "INTEGER PRIMARY KEY" in plan and "TEMP B-TREE" not in plan, plan


def test_the_nightly_replace_deletes_by_primary_key_not_through_the_days_index(
    database_url: str, night: tuple[list[int], set[tuple[int, str, str | None, int | None]]]
) -> None:
    posts, _ = night
    pages = [[posts[0], posts[1]], [posts[2], posts[3]]]

    def replace() -> None:
        with _spool(pages, 50) as spool:
            replace_nightly_partition(session_factory(database_url), D, spool, PostRange(), commit_rows=2)

    plans = _sqlite_plans(database_url, "DELETE", replace)
    assert len(plans) == 2  # one per page, each only the rows of its range
    for plan in plans:
        assert "INTEGER PRIMARY KEY" in plan and "partition_date" not in plan, plan

"""Engines and sessions for the shared database (SQLite by default, PostgreSQL via AZMTH_DATABASE_URL)."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.config import settings


def normalise_url(url: str) -> str:
    """Pin the PostgreSQL driver: SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3 (not shipped)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event (below) open transactions instead of the driver's deferred BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # Foreign keys are off by default in SQLite; WAL and a busy timeout let the CLI, the sandbox demo
    # and a Dagster run share one file without "database is locked".
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL still survives a killed process (commits sit in the WAL); only an OS crash can lose
    # the last commits. FULL fsyncs every commit, and publishing commits several times per platform post.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class _WriteTurns:
    """Transactions of one process take turns on a lock before BEGIN IMMEDIATE. SQLite's own busy handler
    waits by sleeping and re-trying (naps of up to 100 ms), so threads queued on the file lock sat idle long
    after it was free: the publish tick spent most of its time there. A lock wakes the next one at once.
    Other processes (the CLI, a second run) still meet at SQLite's lock and its busy timeout."""

    BUSY_TIMEOUT_S = 30.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder = threading.local()  # the connection whose transaction holds the turn, per thread

    def begin(self, connection: Any) -> None:
        # A second connection opened inside a transaction of the same thread waits at SQLite, as before.
        take = getattr(self._holder, "connection", None) is None
        if take:
            if not self._lock.acquire(timeout=self.BUSY_TIMEOUT_S):
                raise TimeoutError(f"no database write turn within {self.BUSY_TIMEOUT_S:.0f} s")
            self._holder.connection = connection
        try:
            # SQLite has no row locks: a deferred transaction reads, then another writer commits, then ours
            # overwrites it (a lost update of per_platform). BEGIN IMMEDIATE takes the write lock up front, so
            # read-modify-write transactions run one at a time, as FOR UPDATE makes them on PostgreSQL.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(connection)
            raise

    def end(self, connection: Any) -> None:
        # Called as COMMIT or ROLLBACK is about to run; the next holder's BEGIN waits those microseconds at SQLite.
        if getattr(self._holder, "connection", None) is connection:
            self._holder.connection = None
            self._lock.release()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = normalise_url(url or settings().database_url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        turns = _WriteTurns()
        event.listen(engine, "begin", turns.begin)
        event.listen(engine, "commit", turns.end)
        event.listen(engine, "rollback", turns.end)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


@cache
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def engine(url: str | None = None) -> Engine:
    """One engine per URL for the life of the process (connection pools are per engine)."""
    return _engine_for(normalise_url(url or settings().database_url))


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back if it raises."""
    with session_factory(url).begin() as session:
        yield session

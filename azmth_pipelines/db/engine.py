"""Engines and sessions for the shared database (SQLite by default, PostgreSQL via AZMTH_DATABASE_URL)."""

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


def _begin_immediate(connection: Any) -> None:
    # SQLite has no row locks: a deferred transaction reads, then another writer commits, then ours
    # overwrites it (a lost update of per_platform). BEGIN IMMEDIATE takes the write lock up front, so
    # read-modify-write transactions run one at a time, as FOR UPDATE makes them on PostgreSQL.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = normalise_url(url or settings().database_url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin_immediate)
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

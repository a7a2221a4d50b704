"""INSERT ... ON CONFLICT for both databases we run on (PostgreSQL and SQLite speak the same clause)."""

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from azmth_pipelines.db.results import rowcount


def insert_for(session: Session, table: Any) -> Any:
    """The dialect's INSERT, which has on_conflict_do_nothing / on_conflict_do_update."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def rows_written(session: Session, statement: Any) -> int:
    """How many rows an INSERT ... ON CONFLICT wrote (skipped conflicts do not count)."""
    return rowcount(session.execute(statement))


def batches(rows: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]

"""Row locks for read-modify-write transactions, the same way in every module.

On PostgreSQL the rows a query reads are locked FOR UPDATE (or FOR NO KEY UPDATE), so a concurrent
transaction wanting them waits for this one to commit. SQLite has no row locks: its transactions start
with BEGIN IMMEDIATE (db/engine.py), so the transaction's write lock already holds every row and the
query is left as it is.
"""

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])


def locked(session: Session, query: _Query, *, key_share: bool = False) -> _Query:
    """`query` locking the rows it reads until the transaction ends. `key_share`: FOR NO KEY UPDATE, which still
    lets other transactions insert rows that reference the locked ones (foreign keys take a KEY SHARE lock)."""
    if session.get_bind().dialect.name != "postgresql":
        return query
    return query.with_for_update(key_share=key_share)

"""Group commit: many small units of work from concurrent tasks, committed together.

A publish tick writes three to five short transactions per platform post (claim, checkpoints, result), tens of
thousands per tick. One at a time, each paid for its own session, BEGIN, COMMIT and a thread hop, and the
writers queued behind SQLite's single write lock. Here the units that arrive while one batch commits form
the next batch: one thread, one transaction, each unit in its own SAVEPOINT so that one unit's error (a lost
claim race, a missing row) rolls back that unit alone. Every caller's await returns only after the commit
that holds its unit, so "committed before the next platform call" still holds.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")
Work = Callable[[Session], Any]

log = logging.getLogger(__name__)

# Enough to amortise a transaction over hundreds of units; small enough that the write lock is never held
# for long by one batch (other processes, the CLI or a second run, wait for it).
MAX_BATCH = 256


@dataclass
class _Raised:
    error: BaseException


class GroupCommit:
    """`await commits.run(work)` runs `work(session)` in the next batch's transaction and returns its result
    (or raises its error) once that transaction has committed. Use as `async with GroupCommit(sessions)`."""

    def __init__(self, sessions: sessionmaker[Session], *, max_batch: int = MAX_BATCH) -> None:
        self._sessions = sessions
        self._max_batch = max_batch
        self._pending: list[tuple[Work, asyncio.Future[Any]]] = []
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self.batches = 0  # how many transactions the units took, for benchmarks and tests

    async def __aenter__(self) -> Self:
        self._worker = asyncio.create_task(self._drain(), name="group-commit")
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        assert self._worker is not None
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        for _, future in self._pending:
            future.cancel()

    async def run(self, work: Callable[[Session], T]) -> T:
        if self._worker is None or self._worker.done():
            raise RuntimeError("GroupCommit is not running: use it as `async with GroupCommit(sessions)`")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((work, future))
        self._wake.set()
        return await future

    async def _drain(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                try:
                    results = await asyncio.to_thread(self._commit, [work for work, _ in batch])
                except Exception as error:  # the commit itself failed: no unit of the batch is in the database
                    results = [_Raised(error)] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue  # its caller was cancelled; the unit is committed all the same
                    if isinstance(result, _Raised):
                        future.set_exception(result.error)
                    else:
                        future.set_result(result)

    def _commit(self, units: list[Work]) -> list[Any]:
        results: list[Any] = []
        again: list[int] = []
        with self._sessions.begin() as session:
            for n, work in enumerate(units):
                try:
                    with session.begin_nested():
                        results.append(work(session))
                except OperationalError:
                    # A deadlock between two runs' batches on PostgreSQL (they lock post rows in different
                    # orders): the savepoint undid this unit; it gets a transaction of its own below.
                    results.append(None)
                    again.append(n)
                except Exception as error:
                    results.append(_Raised(error))
        self.batches += 1
        for n in again:
            try:
                with self._sessions.begin() as session:
                    results[n] = units[n](session)
            except Exception as error:
                results[n] = _Raised(error)
        return results

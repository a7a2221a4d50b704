"""Group commit: many small writes from concurrent tasks, committed together.

A publish tick writes three to five short transactions per platform post (claim, checkpoints, result), tens of
thousands per tick. One at a time, each paid for its own session, BEGIN, COMMIT, a thread hop and a few
queries, and the writers queued behind SQLite's single write lock. Here the requests that arrive while one
batch commits form the next batch: one thread, one transaction. Requests of the same kind go to their batch
function together, so it can read and write their rows with a handful of statements instead of a handful per
request. If a batch function fails, its savepoint is undone and each of its requests runs alone, so one bad
request (a lost claim race, a missing row) fails only its own caller. Every caller's await returns after the
commit that holds its request, so "committed before the next platform call" still holds.
"""

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

R = TypeVar("R")
T = TypeVar("T")
# Takes the session and a batch of requests of one kind; returns one result per request, in order.
BatchFunction = Callable[[Session, Sequence[Any]], Sequence[Any]]

# Enough to amortise a transaction over hundreds of requests; small enough that the write lock is never held
# for long by one batch (other processes, the CLI or a second run, wait for it).
MAX_BATCH = 256


@dataclass
class _Raised:
    error: BaseException


class GroupCommit:
    """`await commits.run(batch_function, request)` hands `request` to `batch_function(session, [..., request,
    ...])` in the next batch's transaction and returns its result (or raises its error) once that transaction
    has committed. Use as `async with GroupCommit(sessions)`."""

    def __init__(self, sessions: sessionmaker[Session], *, max_batch: int = MAX_BATCH) -> None:
        self._sessions = sessions
        self._max_batch = max_batch
        self._pending: list[tuple[BatchFunction, Any, asyncio.Future[Any]]] = []
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self.batches = 0  # how many transactions the requests took, for benchmarks and tests

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
        for _, _, future in self._pending:
            future.cancel()

    async def run(self, batch_function: Callable[[Session, Sequence[R]], Sequence[T]], request: R) -> T:
        if self._worker is None or self._worker.done():
            raise RuntimeError("GroupCommit is not running: use it as `async with GroupCommit(sessions)`")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((batch_function, request, future))
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
                    results = await asyncio.to_thread(self._commit, [(fn, request) for fn, request, _ in batch])
                except Exception as error:  # the commit itself failed: no request of the batch is in the database
                    results = [_Raised(error)] * len(batch)
                for (_, _, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue  # its caller was cancelled; the request is committed all the same
                    if isinstance(result, _Raised):
                        future.set_exception(result.error)
                    else:
                        future.set_result(result)

    def _commit(self, requests: list[tuple[BatchFunction, Any]]) -> list[Any]:
        kinds: dict[BatchFunction, list[int]] = {}
        for n, (fn, _) in enumerate(requests):
            kinds.setdefault(fn, []).append(n)
        results: list[Any] = [None] * len(requests)
        alone: list[int] = []  # requests that get a transaction of their own after this one
        with self._sessions.begin() as session:
            for fn, positions in kinds.items():
                try:
                    with session.begin_nested():
                        values = fn(session, [requests[n][1] for n in positions])
                    results_by_position = dict(zip(positions, values, strict=True))
                except Exception:
                    results_by_position = {n: self._one(session, fn, requests[n][1], alone, n) for n in positions}
                for n, value in results_by_position.items():
                    results[n] = value
        self.batches += 1
        for n in alone:
            fn, request = requests[n]
            try:
                with self._sessions.begin() as session:
                    [results[n]] = fn(session, [request])
            except Exception as error:
                results[n] = _Raised(error)
        return results

    @staticmethod
    def _one(session: Session, fn: BatchFunction, request: Any, alone: list[int], n: int) -> Any:
        try:
            with session.begin_nested():
                [value] = fn(session, [request])
            return value
        except OperationalError:
            # A deadlock between two runs' batches on PostgreSQL (they lock post rows in different orders):
            # the savepoint undid this request; it gets a transaction of its own.
            alone.append(n)
            return None
        except Exception as error:
            return _Raised(error)

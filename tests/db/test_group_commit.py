"""Group commit: what the publish tick relies on when it batches its ledger writes."""

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from azmth_pipelines.db.engine import session_factory
from azmth_pipelines.db.group_commit import GroupCommit
from azmth_pipelines.db.models import Artist
from azmth_pipelines.db.types import utcnow


def add_artists(session: Session, names: Sequence[str]) -> list[int]:
    artists = [Artist(name=name, timezone="UTC", created_at=utcnow()) for name in names]
    session.add_all(artists)
    session.flush()
    if "fails" in names:
        raise LookupError("post 7 is gone")
    return [artist.id for artist in artists]


def _names() -> list[str]:
    with session_factory()() as session:
        return sorted(session.scalars(select(Artist.name)))


def test_concurrent_units_share_transactions_and_each_gets_its_result(database_url: str) -> None:
    async def main() -> tuple[list[int], int]:
        async with GroupCommit(session_factory()) as commits:
            ids = await asyncio.gather(*(commits.run(add_artists, f"artist {n:03}") for n in range(300)))
            return ids, commits.batches

    ids, batches = asyncio.run(main())
    assert len(set(ids)) == 300
    assert _names() == [f"artist {n:03}" for n in range(300)]
    assert batches < 300 / 10  # hundreds of units, a handful of transactions


def test_a_failing_request_is_undone_alone_and_its_caller_gets_the_error(database_url: str) -> None:
    """The batch function fails for the whole batch; each request is then tried alone, in its own savepoint."""

    async def main() -> tuple[list[object], int]:
        async with GroupCommit(session_factory()) as commits:
            names = ["before", "fails", "after"]
            results = await asyncio.gather(*(commits.run(add_artists, n) for n in names), return_exceptions=True)
            return results, commits.batches

    (before, failed, after), batches = asyncio.run(main())
    assert isinstance(failed, LookupError)
    assert isinstance(before, int) and isinstance(after, int)
    assert _names() == ["after", "before"]
    assert batches == 1


def test_a_unit_is_committed_when_its_await_returns(database_url: str) -> None:
    """What makes "checkpoint before the publish call" hold: another connection already sees the write."""

    async def main() -> int:
        async with GroupCommit(session_factory()) as commits:
            await commits.run(add_artists, "checkpointed")
            with session_factory()() as other:
                return other.scalar(select(func.count()).select_from(Artist)) or 0

    assert asyncio.run(main()) == 1


def test_run_outside_the_context_is_refused(database_url: str) -> None:
    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(GroupCommit(session_factory()).run(add_artists, "nobody"))

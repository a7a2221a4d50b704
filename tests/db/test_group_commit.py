"""Group commit: what the publish tick relies on when it batches its ledger writes."""

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from azmth_pipelines.db.engine import session_factory
from azmth_pipelines.db.group_commit import GroupCommit
from azmth_pipelines.db.models import Artist
from azmth_pipelines.db.types import utcnow


def _add_artist(name: str) -> int:
    def work(session: Session) -> int:
        artist = Artist(name=name, timezone="UTC", created_at=utcnow())
        session.add(artist)
        session.flush()
        return artist.id

    return work  # type: ignore[return-value]


def _names() -> list[str]:
    with session_factory()() as session:
        return sorted(session.scalars(select(Artist.name)))


def test_concurrent_units_share_transactions_and_each_gets_its_result(database_url: str) -> None:
    async def main() -> tuple[list[int], int]:
        async with GroupCommit(session_factory()) as commits:
            ids = await asyncio.gather(*(commits.run(_add_artist(f"artist {n:03}")) for n in range(300)))
            return ids, commits.batches

    ids, batches = asyncio.run(main())
    assert len(set(ids)) == 300
    assert _names() == [f"artist {n:03}" for n in range(300)]
    assert batches < 300 / 10  # hundreds of units, a handful of transactions


def test_a_failing_unit_is_undone_alone_and_its_caller_gets_the_error(database_url: str) -> None:
    def half_written_then_fails(session: Session) -> None:
        session.add(Artist(name="half", timezone="UTC", created_at=utcnow()))
        session.flush()
        raise LookupError("post 7 is gone")

    async def main() -> list[object]:
        async with GroupCommit(session_factory()) as commits:
            units = [_add_artist("before"), half_written_then_fails, _add_artist("after")]
            return await asyncio.gather(*(commits.run(u) for u in units), return_exceptions=True)

    before, failed, after = asyncio.run(main())
    assert isinstance(failed, LookupError)
    assert isinstance(before, int) and isinstance(after, int)
    assert _names() == ["after", "before"]


def test_a_unit_is_committed_when_its_await_returns(database_url: str) -> None:
    """What makes "checkpoint before the publish call" hold: another connection already sees the write."""

    async def main() -> int:
        async with GroupCommit(session_factory()) as commits:
            await commits.run(_add_artist("checkpointed"))
            with session_factory()() as other:
                return other.scalar(select(func.count()).select_from(Artist)) or 0

    assert asyncio.run(main()) == 1


def test_run_outside_the_context_is_refused(database_url: str) -> None:
    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(GroupCommit(session_factory()).run(_add_artist("nobody")))

"""An attempt that outlives its lease loses it to the run that takes it over: the slow run must not publish after."""

import asyncio
from datetime import timedelta
from typing import Any

from azmth_pipelines.db.engine import session_factory
from azmth_pipelines.publishing.job import Checkpoint, PublishJob
from azmth_pipelines.publishing.ledger import DEFAULT_LEASE, Stage
from azmth_pipelines.publishing.outcomes import Outcome, Published
from azmth_pipelines.publishing.planner import WorkItem
from azmth_pipelines.publishing.runner import PublishRunner
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, Studio


class PlatformStandIn:
    """Publishes by appending to `published`; the first attempt stalls (a slow upload, a hung poll) until released."""

    platform = Platform.X

    def __init__(self) -> None:
        self.published: list[int] = []
        self.stalled = asyncio.Event()
        self.release = asyncio.Event()

    async def publish(self, job: PublishJob, checkpoint: Checkpoint) -> Outcome:
        if job.attempt_number == 1:
            self.stalled.set()
            await self.release.wait()
        await checkpoint(Stage.PUBLISH_REQUESTED, {})
        self.published.append(job.attempt_number)
        return Published(remote_id=f"tweet-{job.attempt_number}")

    async def reconcile(self, job: PublishJob, stage: str, remote_ids: dict[str, Any]) -> Outcome:
        raise AssertionError("an attempt stopped before publish_requested needs no reconciling")


def test_a_run_that_outlived_its_lease_does_not_publish_what_another_run_took_over(studio: Studio) -> None:
    post_id = studio.post(["x"], body="Slow upload")
    platform = PlatformStandIn()

    def runner(now: Any) -> PublishRunner:
        return PublishRunner(
            session_factory(),
            {Platform.X: platform},  # type: ignore[dict-item]
            media_root=studio.store.root,
            cipher=TokenCipher.from_settings(),
            clock=lambda: now,
        )

    item = WorkItem(studio.artist_id, post_id, Platform.X)

    async def overlap() -> None:
        slow = asyncio.create_task(runner(AFTER_T0).run([item]))
        await platform.stalled.wait()
        # The next run comes after the slow attempt's lease ran out: it takes the attempt over (stopped before the
        # publish call, so proved unpublished) and publishes it as attempt 2.
        await runner(AFTER_T0 + DEFAULT_LEASE + timedelta(minutes=1)).run([item])
        platform.release.set()
        summary = await slow
        assert summary.skipped == 1 and not summary.states

    asyncio.run(overlap())
    assert platform.published == [2]
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["remote_id"], entry["attempts"]) == ("published", "tweet-2", 2)

"""A bug or an undocumented answer never leaves an attempt hanging, and never retries a possible publication."""

import asyncio
from typing import Any

import pytest

from azmth_pipelines.db.engine import session_factory
from azmth_pipelines.publishing.job import Checkpoint, PublishJob
from azmth_pipelines.publishing.ledger import Stage
from azmth_pipelines.publishing.outcomes import Outcome
from azmth_pipelines.publishing.planner import WorkItem
from azmth_pipelines.publishing.runner import PublishRunner
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, Studio


class BrokenPublisher:
    """Stands in for a publisher with a bug: raises before or after asking the platform to publish."""

    platform = Platform.X

    def __init__(self, after_request: bool) -> None:
        self.after_request = after_request

    async def publish(self, job: PublishJob, checkpoint: Checkpoint) -> Outcome:
        if self.after_request:
            await checkpoint(Stage.PUBLISH_REQUESTED, {})
        raise KeyError("data")

    async def reconcile(self, job: PublishJob, stage: str, remote_ids: dict[str, Any]) -> Outcome:
        raise AssertionError("not reached")


@pytest.mark.parametrize(("after_request", "state"), [(False, "retrying"), (True, "unconfirmed")])
def test_an_unexpected_error_finishes_the_attempt(studio: Studio, after_request: bool, state: str) -> None:
    post_id = studio.post(["x"], body="Bug hunt")
    runner = PublishRunner(
        session_factory(),
        {Platform.X: BrokenPublisher(after_request)},  # type: ignore[dict-item]
        media_root=studio.store.root,
        cipher=TokenCipher.from_settings(),
        clock=lambda: AFTER_T0,
    )
    summary = asyncio.run(runner.run([WorkItem(studio.artist_id, post_id, Platform.X)]))
    entry = studio.per_platform(post_id)["x"]
    assert entry["state"] == state
    assert "KeyError" in (entry["last_error"]["message"])
    assert summary.needs_ops
    [attempt] = studio.attempts(post_id, Platform.X)
    assert attempt.finished_at is not None


def test_a_bug_reading_the_job_after_the_claim_committed_finishes_the_attempt(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    post_id = studio.post(["x"], body="Bug hunt")

    def broken_caption_check(*args: Any, **kwargs: Any) -> str | None:
        raise ValueError("rules table is broken")

    monkeypatch.setattr("azmth_pipelines.publishing.runner.caption_problem", broken_caption_check)
    runner = PublishRunner(
        session_factory(),
        {Platform.X: BrokenPublisher(after_request=False)},  # type: ignore[dict-item]
        media_root=studio.store.root,
        cipher=TokenCipher.from_settings(),
        clock=lambda: AFTER_T0,
    )
    asyncio.run(runner.run([WorkItem(studio.artist_id, post_id, Platform.X)]))
    entry = studio.per_platform(post_id)["x"]
    assert entry["state"] == "retrying"  # never asked the platform: a later tick tries again
    assert "ValueError: rules table is broken" in entry["last_error"]["message"]
    [attempt] = studio.attempts(post_id, Platform.X)
    assert attempt.finished_at is not None

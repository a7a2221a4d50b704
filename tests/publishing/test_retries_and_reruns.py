"""Failures through the sandbox: retries across ticks, permanent errors, partial success, ops re-runs."""

from datetime import datetime, timedelta

import dagster as dg

from azmth_pipelines.publishing.state import RETRY_DELAYS
from azmth_pipelines.publishing.windows import WINDOW
from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, T0, Studio


def test_failed_platform_is_retried_five_times_then_the_post_is_failed(studio: Studio) -> None:
    post_id = studio.post(["x"])
    studio.sandbox.set_fault("x", "status_5xx", 503, scope="publish")
    now = AFTER_T0
    runs = studio.tick(now)
    for delay in RETRY_DELAYS:
        assert studio.per_platform(post_id)["x"]["state"] == "retrying"
        # A tick before the retry is due leaves the platform alone.
        assert studio.tick(now + delay - timedelta(minutes=1)) == []
        now += delay
        runs += studio.tick(now)
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["attempts"]) == ("failed", 6)
    assert "gave up after 6 attempts" in entry["last_error"]["message"]
    assert studio.row(post_id).status.value == "failed"
    assert len(runs) == 6 and not any(r.success for r in runs)
    assert now - AFTER_T0 == timedelta(minutes=90)
    assert studio.published(Platform.X) == []


def test_retries_come_on_consecutive_ticks_though_runs_start_after_their_tick(studio: Studio) -> None:
    """Deployed, a run starts seconds to minutes after its tick, and the next tick looks for due retries at its own
    time: each retry must still be due on the tick its delay aims at, so the five retries take about 1.5 hours."""
    post_id = studio.post(["x"], media=[studio.media.portrait_jpeg])
    studio.sandbox.set_fault("x", "status_5xx", 503, scope="upload")  # before X is asked to publish: a plain retry
    first_tick = T0 + WINDOW
    ran = []
    for n in range(12):  # three hours of ticks
        tick = first_tick + n * WINDOW
        if studio.tick_as_deployed(tick, runs_start_after=timedelta(seconds=(20, 95, 5, 240, 45, 130)[n % 6])):
            ran.append(tick - first_tick)
    assert ran == [timedelta(minutes=m) for m in (0, 15, 30, 45, 60, 90)]
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["attempts"]) == ("failed", 6)
    first_attempt = studio.attempts(post_id, Platform.X)[0]
    assert datetime.fromisoformat(entry["settled_at"]) - first_attempt.started_at < timedelta(minutes=95)
    assert studio.published(Platform.X) == []


def test_a_platform_that_recovers_on_retry_publishes_once(studio: Studio) -> None:
    post_id = studio.post(["x", "threads"])
    studio.sandbox.set_fault("x", "status_5xx", 503, scope="publish", times=1)  # overloaded: nothing was done
    studio.tick(AFTER_T0)
    assert studio.per_platform(post_id)["x"]["state"] == "retrying"
    assert studio.row(post_id).status.value == "posted"  # Threads went out: the post is posted already
    studio.tick(AFTER_T0 + RETRY_DELAYS[0])
    assert studio.per_platform(post_id)["x"]["state"] == "published"
    assert len(studio.published(Platform.X)) == 1
    assert len(studio.published(Platform.THREADS)) == 1


def test_post_with_one_successful_platform_stays_posted(studio: Studio) -> None:
    # Too long for X (280), fine for Threads (500); written as the web app may, unchecked.
    post_id = studio.post(["threads", "x"], body="x" * 300, as_web_app=True)
    studio.tick(AFTER_T0)
    per_platform = studio.per_platform(post_id)
    assert per_platform["threads"]["state"] == "published"
    assert per_platform["x"]["state"] == "failed"
    assert per_platform["x"]["attempts"] == 1  # a permanent error burns no retries
    assert "at most 280" in per_platform["x"]["last_error"]["message"]
    assert studio.row(post_id).status.value == "posted"
    assert studio.published(Platform.X) == []


def test_instagram_refusal_shows_metas_user_message(studio: Studio) -> None:
    post_id = studio.post(["instagram"], media=[studio.media.panorama_jpeg], as_web_app=True)
    studio.tick(AFTER_T0)
    error = studio.per_platform(post_id)["instagram"]["last_error"]
    assert studio.per_platform(post_id)["instagram"]["state"] == "failed"
    assert error.get("user_message"), error


def test_a_post_created_late_is_published_on_the_next_tick(studio: Studio) -> None:
    late = T0 - timedelta(hours=2)  # scheduled_for already past when it was written
    post_id = studio.post(["threads"], at=late)
    runs = studio.tick(AFTER_T0)
    assert [r.partition_key for r in runs] == ["2026-11-02-15:00"]
    assert studio.per_platform(post_id)["threads"]["state"] == "published"


def test_deleted_posts_and_drafts_are_never_published(studio: Studio) -> None:
    from azmth_pipelines.db.engine import session_scope
    from azmth_pipelines.db.models import ContentPost

    deleted = studio.post(["threads"], body="deleted")
    draft = studio.post(["threads"], body="draft")
    with session_scope() as session:
        row = session.get(ContentPost, deleted)
        assert row is not None
        row.deleted_at = T0
        draft_row = session.get(ContentPost, draft)
        assert draft_row is not None
        draft_row.status = draft_row.status.DRAFT
    assert studio.tick(AFTER_T0) == []
    assert studio.published(Platform.THREADS) == []


def test_ops_rerun_after_a_fix_publishes_the_failed_platform_and_nothing_twice(studio: Studio) -> None:
    post_id = studio.post(["x", "threads"], body="Tour dates")
    studio.sandbox.set_fault("x", "status_5xx", 503, scope="publish")
    [run] = studio.tick(AFTER_T0)
    assert not run.success
    studio.sandbox.clear_faults()
    result = studio.rerun(run)
    assert result.success
    per_platform = studio.per_platform(post_id)
    assert per_platform["x"]["state"] == "published"
    assert per_platform["threads"]["attempts"] == 1
    assert len(studio.published(Platform.X)) == 1
    assert len(studio.published(Platform.THREADS)) == 1
    [_, rerun_attempt] = studio.attempts(post_id, Platform.X)
    assert rerun_attempt.manual


def test_shards_split_a_window_by_artist(studio: Studio) -> None:
    first = studio.post(["threads"], body="one")
    [run] = studio.tick(AFTER_T0, shard_count=3)
    assert run.success
    assert studio.per_platform(first)["threads"]["state"] == "published"
    steps = {
        e.step_key for e in studio.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS) if e.step_key
    }
    assert any(key.startswith("publish_shard[") for key in steps)

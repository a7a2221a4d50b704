"""Rate limits through the sandbox: a platform that says when its limit resets is not asked again before then, the
attempts it turned away spend no retry, and a reset later than the retries go on fails the platform at once."""

from datetime import UTC, datetime, timedelta

from azmth_pipelines.publishing.state import RETRY_DELAYS, PlatformEntry
from azmth_pipelines.publishing.windows import WINDOW
from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, Studio

HOUR = 3600


def _at(hour: int, minute: int) -> str:
    return datetime(2026, 11, 2, hour, minute, tzinfo=UTC).isoformat()


def _ticks_without_requests(studio: Studio, platform: Platform, ticks: list[datetime]) -> None:
    served = studio.sandbox.requests_served().get(platform.value, 0)
    for tick in ticks:
        assert studio.tick(tick) == [], f"a run at {tick:%H:%M:%S} before the limit reset"
    assert studio.sandbox.requests_served().get(platform.value, 0) == served


def test_x_is_not_asked_again_before_its_rate_limit_resets_and_publishes_on_the_first_tick_after(
    studio: Studio,
) -> None:
    post_id = studio.post(["x"])
    studio.sandbox.set_fault("x", "rate_limit", HOUR, scope="publish", times=1)
    # 17:15:05: X answers 429 with x-rate-limit-reset an hour after the sandbox's (wall) clock. The client turns it into
    # a wait and the ledger adds that to the run's fixed clock: the limit resets at 18:15:05 and a second or so.
    studio.tick(AFTER_T0)
    entry = studio.per_platform(post_id)["x"]
    assert entry["state"] == "retrying"
    # 18:15's runs could start a moment before 18:15:05: the first tick whose runs all come after the reset is 18:30.
    assert entry["next_retry_at"] == _at(18, 30)
    assert (
        entry["last_error"]["user_message"]
        == "X rate limit: next try at 18:30 UTC, after the limit resets at 18:16 UTC"
    )
    _ticks_without_requests(studio, Platform.X, [AFTER_T0 + n * WINDOW for n in range(1, 5)])  # 17:30 ... 18:15
    studio.tick(AFTER_T0 + 5 * WINDOW)  # 18:30:05
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["attempts"]) == ("published", 2)
    assert len(studio.published(Platform.X)) == 1


def test_instagram_waits_out_the_regain_time_of_its_usage_header(studio: Studio) -> None:
    post_id = studio.post(["instagram"], media=[studio.media.portrait_jpeg])
    # Instagram answers code 80002 with X-Business-Use-Case-Usage: estimated_time_to_regain_access 60 (minutes).
    studio.sandbox.set_fault("instagram", "rate_limit", HOUR, scope="publish", times=1)
    studio.tick(AFTER_T0)
    entry = studio.per_platform(post_id)["instagram"]
    assert (entry["state"], entry["next_retry_at"]) == ("retrying", _at(18, 30))
    assert "Instagram rate limit: next try at 18:30 UTC" in entry["last_error"]["user_message"]
    _ticks_without_requests(studio, Platform.INSTAGRAM, [AFTER_T0 + n * WINDOW for n in range(1, 5)])
    studio.tick(AFTER_T0 + 5 * WINDOW)
    assert studio.per_platform(post_id)["instagram"]["state"] == "published"
    assert len(studio.published(Platform.INSTAGRAM)) == 1


def test_an_attempt_turned_away_until_a_known_reset_spends_no_retry_but_a_429_without_hint_does(
    studio: Studio,
) -> None:
    post_id = studio.post(["threads"])
    studio.sandbox.set_fault("threads", "rate_limit", HOUR, scope="publish", times=1)
    studio.tick(AFTER_T0)
    # After the reset Threads keeps throttling, now without saying until when: plain retries on the usual schedule.
    studio.sandbox.set_fault("threads", "rate_limit", scope="publish")
    now = AFTER_T0 + 5 * WINDOW  # 18:30:05, the first tick after the reset
    studio.tick(now)
    assert studio.per_platform(post_id)["threads"]["next_retry_at"] == _at(18, 45)
    for delay in RETRY_DELAYS:
        now += delay
        studio.tick(now)
    entry = studio.per_platform(post_id)["threads"]
    # Five retries after the reset, as after any first failure: the attempt before the reset cost none of them.
    assert (entry["state"], entry["attempts"]) == ("failed", 7)
    assert "gave up after 7 attempts" in entry["last_error"]["message"]
    assert [a.started_at for a in studio.attempts(post_id, Platform.THREADS)][1:] == [
        AFTER_T0 + timedelta(minutes=m) for m in (75, 90, 105, 120, 135, 165)
    ]
    assert studio.published(Platform.THREADS) == []


def test_a_reset_later_than_the_retries_go_on_fails_the_platform_at_once_saying_when(studio: Studio) -> None:
    post_id = studio.post(["x"])
    studio.sandbox.set_fault("x", "rate_limit", 3 * HOUR, scope="publish")
    studio.tick(AFTER_T0)
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["attempts"]) == ("failed", 1)
    message = entry["last_error"]["user_message"]
    assert message.startswith("X rate limit (Rate limit exceeded) resets at 20:16 UTC")
    assert message.endswith("Publish it again after 20:16 UTC.")
    assert studio.row(post_id).status.value == "failed"
    assert studio.tick(AFTER_T0 + WINDOW) == []


def test_a_reset_within_the_retry_span_and_one_tick_is_still_waited_for(studio: Studio) -> None:
    post_id = studio.post(["x"])
    # Resets at 18:55:05; the last tick a reset may be waited for is 19:00 (17:15 + 90 minutes + one tick).
    studio.sandbox.set_fault("x", "rate_limit", 100 * 60, scope="publish", times=1)
    studio.tick(AFTER_T0)
    assert studio.per_platform(post_id)["x"]["next_retry_at"] == _at(19, 0)
    studio.tick(AFTER_T0 + 7 * WINDOW)
    assert studio.per_platform(post_id)["x"]["state"] == "published"


def test_per_platform_entries_without_unspent_attempts_read_as_all_spent_and_stay_that_shape() -> None:
    written_before = {"state": "retrying", "attempts": 3, "next_retry_at": _at(18, 0)}
    entry = PlatformEntry.from_json(written_before)
    assert (entry.unspent_attempts, entry.spent_attempts) == (0, 3)
    assert entry.to_json() == written_before
    waited = PlatformEntry.from_json({**written_before, "unspent_attempts": 1})
    assert waited.spent_attempts == 2


def test_an_ops_rerun_long_after_the_first_attempt_still_waits_for_a_known_reset(studio: Studio) -> None:
    """The wait is bounded from the start of the current series of attempts: an ops re-run starts one afresh."""
    from azmth_pipelines.definitions import defs
    from azmth_pipelines.ops.tick import publish_config

    post_id = studio.post(["x"], body="Re-run the next day")
    studio.sandbox.set_fault("x", "status_5xx", 503, scope="publish", times=1)
    [run] = studio.tick(AFTER_T0)
    assert studio.per_platform(post_id)["x"]["state"] == "retrying"
    studio.sandbox.set_fault("x", "rate_limit", HOUR, scope="publish", times=1)
    next_day = AFTER_T0 + timedelta(days=1)
    parent = studio.instance.get_run_by_id(run.run_id)
    assert parent is not None
    defs.resolve_job_def("publish_job").execute_in_process(
        partition_key=run.partition_key,
        instance=studio.instance,
        run_config=publish_config(next_day),
        tags={**parent.tags, "dagster/parent_run_id": run.run_id, "dagster/root_run_id": run.run_id},
        raise_on_error=False,
    )
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["next_retry_at"]) == ("retrying", _at(18, 30).replace("11-02", "11-03"))
    assert not studio.published(Platform.X)

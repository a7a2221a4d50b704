"""No post row stops the orchestrator: a post dated before the publish partitions is published late, a row the
web app wrote wrong is skipped and reported, and every other artist's posts go out on the same tick."""

from datetime import UTC, datetime, timedelta

import dagster as dg
from sqlalchemy import select, update
from typer.testing import CliRunner

from azmth_pipelines.cli.main import app
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import ContentPost, StaffError
from azmth_pipelines.definitions import defs
from azmth_pipelines.publishing.invalid_rows import INVALID_POST_ROW
from azmth_pipelines.schedules import publish_schedule
from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, T0, Studio

runner = CliRunner()
FIRST_PARTITION = "2026-01-01-00:00"


def _evaluate(studio: Studio, when: datetime) -> list[dg.RunRequest] | dg.SkipReason:
    context = dg.build_schedule_context(instance=studio.instance, scheduled_execution_time=when)
    return publish_schedule(context, database=defs.resources["database"])


def _break(post_id: int, **values: object) -> None:
    """What a web app with a bug (or a hand-written import) may write straight into the table."""
    with session_scope() as session:
        session.execute(update(ContentPost).where(ContentPost.id == post_id).values(**values))


def _staff_rows(post_id: int) -> list[StaffError]:
    with session_scope() as session:
        rows = session.scalars(select(StaffError).where(StaffError.post_id == post_id)).all()
        session.expunge_all()
        return list(rows)


def _tick_cli(now: datetime) -> tuple[int, str, str]:
    result = runner.invoke(app, ["publish", "tick", "--now", now.isoformat()])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_a_post_dated_before_the_partitions_is_published_as_a_late_post_beside_the_others(studio: Studio) -> None:
    typo = studio.post(["threads"], body="Dated 2020 by a typo", at=datetime(2020, 11, 2, 17, 0, tzinfo=UTC))
    on_time = studio.post(["threads"], body="On time")
    requests = _evaluate(studio, AFTER_T0)
    assert isinstance(requests, list)
    assert sorted(r.partition_key for r in requests) == [FIRST_PARTITION, "2026-11-02-17:00"]

    runs = studio.tick(AFTER_T0)
    assert all(run.success for run in runs)
    assert studio.per_platform(typo)["threads"]["state"] == "published"
    assert studio.per_platform(on_time)["threads"]["state"] == "published"
    assert studio.tick(AFTER_T0 + timedelta(minutes=15)) == []  # published once, not again


def test_an_unreadable_row_is_skipped_and_reported_once_and_the_other_posts_publish(studio: Studio) -> None:
    unknown_platform = studio.post(["threads"], body="Goes to a platform we do not know")
    _break(unknown_platform, platforms=["threads", "myspace"])
    garbled = studio.post(["x"], body="Its state is garbled")
    _break(garbled, per_platform={"x": {"state": "done-ish"}})
    good = studio.post(["threads"], body="Nothing wrong with me")

    requests = _evaluate(studio, AFTER_T0)
    assert isinstance(requests, list) and [r.partition_key for r in requests] == ["2026-11-02-17:00"]
    [staff] = _staff_rows(unknown_platform)
    assert (staff.error_code, staff.platform) == (INVALID_POST_ROW, None)
    assert "'myspace' is not one of tiktok, instagram, threads, x" in (staff.message or "")
    assert "per_platform.x" in (_staff_rows(garbled)[0].message or "")

    code, out, _ = _tick_cli(AFTER_T0)
    assert studio.per_platform(good)["threads"]["state"] == "published"
    assert code == 1  # ops must fix the rows: the tick says so, like the schedule's warnings
    assert f"skipped post {unknown_platform}: platforms: 'myspace'" in out
    assert f"skipped post {garbled}: per_platform.x cannot be read" in out
    assert len(_staff_rows(unknown_platform)) == 1  # reported once, not on every tick
    assert not studio.published(Platform.X)


def test_the_run_of_a_window_skips_an_unreadable_row_it_meets(studio: Studio) -> None:
    """A row broken after the schedule asked for its window (or re-executed from the UI) never fails the run."""
    good = studio.post(["threads"], body="Fine")
    broken = studio.post(["threads"], body="Broken later")
    requests = _evaluate(studio, AFTER_T0)
    _break(broken, per_platform={"threads": "published"})
    assert isinstance(requests, list)
    runs = studio.tick(AFTER_T0)
    assert [run.success for run in runs] == [True]
    assert studio.per_platform(good)["threads"]["state"] == "published"
    assert len(_staff_rows(broken)) == 1


def test_a_tick_in_the_future_is_refused_in_one_line(studio: Studio) -> None:
    studio.post(["threads"])
    code, out, err = _tick_cli(datetime.now(UTC) + timedelta(days=1))
    assert code == 1 and out == ""
    assert err.startswith("error: --now: ") and "in the future" in err and len(err.strip().splitlines()) == 1


def test_the_tick_tells_per_window_what_happened_and_fails_on_platform_trouble(studio: Studio) -> None:
    refused = studio.post(["x"], body="Short for now")
    _break(refused, body="x" * 300)  # over X's 280, written by the web app: the artist must shorten it
    troubled = studio.post(["threads"], body="Threads is down")
    studio.sandbox.set_fault("threads", "status_5xx", 503, scope="publish")

    code, out, _ = _tick_cli(AFTER_T0)
    assert code == 1
    [line, *details] = out.strip().splitlines()
    assert line.startswith("window 2026-11-02-17:00: 1 retrying, 1 failed; run FAILED")
    assert any(d.startswith(f"  needs ops: post {troubled} threads: retrying:") for d in details)
    assert any(d.startswith(f"  refused, the artist can fix: post {refused} x: failed:") for d in details)


def test_a_window_whose_platforms_all_failed_is_not_reported_ok(studio: Studio) -> None:
    _break(studio.post(["x"], body="Short for now"), body="y" * 300)
    code, out, _ = _tick_cli(AFTER_T0)
    assert code == 0  # a refusal only the artist can fix does not fail the run, as in Dagster
    assert out.startswith("window 2026-11-02-17:00: 1 failed; run ok")
    assert ": ok" not in out


def test_scheduled_posts_of_the_future_wait(studio: Studio) -> None:
    studio.post(["threads"], at=T0 + timedelta(days=400))
    assert isinstance(_evaluate(studio, AFTER_T0), dg.SkipReason)

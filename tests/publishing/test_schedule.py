"""The 15-minute schedule asks for one run per closed window with due work, each (window, tick) once."""

from datetime import timedelta

import dagster as dg

from azmth_pipelines.definitions import defs
from azmth_pipelines.schedules import publish_schedule
from tests.publishing.conftest import AFTER_T0, T0, Studio


def _evaluate(studio: Studio, when):  # type: ignore[no-untyped-def]
    context = dg.build_schedule_context(instance=studio.instance, scheduled_execution_time=when)
    return publish_schedule(context, database=defs.resources["database"])


def test_schedule_requests_the_closed_window_and_late_ones_once_per_tick(studio: Studio) -> None:
    studio.post(["threads"], body="on time")
    studio.post(["threads"], body="late", at=T0 - timedelta(hours=1))
    studio.post(["threads"], body="not yet", at=AFTER_T0)  # in the window still open at the tick
    requests = _evaluate(studio, AFTER_T0)
    assert [r.partition_key for r in requests] == ["2026-11-02-16:00", "2026-11-02-17:00"]
    assert all(r.tags["azmth/trigger"] == "schedule" for r in requests)
    assert len({r.run_key for r in requests}) == 2
    again = _evaluate(studio, AFTER_T0 + timedelta(minutes=15))
    assert {r.run_key for r in again}.isdisjoint({r.run_key for r in requests})


def test_schedule_skips_when_nothing_is_due(studio: Studio) -> None:
    result = _evaluate(studio, AFTER_T0)
    assert isinstance(result, dg.SkipReason)

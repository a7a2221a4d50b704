"""The 15-minute schedule asks for one run per closed window with due work, each (window, tick) once."""

from datetime import timedelta

import dagster as dg
from sqlalchemy import update

from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import ContentPost
from azmth_pipelines.definitions import defs
from azmth_pipelines.publishing.planner import SETTLED_LOOKBACK
from azmth_pipelines.publishing.state import PlatformEntry, PlatformState
from azmth_pipelines.schedules import publish_schedule
from azmth_pipelines.vocabulary import PostStatus
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


def test_schedule_finds_due_retries_of_posted_posts_but_not_posts_settled_long_ago(studio: Studio) -> None:
    """A tick reads the posts that can have work, not every post ever published: a posted post is read while its
    row changed within SETTLED_LOOKBACK (every attempt touches it; retries come at most 30 minutes apart)."""
    retrying = PlatformEntry(state=PlatformState.RETRYING, attempts=2, next_retry_at=AFTER_T0 - timedelta(minutes=1))
    touched = {
        studio.post(["threads", "x"], body="x retrying", at=T0 - timedelta(hours=1)): AFTER_T0 - timedelta(minutes=20),
        studio.post(["threads", "x"], body="stale", at=T0 - timedelta(days=30)): AFTER_T0 - SETTLED_LOOKBACK * 2,
    }
    with session_scope() as session:
        for post_id, updated_at in touched.items():
            session.execute(
                update(ContentPost)
                .where(ContentPost.id == post_id)
                .values(
                    status=PostStatus.POSTED,
                    per_platform={"threads": {"state": "published"}, "x": retrying.to_json()},
                    updated_at=updated_at,
                )
            )
    requests = _evaluate(studio, AFTER_T0)
    assert [r.partition_key for r in requests] == ["2026-11-02-16:00"]

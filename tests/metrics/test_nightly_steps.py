"""The nightly pull runs as several steps, each a range of posts, so a big night spreads over the Celery workers:
together the ranges cover every post, each step replaces only its own posts' rows, and the day's rows are the
same however many steps pulled them."""

from datetime import date

import dagster as dg
from sqlalchemy import select

from azmth_pipelines.assets.metrics import (
    account_metrics_snapshot,
    account_post_metrics,
    metrics_nightly_job,
    social_post_metrics,
)
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import SocialPostMetrics
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.definitions import code_location_resources
from azmth_pipelines.domain.lifecycle import delete_posts
from azmth_pipelines.metrics.sync import sync_nightly
from azmth_pipelines.metrics.targets import PostRange, post_ranges
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.vocabulary import MetricSource, Platform
from tests.metrics.conftest import FAST, MetricsStudio

D = date(2026, 11, 27)


def _nightly(studio: MetricsStudio, posts_per_step: int) -> dg.ExecuteInProcessResult:
    defs = dg.Definitions(
        assets=[social_post_metrics, account_metrics_snapshot, account_post_metrics],
        jobs=[metrics_nightly_job],
        resources=code_location_resources(DatabaseResource(url=studio.database_url)),
    )
    config = {
        "ops": {"social_post_metrics": {"ops": {"plan_nightly_pull": {"config": {"posts_per_step": posts_per_step}}}}}
    }
    return defs.resolve_job_def("metrics_nightly_job").execute_in_process(
        partition_key=D.isoformat(), run_config=config, instance=dg.DagsterInstance.ephemeral()
    )


def _nightly_rows() -> list[tuple[int, str, int | None]]:
    with session_scope() as session:
        rows = session.execute(
            select(SocialPostMetrics.post_id, SocialPostMetrics.platform, SocialPostMetrics.likes).where(
                SocialPostMetrics.source == MetricSource.NIGHTLY, SocialPostMetrics.partition_date == D
            )
        ).all()
    return sorted((post_id, str(platform), likes) for post_id, platform, likes in rows)


def _pull_steps(result: dg.ExecuteInProcessResult) -> list[str]:
    return sorted(
        event.step_key
        for event in result.all_events
        if event.is_step_success and event.step_key and ".pull_nightly_posts[" in event.step_key
    )


def test_ranges_cover_every_post_id_in_steps_of_the_asked_size(connected: MetricsStudio) -> None:
    posts = [connected.publish(Platform.X) for _ in range(5)]
    deleted = posts[1]
    with session_scope() as session:
        delete_posts(session, [deleted], now=utcnow())  # a deleted post is not pulled, so it does not count

    with session_scope() as session:
        ranges = post_ranges(session, 2)
        assert post_ranges(session, 10) == [PostRange(0, None)]

    live = [p for p in posts if p != deleted]
    assert ranges == [PostRange(0, live[2]), PostRange(live[2], None)]


def test_a_night_in_many_steps_writes_what_one_step_writes(connected: MetricsStudio) -> None:
    for _ in range(5):
        connected.publish(Platform.X, Platform.THREADS)

    in_steps = _nightly(connected, posts_per_step=2)
    rows_in_steps = _nightly_rows()
    in_one = _nightly(connected, posts_per_step=1000)

    assert len(_pull_steps(in_steps)) == 3 and len(_pull_steps(in_one)) == 1
    assert len(rows_in_steps) == 10
    assert [(p, pl) for p, pl, _ in _nightly_rows()] == [(p, pl) for p, pl, _ in rows_in_steps]  # replaced, not added
    [materialization] = in_steps.asset_materializations_for_node("social_post_metrics")
    numbers = {name: value.value for name, value in materialization.metadata.items()}
    assert numbers["targets"] == numbers["rows_written"] == numbers["dagster/row_count"] == 10
    assert numbers["report"]["pull_cpu_s"] > 0  # the three steps' CPU seconds, summed


def test_a_step_replaces_only_its_own_posts_rows(connected: MetricsStudio) -> None:
    first, second = connected.publish(Platform.X), connected.publish(Platform.X)
    sync_nightly(D, sessions=connected.sessions, settings=FAST)
    with session_scope() as session:
        before = {row.post_id: row.captured_at for row in session.scalars(select(SocialPostMetrics))}

    sync_nightly(D, sessions=connected.sessions, settings=FAST, posts=PostRange(second, None))

    with session_scope() as session:
        after = {row.post_id: row.captured_at for row in session.scalars(select(SocialPostMetrics))}
    assert after[first] == before[first]  # the other range's row is untouched
    assert after[second] != before[second]  # this range's row was replaced

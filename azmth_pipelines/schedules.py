"""Schedules: the 15-minute publish tick here; `all_schedules` lists every schedule of the code location."""

from datetime import UTC

import dagster as dg

from azmth_pipelines.ops.publish import SCHEDULED, TRIGGER_TAG, publish_job
from azmth_pipelines.publishing.planner import windows_with_work
from azmth_pipelines.publishing.windows import partition_key
from azmth_pipelines.resources.database import DatabaseResource


def publish_run_requests(database: DatabaseResource, now) -> list[dg.RunRequest]:  # type: ignore[no-untyped-def]
    """One run per closed window with due work; the run key makes each (window, tick) request happen once."""
    with database.session() as session:
        windows = windows_with_work(session, now=now)
    tick = now.astimezone(UTC).strftime("%Y%m%dT%H%M")
    return [
        dg.RunRequest(
            partition_key=partition_key(window),
            run_key=f"publish:{partition_key(window)}@{tick}",
            tags={TRIGGER_TAG: SCHEDULED},
        )
        for window in windows
    ]


@dg.schedule(
    cron_schedule="*/15 * * * *",
    job=publish_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every 15 minutes: publish the window that just closed, late posts and due retries.",
)
def publish_schedule(context: dg.ScheduleEvaluationContext, database: DatabaseResource):
    requests = publish_run_requests(database, context.scheduled_execution_time)
    if not requests:
        return dg.SkipReason("no scheduled posts or retries are due")
    return requests


def all_schedules() -> list[dg.ScheduleDefinition]:
    from azmth_pipelines.assets.connections import refresh_connections_schedule
    from azmth_pipelines.assets.metrics import metrics_freshness_schedule, metrics_nightly_schedule
    from azmth_pipelines.ops.lifecycle import purge_schedule

    return [
        publish_schedule,
        metrics_nightly_schedule,
        metrics_freshness_schedule,
        refresh_connections_schedule,
        purge_schedule,
    ]

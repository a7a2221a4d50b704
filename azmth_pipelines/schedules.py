"""Schedules: the 15-minute publish tick here; `all_schedules` lists every schedule of the code location."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from azmth_pipelines.ops.publish import publish_job, publish_windows, window_run_tags
from azmth_pipelines.owners import OWNER_TAGS
from azmth_pipelines.publishing.invalid_rows import InvalidPostRow, record_invalid_rows
from azmth_pipelines.publishing.planner import windows_with_work
from azmth_pipelines.publishing.windows import partition_key
from azmth_pipelines.resources.database import DatabaseResource


@dataclass(frozen=True)
class TickPlan:
    """What one tick launches: a run per closed window with due work, and the post rows it had to skip."""

    requests: list[dg.RunRequest]
    invalid_rows: list[InvalidPostRow]
    # Windows with work that Dagster does not know yet (their end is after its clock): a later tick runs them.
    not_closed: list[str]


def plan_tick(database: DatabaseResource, now: datetime) -> TickPlan:
    """One run per closed window with due work; the run key makes each (window, tick) request happen once. A row that
    cannot be read is skipped and reported to staff (once), never stopping the windows of other artists."""
    with database.session() as session:
        due = windows_with_work(session, now=now)
        record_invalid_rows(session, due.invalid_rows, now=now)
    tick = now.astimezone(UTC).strftime("%Y%m%dT%H%M")
    requests, not_closed = [], []
    for window in due.windows:
        key = partition_key(window)
        if not publish_windows.has_partition_key(key):
            not_closed.append(key)
            continue
        requests.append(
            dg.RunRequest(partition_key=key, run_key=f"publish:{key}@{tick}", tags=window_run_tags(key, scheduled=True))
        )
    return TickPlan(requests, due.invalid_rows, not_closed)


@dg.schedule(
    cron_schedule="*/15 * * * *",
    job=publish_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    tags=OWNER_TAGS,
    description="Every 15 minutes: publish the window that just closed, late posts and due retries. Post rows that "
    "cannot be read are skipped (warned here, one staff error each) and never hold up the other posts.",
)
def publish_schedule(
    context: dg.ScheduleEvaluationContext, database: DatabaseResource
) -> list[dg.RunRequest] | dg.SkipReason:
    plan = plan_tick(database, context.scheduled_execution_time)
    for row in plan.invalid_rows:
        context.log.warning(row.message)
    for key in plan.not_closed:
        context.log.warning(f"window {key} has due work but has not closed by Dagster's clock; a later tick runs it")
    if not plan.requests:
        return dg.SkipReason("no scheduled posts or retries are due")
    return plan.requests


# Any: Definitions also takes the unresolved schedule of a partitioned asset job (metrics_nightly_schedule), a type
# Dagster does not export.
def all_schedules() -> list[Any]:
    from azmth_pipelines.assets.connections import refresh_connections_schedule
    from azmth_pipelines.assets.metrics import metrics_freshness_schedule, metrics_nightly_schedule
    from azmth_pipelines.assets.releases import release_rollup_weekly_full_schedule
    from azmth_pipelines.ops.lifecycle import purge_schedule

    return [
        publish_schedule,
        metrics_nightly_schedule,
        metrics_freshness_schedule,
        refresh_connections_schedule,
        purge_schedule,
        release_rollup_weekly_full_schedule,
    ]

"""Sensors: failed publish runs are reported for ops here, and every ended publish run gets its totals as run tags;
`all_sensors` lists every sensor of the location, with the email alerts of azmth_pipelines.alerts when AZMTH_ALERT_TO
is set."""

import dagster as dg

from azmth_pipelines.ops.publish import publish_job, run_total_tags
from azmth_pipelines.owners import OWNER_TAGS


@dg.run_failure_sensor(
    monitored_jobs=[publish_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Logs every failed publish_job run with its window, for ops to re-execute from the UI.",
    tags=OWNER_TAGS,
)
def publish_run_failure_sensor(context: dg.RunFailureSensorContext) -> None:
    """Log every failed publish run with its window, so ops can find and re-execute it; tag its totals."""
    run = context.dagster_run
    _tag_run_totals(context)
    window = run.tags.get("dagster/partition", "?")
    context.log.warning(
        f"publish run {run.run_id} for window {window} failed: {context.failure_event.message}. "
        "Re-execute it from the Dagster UI to retry its failed platforms now (published ones are never reposted)."
    )


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[publish_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Tags every successful publish_job run with its totals by state (azmth/published, azmth/retrying, "
    "...), summed over all its shards; publish_run_failure_sensor does the same for failed runs.",
    tags=OWNER_TAGS,
)
def publish_run_totals_sensor(context: dg.RunStatusSensorContext) -> None:
    """Tag a successful publish run with its totals."""
    _tag_run_totals(context)


def _tag_run_totals(context: dg.RunStatusSensorContext) -> None:
    run_id = context.dagster_run.run_id
    kinds = {dg.DagsterEventType.STEP_OUTPUT, dg.DagsterEventType.STEP_FAILURE}
    records = context.instance.get_records_for_run(run_id, of_type=kinds).records
    events = [r.event_log_entry.dagster_event for r in records if r.event_log_entry.dagster_event is not None]
    totals = run_total_tags(events)
    if totals:
        context.instance.add_run_tags(run_id, totals)


def all_sensors() -> list[dg.SensorDefinition]:
    from azmth_pipelines.alerts import alert_sensors
    from azmth_pipelines.assets.metrics import metrics_followup_sensor
    from azmth_pipelines.assets.releases import release_rollup_sensor

    return [
        publish_run_failure_sensor,
        publish_run_totals_sensor,
        metrics_followup_sensor,
        release_rollup_sensor,
        *alert_sensors(),
    ]

"""Sensors: failed publish runs are reported for ops here; `all_sensors` lists every sensor of the location, with
the email alerts of azmth_pipelines.alerts when AZMTH_ALERT_TO is set."""

import dagster as dg

from azmth_pipelines.ops.publish import publish_job
from azmth_pipelines.owners import OWNER_TAGS


@dg.run_failure_sensor(
    monitored_jobs=[publish_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Logs every failed publish_job run with its window, for ops to re-execute from the UI.",
    tags=OWNER_TAGS,
)
def publish_run_failure_sensor(context: dg.RunFailureSensorContext) -> None:
    """Log every failed publish run with its window, so ops can find and re-execute it."""
    run = context.dagster_run
    window = run.tags.get("dagster/partition", "?")
    context.log.warning(
        f"publish run {run.run_id} for window {window} failed: {context.failure_event.message}. "
        "Re-execute it from the Dagster UI to retry its failed platforms now (published ones are never reposted)."
    )


def all_sensors() -> list[dg.SensorDefinition]:
    from azmth_pipelines.alerts import alert_sensors
    from azmth_pipelines.assets.metrics import metrics_followup_sensor
    from azmth_pipelines.assets.releases import release_rollup_sensor

    return [publish_run_failure_sensor, metrics_followup_sensor, release_rollup_sensor, *alert_sensors()]

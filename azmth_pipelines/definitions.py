"""The code location: every asset, job, schedule, sensor and resource, built in one place."""

import dagster as dg

from azmth_pipelines.assets.connections import refresh_connections_job, refresh_connections_schedule
from azmth_pipelines.ops.lifecycle import purge_job, purge_schedule
from azmth_pipelines.ops.publish import publish_job
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.resources.platforms import platform_resources
from azmth_pipelines.schedules import publish_schedule
from azmth_pipelines.sensors import publish_run_failure_sensor

defs = dg.Definitions(
    jobs=[publish_job, refresh_connections_job, purge_job],
    schedules=[publish_schedule, refresh_connections_schedule, purge_schedule],
    sensors=[publish_run_failure_sensor],
    resources={"database": DatabaseResource(), **platform_resources()},
)

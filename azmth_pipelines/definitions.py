"""The code location: every asset, job, schedule, sensor and resource, built in one place."""

import dagster as dg

from azmth_pipelines.resources.database import DatabaseResource

defs = dg.Definitions(
    resources={"database": DatabaseResource()},
)

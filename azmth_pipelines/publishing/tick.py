"""One orchestrator tick in-process: exactly the runs the schedule would request, executed here."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dagster as dg

from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.schedules import publish_run_requests


@dataclass(frozen=True)
class TickRun:
    partition_key: str
    run_id: str
    success: bool


def publish_config(now: datetime | None, shard_count: int = 1) -> dict[str, Any]:
    config = {"shard_count": shard_count, "now": now.isoformat() if now else ""}
    return {
        "ops": {"plan_window": {"config": config}, "publish_shard": {"config": config}},
        # The run's full event log stays in the instance (the UI shows it); the terminal gets warnings only.
        "loggers": {"console": {"config": {"log_level": "WARNING"}}},
    }


def run_tick(
    defs: dg.Definitions, instance: dg.DagsterInstance, *, now: datetime, fixed_clock: bool, shard_count: int = 1
) -> list[TickRun]:
    """Run every publish run the schedule would launch at `now`; `fixed_clock` makes the runs act at `now` too."""
    job = defs.resolve_job_def("publish_job")
    runs = []
    for request in publish_run_requests(DatabaseResource(), now):
        result = job.execute_in_process(
            partition_key=request.partition_key,
            tags=request.tags,
            run_config=publish_config(now if fixed_clock else None, shard_count),
            instance=instance,
            raise_on_error=False,
        )
        runs.append(TickRun(request.partition_key or "", result.run_id, result.success))
    return runs

"""One orchestrator tick in-process: exactly the runs the schedule would request, executed here."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import dagster as dg

from azmth_pipelines.ops.publish import PARTITION_TAG, run_total_tags, window_run_tags
from azmth_pipelines.publishing.invalid_rows import InvalidPostRow
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.schedules import plan_tick


@dataclass(frozen=True)
class TickRun:
    partition_key: str
    run_id: str
    success: bool
    # Where the platform posts this run worked stand now, by state (published, retrying, failed, ...).
    states: dict[str, int] = field(default_factory=dict)
    # What made the run fail: platform trouble ops can act on (or the error of a step that crashed).
    problems: list[str] = field(default_factory=list)
    # Refusals only the artist can fix (caption, media, reconnect): on the post; they do not fail the run.
    refused: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Tick:
    runs: list[TickRun]
    invalid_rows: list[InvalidPostRow]
    not_closed: list[str]


def publish_config(now: datetime | None, shard_count: int = 1) -> dict[str, Any]:
    config = {"shard_count": shard_count, "now": now.isoformat() if now else ""}
    return {
        "ops": {"plan_window": {"config": config}, "publish_shard": {"config": config}},
        # The run's full event log stays in the instance (the UI shows it); the terminal gets the tick's own summary.
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
    }


def run_tick(
    defs: dg.Definitions, instance: dg.DagsterInstance, *, now: datetime, fixed_clock: bool, shard_count: int = 1
) -> Tick:
    """Run every publish run the schedule would launch at `now`; `fixed_clock` makes the runs act at `now` too."""
    job = defs.resolve_job_def("publish_job")
    plan = plan_tick(DatabaseResource(), now)
    runs = []
    for request in plan.requests:
        result = job.execute_in_process(
            partition_key=request.partition_key,
            # Counted in the UI's partitions view like the schedule's runs, though no code location launched it.
            tags={**request.tags, **window_run_tags(request.partition_key or "", scheduled=True, in_process=True)},
            run_config=publish_config(now if fixed_clock else None, shard_count),
            instance=instance,
            raise_on_error=False,
            # Step outputs on disk, as in launched runs (execute_in_process keeps them in memory by default): ops
            # re-execute a failed window from the UI, which reads the outputs of the steps that succeeded.
            resources={"io_manager": dg.FilesystemIOManager()},
        )
        totals = run_total_tags(result.all_events)
        if totals:
            instance.add_run_tags(result.run_id, totals)
        runs.append(TickRun(request.partition_key or "", result.run_id, result.success, *_shard_results(result)))
    return Tick(runs, plan.invalid_rows, plan.not_closed)


def _shard_results(result: dg.ExecuteInProcessResult) -> tuple[dict[str, int], list[str], list[str]]:
    """The shards' summaries (output metadata of a shard that succeeded, failure metadata of one that failed), and
    the error of any step that failed without one."""
    states: Counter[str] = Counter()
    problems: list[str] = []
    refused: list[str] = []
    for event in result.all_events:
        if event.step_key is None or not event.step_key.startswith("publish_shard"):
            if event.is_step_failure:
                problems.append(f"{event.step_key}: {_failure_text(event)}")
            continue
        if event.is_successful_output:
            summary = event.step_output_data.metadata.get("summary")
        elif event.is_step_failure:
            failure = event.step_failure_data.user_failure_data
            summary = failure.metadata.get("summary") if failure is not None else None
            if summary is None:
                problems.append(f"{event.step_key}: {_failure_text(event)}")
        else:
            continue
        if summary is not None:
            data = _as_summary(summary.value)
            states.update(data.get("states", {}))
            problems.extend(data.get("needs_ops", []))
            refused.extend(data.get("refused", []))
    return dict(states), problems, refused


def _as_summary(value: object) -> dict[str, Any]:
    """A shard's RunSummary.as_dict(), as its JSON metadata holds it."""
    return value if isinstance(value, dict) else {}


def _failure_text(event: dg.DagsterEvent) -> str:
    error = event.step_failure_data.error
    return error.message.strip() if error is not None else "the step failed"


@dataclass(frozen=True)
class WindowRun:
    run_id: str
    status: str  # Dagster's run status: SUCCESS, FAILURE, STARTED, QUEUED, ...


def latest_window_runs(instance: dg.DagsterInstance, *, since: datetime) -> dict[str, WindowRun]:
    """The newest publish_job run of each window (partition key) among the runs created since `since`, whatever tags
    it was launched with: the same run the partitions view shows, read with one query."""
    runs = instance.get_runs(dg.RunsFilter(job_name="publish_job", created_after=since))
    latest: dict[str, WindowRun] = {}
    for run in runs:  # newest first
        key = run.tags.get(PARTITION_TAG)
        if key and key not in latest:
            latest[key] = WindowRun(run.run_id, run.status.value)
    return latest

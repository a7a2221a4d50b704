"""`azmth publish`: run the orchestrator by hand."""

import os
from datetime import UTC, datetime

import dagster as dg
import typer

from azmth_pipelines.cli.output import JsonFlag, emit, fail

publish_app = typer.Typer(help="Publishing: the 15-minute orchestrator.", no_args_is_help=True)


def dagster_instance() -> dg.DagsterInstance:
    """The configured instance when DAGSTER_HOME is set (runs show in the UI), else a throwaway one."""
    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


@publish_app.command("tick")
def tick(
    now: str | None = typer.Option(None, "--now", help="Act as if it were this ISO 8601 time (UTC if no offset)."),
    shards: int = typer.Option(1, "--shards", help="Shards per window run."),
    as_json: bool = JsonFlag,
) -> None:
    """Run one orchestrator tick in-process: every window the schedule would launch, and print a summary."""
    from azmth_pipelines.definitions import defs
    from azmth_pipelines.publishing.tick import run_tick

    if now is not None:
        try:
            moment = datetime.fromisoformat(now)
        except ValueError:
            fail(f"--now: {now!r} is not an ISO 8601 time")
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    else:
        moment = datetime.now(UTC)
    runs = run_tick(defs, dagster_instance(), now=moment, fixed_clock=now is not None, shard_count=shards)
    views = [{"window": r.partition_key, "run_id": r.run_id, "success": r.success} for r in runs]

    def render(vs: list[dict]) -> str:
        if not vs:
            return "nothing due"
        return "\n".join(f"window {v['window']}: {'ok' if v['success'] else 'FAILED'} (run {v['run_id']})" for v in vs)

    emit(views, as_json, render)

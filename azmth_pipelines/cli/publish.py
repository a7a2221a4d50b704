"""`azmth publish`: run the orchestrator by hand."""

import os
from datetime import UTC, datetime

import dagster as dg
import typer

from azmth_pipelines.cli.output import JsonFlag, emit, fail
from azmth_pipelines.db.types import utcnow

publish_app = typer.Typer(help="Publishing: the 15-minute orchestrator.", no_args_is_help=True)


def dagster_instance() -> dg.DagsterInstance:
    """The configured instance when DAGSTER_HOME is set (runs show in the UI), else a throwaway one."""
    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


# The states a tick reports, in the order a reader scans them: what went out first, what needs someone last.
_STATE_ORDER = ("published", "sent_to_inbox", "handed_off", "publishing", "retrying", "unconfirmed", "failed")
_STATE_WORDS = {
    "sent_to_inbox": "sent to inbox",
    "handed_off": "handed off",
    "publishing": "in doubt (checked on a later tick)",
}


@publish_app.command("tick")
def tick(
    now: str | None = typer.Option(None, "--now", help="Act as if it were this ISO 8601 time (UTC if no offset)."),
    shards: int = typer.Option(1, "--shards", help="Shards per window run."),
    as_json: bool = JsonFlag,
) -> None:
    """Run one orchestrator tick in-process: every window the schedule would launch, and print what happened to each
    platform post. Exits 1 when a run failed (platform trouble ops can act on) or a post row had to be skipped."""
    from azmth_pipelines.definitions import defs
    from azmth_pipelines.ops.tick import run_tick

    moment = utcnow()
    if now is not None:
        try:
            given = datetime.fromisoformat(now)
        except ValueError:
            fail(f"--now: {now!r} is not an ISO 8601 time")
        given = given if given.tzinfo else given.replace(tzinfo=UTC)
        if given > moment:
            fail(f"--now: {now} is in the future; a tick runs only windows that have closed (it is {moment:%H:%M} UTC)")
        moment = given
    result = run_tick(defs, dagster_instance(), now=moment, fixed_clock=now is not None, shard_count=shards)
    view = {
        "windows": [
            {
                "window": r.partition_key,
                "run_id": r.run_id,
                "success": r.success,
                "states": r.states,
                "problems": r.problems,
                "refused": r.refused,
            }
            for r in result.runs
        ],
        "skipped_rows": [{"post_id": row.post_id, "problem": row.problem} for row in result.invalid_rows],
        "not_closed": result.not_closed,
    }
    emit(view, as_json, _render_tick)
    if any(not r.success for r in result.runs) or result.invalid_rows:
        raise typer.Exit(code=1)


def _render_tick(view: dict) -> str:
    lines = []
    for w in view["windows"]:
        states = w["states"]
        counts = ", ".join(f"{states[s]} {_STATE_WORDS.get(s, s)}" for s in _STATE_ORDER if states.get(s))
        verdict = "run FAILED" if not w["success"] else "run ok"
        lines.append(f"window {w['window']}: {counts or 'nothing worked'}; {verdict} (run {w['run_id']})")
        lines.extend(f"  needs ops: {p}" for p in w["problems"])
        lines.extend(f"  refused, the artist can fix: {p}" for p in w["refused"])
    lines.extend(f"skipped post {r['post_id']}: {r['problem']}" for r in view["skipped_rows"])
    lines.extend(
        f"window {key}: due work, but Dagster has not seen it close; a later tick runs it" for key in view["not_closed"]
    )
    return "\n".join(lines) or "nothing due"

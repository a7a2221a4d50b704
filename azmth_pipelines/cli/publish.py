"""`azmth publish`: run the orchestrator by hand."""

import os
from datetime import UTC, datetime, timedelta

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


@publish_app.command("windows")
def windows(
    since: str | None = typer.Option(
        None, "--since", help="The first window to list, ISO 8601 (UTC if no offset); default 24 hours ago."
    ),
    ui_url: str = typer.Option("http://127.0.0.1:3000", "--ui-url", help="The Dagster UI the run links point at."),
    as_json: bool = JsonFlag,
) -> None:
    """Every publish window since --since holding posts, newest first: its posts, each platform's posts by state and
    the window's latest run (status and link). What the UI's partitions view of every window shows, for recent ones."""
    from azmth_pipelines.db.engine import session_scope
    from azmth_pipelines.ops.tick import latest_window_runs
    from azmth_pipelines.publishing.run_numbers import window_counts
    from azmth_pipelines.publishing.windows import partition_key

    moment = utcnow()
    start = moment - timedelta(hours=24)
    if since is not None:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            fail(f"--since: {since!r} is not an ISO 8601 time")
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
    with session_scope() as session:
        counts = window_counts(session, since=start, until=moment)
    runs = latest_window_runs(dagster_instance(), since=start)
    view = []
    for window in counts:
        key = partition_key(window.window)
        run = runs.get(key)
        view.append(
            {
                "window": key,
                "posts": window.posts,
                "states": window.states,
                "run_status": run.status if run else None,
                "run_id": run.run_id if run else None,
                "run_url": f"{ui_url.rstrip('/')}/runs/{run.run_id}" if run else None,
            }
        )
    emit(view, as_json, _render_windows)


def _render_windows(view: list[dict]) -> str:
    lines = []
    for w in view:
        run = f"run {w['run_status']} {w['run_url']}" if w["run_id"] else "no run yet"
        lines.append(f"window {w['window']}: {w['posts']} post(s); {run}")
        for platform, states in w["states"].items():
            counts = ", ".join(
                f"{states[s]} {_STATE_WORDS.get(s, s)}" for s in ("pending", *_STATE_ORDER) if s in states
            )
            lines.append(f"  {platform}: {counts}")
    return "\n".join(lines) or "no posts in these windows"

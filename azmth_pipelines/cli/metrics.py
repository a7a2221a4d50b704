"""`azmth metrics`: run the metrics pulls outside Dagster, and read how fresh a post's numbers are.

`refresh_metrics` is also `azmth post refresh-metrics ID`.
"""

from datetime import date, timedelta
from typing import Any

import typer

from azmth_pipelines.cli.output import JsonFlag, emit, one_line_errors
from azmth_pipelines.db.engine import session_factory, session_scope
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.metrics.accounts import sync_account_snapshots
from azmth_pipelines.metrics.followups import (
    due_followups,
    pending_refresh_requests,
    pull_followups,
    refresh_post_metrics,
    serve_refresh_requests,
)
from azmth_pipelines.metrics.freshness import post_metrics_freshness
from azmth_pipelines.metrics.report import PullReport
from azmth_pipelines.metrics.sync import sync_nightly

metrics_app = typer.Typer(help="Engagement metrics: nightly sync, follow-ups, freshness.", no_args_is_help=True)

DateOption = typer.Option(None, "--date", help="The UTC day (YYYY-MM-DD); default yesterday.")


def _day(value: str | None) -> date:
    return date.fromisoformat(value) if value else utcnow().date() - timedelta(days=1)


def _render_report(data: dict[str, Any]) -> str:
    lines = [
        f"read {data['targets']} platform posts with {data['api_calls']} API calls, wrote {data['rows_written']} rows"
    ]
    if data["problems"]:
        lines.append(f"not read: {data['problems']}")
        lines.extend(f"  {line}" for line in data["problem_samples"][:20])
    return "\n".join(lines)


def _emit_report(report: PullReport, as_json: bool) -> None:
    emit(report.as_dict(), as_json, _render_report)


def refresh_metrics(post_id: int = typer.Argument(..., help="Post id."), as_json: bool = JsonFlag) -> None:
    """Read the post's numbers on every platform it is live on, now (source manual)."""
    with one_line_errors():
        report = refresh_post_metrics(post_id, sessions=session_factory(), now=utcnow())
    _emit_report(report, as_json)


metrics_app.command("refresh")(refresh_metrics)


@metrics_app.command("nightly")
def nightly(day: str | None = DateOption, as_json: bool = JsonFlag) -> None:
    """Write the nightly snapshot of every live post for DAY (replaces that day's nightly rows)."""
    _emit_report(sync_nightly(_day(day), sessions=session_factory()), as_json)


@metrics_app.command("accounts")
def accounts(day: str | None = DateOption, as_json: bool = JsonFlag) -> None:
    """Write every connection's account numbers for DAY (replaces that day's rows)."""
    _emit_report(sync_account_snapshots(_day(day), sessions=session_factory()), as_json)


@metrics_app.command("followups")
def followups(as_json: bool = JsonFlag) -> None:
    """Pull the due +60 s / +24 h follow-ups and pending refresh requests now (what the sensor requests)."""
    now = utcnow()
    sessions = session_factory()
    with sessions() as session:
        due = due_followups(session, now)
        pending = [request_id for request_id, _ in pending_refresh_requests(session)]
    result = {stage.value: r.as_dict() for stage, r in pull_followups(due, sessions=sessions, now=now).items()}
    if pending:
        result["manual"] = serve_refresh_requests(pending, sessions=sessions, now=now).as_dict()
    emit(result, as_json, lambda data: "\n".join(f"{k}: {_render_report(v)}" for k, v in data.items()) or "none due")


@metrics_app.command("freshness")
def freshness(post_id: int = typer.Argument(..., help="Post id."), as_json: bool = JsonFlag) -> None:
    """Per platform: when the post's numbers were last read, and how long ago."""
    with session_scope() as session:
        data = [f.as_dict() for f in post_metrics_freshness(session, post_id).values()]
    emit(
        data,
        as_json,
        lambda rows: (
            "\n".join(f"{r['platform']}: {r['captured_at']} ({r['age_s']} s ago, {r['source']})" for r in rows)
            or "no metrics yet"
        ),
    )

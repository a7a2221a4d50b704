"""`azmth staff`: what staff need to investigate a failure, in the platforms' own words."""

import json
from typing import Any

import typer
from sqlalchemy import select

from azmth_pipelines.cli.output import JsonFlag, emit, fail, one_line_errors
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import StaffError
from azmth_pipelines.domain import validation

staff_app = typer.Typer(help="Staff tools.", no_args_is_help=True)


@staff_app.command("errors")
def errors(
    platform: str | None = typer.Option(None, "--platform", help="tiktok, instagram, threads or x."),
    since: str | None = typer.Option(None, "--since", help="ISO 8601 time (UTC without an offset)."),
    post: int | None = typer.Option(None, "--post", help="Only this post's errors."),
    limit: int = typer.Option(50, "--limit", help="At most this many, newest first."),
    as_json: bool = JsonFlag,
) -> None:
    """Every platform error with its full payload (secrets redacted), newest first."""
    query = select(StaffError).order_by(StaffError.occurred_at.desc(), StaffError.id.desc()).limit(limit)
    with one_line_errors():
        if platform is not None:
            query = query.where(StaffError.platform == validation.platform(platform))
        if since is not None:
            moment = validation.parse_local_time("since", since, "UTC")
            query = query.where(StaffError.occurred_at >= moment)
    if post is not None:
        query = query.where(StaffError.post_id == post)
    if limit < 1:
        fail("--limit must be at least 1")
    with session_scope() as session:
        rows = [_view(e) for e in session.scalars(query)]
    emit(rows, as_json, _render)


def _view(error: StaffError) -> dict[str, Any]:
    return {
        "id": error.id,
        "occurred_at": error.occurred_at.isoformat(),
        "platform": error.platform.value if error.platform else None,
        "post_id": error.post_id,
        "attempt_id": error.attempt_id,
        "http_status": error.http_status,
        "error_code": error.error_code,
        "message": error.message,
        "payload": error.payload,
    }


def _render(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no platform errors"
    blocks = []
    for r in rows:
        head = f"{r['occurred_at']}  {r['platform']}  post {r['post_id']}  HTTP {r['http_status']}  {r['error_code']}"
        blocks.append(
            f"{head}\n  {r['message']}\n  " + json.dumps(r["payload"], default=str, indent=2).replace("\n", "\n  ")
        )
    return "\n\n".join(blocks)

"""`azmth artist`: create and list artists."""

from typing import Any

import typer
from sqlalchemy import select

from azmth_pipelines.cli.output import JsonFlag, emit, one_line_errors
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import Artist
from azmth_pipelines.domain.artists import create_artist

artist_app = typer.Typer(help="Artists.", no_args_is_help=True)


def _view(artist: Artist) -> dict[str, Any]:
    return {"id": artist.id, "name": artist.name, "timezone": artist.timezone}


@artist_app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="Display name."),
    timezone: str = typer.Option("UTC", "--timezone", help="IANA timezone, e.g. Europe/Berlin."),
    as_json: bool = JsonFlag,
) -> None:
    """Create an artist and print its id."""
    with one_line_errors(), session_scope() as session:
        view = _view(create_artist(session, name=name, timezone=timezone))
    emit(view, as_json, lambda v: f"artist {v['id']}: {v['name']} ({v['timezone']})")


@artist_app.command("list")
def list_(as_json: bool = JsonFlag) -> None:
    """List artists."""
    with session_scope() as session:
        views = [_view(a) for a in session.scalars(select(Artist).order_by(Artist.id))]
    emit(views, as_json, lambda vs: "\n".join(f"{v['id']:>5}  {v['name']}  ({v['timezone']})" for v in vs))

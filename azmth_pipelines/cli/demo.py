"""`azmth demo`: the main flow end to end on the embedded default (SQLite under AZMTH_HOME)."""

import json
from datetime import UTC, datetime, timedelta

import typer

from azmth_pipelines.config import settings
from azmth_pipelines.db.engine import engine, session_scope
from azmth_pipelines.db.migrate import upgrade
from azmth_pipelines.demo import make_demo_media, seed_demo
from azmth_pipelines.domain.posts import post_view
from azmth_pipelines.media.store import MediaStore


def demo() -> None:
    """Migrate a fresh database, create sample posts for all four platforms and print them."""
    current = settings()
    typer.echo(f"AZMTH_HOME={current.home}  database={current.database_url}")
    upgrade(engine())
    media = make_demo_media(current.home / "demo-media")
    due = datetime.now(UTC) - timedelta(minutes=1)
    with session_scope() as session:
        posts = seed_demo(session, scheduled_for=due, media=media, store=MediaStore.from_settings())
        views = [post_view(p) for p in posts]
    for view in views:
        typer.echo(json.dumps({k: view[k] for k in ("id", "status", "platforms", "captions")}, ensure_ascii=False))
    typer.echo(f"{len(views)} sample posts scheduled for {due.isoformat(timespec='seconds')}")

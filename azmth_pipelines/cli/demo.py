"""`azmth demo`: the main flow end to end on the embedded default (SQLite, the sandbox, a local media server)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import typer

from azmth_pipelines.cli.publish import dagster_instance
from azmth_pipelines.config import settings
from azmth_pipelines.db.engine import engine, session_scope
from azmth_pipelines.db.migrate import upgrade
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.demo import make_demo_media, seed_demo
from azmth_pipelines.domain.posts import get_post, post_view
from azmth_pipelines.media.server import MediaServer
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.per_platform import PlatformEntry, PlatformState
from azmth_pipelines.publishing.windows import window_start
from azmth_pipelines.token_cipher import TokenCipher
from azmth_sandbox.testing import running_sandbox


def _describe(platform: str, entry: PlatformEntry) -> str:
    if entry.state is PlatformState.PUBLISHED:
        return f"{platform}: published as {entry.remote_id}"
    if entry.state is PlatformState.SENT_TO_INBOX:
        return f"{platform}: sent to the creator's TikTok drafts inbox ({entry.remote_id})"
    if entry.state is PlatformState.HANDED_OFF:
        detail = entry.detail or {}
        return f"{platform}: handed off - download {detail['download_url']}, open {detail['deep_link']}"
    error = entry.last_error or {}
    return f"{platform}: {entry.state.value} - {error.get('user_message') or error.get('message', '')}"


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def demo() -> None:
    """Publish sample posts for all four platforms through the platform sandbox and print each result."""
    current = settings()
    typer.echo(f"AZMTH_HOME={current.home}\ndatabase={current.database_url}")
    upgrade(engine())
    with (
        running_sandbox(seed=1) as sandbox,
        MediaServer(current.media_dir) as media_server,
        # Every platform host and the public media URL point at the local stand-ins while the demo runs.
        _environment({**sandbox.env, "AZMTH_PUBLIC_MEDIA_URL": media_server.url}),
    ):
        sandbox.configure(tiktok_verified_url_prefixes=[media_server.url])
        typer.echo(f"platform sandbox at {sandbox.base_url}, media at {media_server.url}")
        now = utcnow()
        # Due in the window that just closed, as if the artist had scheduled them a quarter of an hour ago.
        due = window_start(now - timedelta(minutes=15))
        media = make_demo_media(current.home / "demo-media")
        with session_scope() as session:
            posts = seed_demo(
                session,
                scheduled_for=due,
                media=media,
                store=MediaStore(current.media_dir, media_server.url),
                sandbox=sandbox,
                cipher=TokenCipher.from_settings(),
            )
            post_ids = [p.id for p in posts]
        typer.echo(f"{len(post_ids)} sample posts scheduled for {due.isoformat(timespec='minutes')}; publishing...")

        from azmth_pipelines.definitions import defs
        from azmth_pipelines.ops.tick import run_tick

        for run in run_tick(defs, dagster_instance(), now=now, fixed_clock=False).runs:
            typer.echo(f"run {run.run_id} for window {run.partition_key}: {'success' if run.success else 'failed'}")
        with session_scope() as session:
            views = [post_view(get_post(session, post_id)) for post_id in post_ids]
    for view in views:
        typer.echo(f"\npost {view['id']} [{view['status']}] {view['body']!r}")
        for platform, entry in view["per_platform"].items():
            typer.echo(f"  {_describe(platform, PlatformEntry.from_json(entry))}")

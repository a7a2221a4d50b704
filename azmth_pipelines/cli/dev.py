"""`azmth dev` (`make dev`): the whole local stack in one command.

The platform sandbox and the media server run in this process; the Dagster UI (`dagster dev`: webserver,
daemon, code server) is a child process in a process group of its own, so stopping the group stops every
process it spawned. The demo's artist is (re)connected to this sandbox, whose accounts live in memory and
are new on every start, and the demo's posts are due in the window that just closed, ready to be launched.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated

import httpx
import typer

from azmth_pipelines.cli.ports import free_port
from azmth_pipelines.cli.sandbox import sandbox_exports
from azmth_pipelines.config import settings
from azmth_pipelines.db.engine import engine, session_scope
from azmth_pipelines.db.migrate import upgrade
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.demo import make_demo_media, seed_demo
from azmth_pipelines.media.server import MediaServer
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.publishing.windows import partition_key, window_start
from azmth_pipelines.token_cipher import TokenCipher
from azmth_sandbox.testing import running_sandbox

HOST = "127.0.0.1"
# `dagster dev` imports Dagster and our code in three processes before the webserver answers.
_UI_START_TIMEOUT_S = 300.0
# dagster dev stops its webserver, daemon and code server on SIGINT; whatever still runs after this is killed.
_STOP_GRACE_S = 30.0


class _Stop(Exception):
    """SIGINT (Ctrl+C) or SIGTERM: stop everything this command started."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop the child and everything in its process group: SIGINT, as Ctrl+C would, then SIGKILL for stragglers."""
    # A second Ctrl+C must not cut the stopping short and leave the group running.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(_STOP_GRACE_S)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        typer.echo(f"dagster dev did not stop within {_STOP_GRACE_S:.0f} s; killing it", err=True)
    with suppress(ProcessLookupError):  # raised when the whole group is gone
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@contextmanager
def _dagster_dev(ui_port: int, workspace: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "dagster", "dev", "-w", str(workspace.resolve()), "-h", HOST, "-p", str(ui_port)]
    # Run from the instance's home: `dagster dev` warns about (and ignores) a dagster.yaml in its current folder
    # that is not $DAGSTER_HOME's, and the repository keeps the local instance's template at its top level.
    home = env.get("DAGSTER_HOME")
    process = subprocess.Popen(command, env=env, cwd=home or None, start_new_session=True)
    try:
        yield process
    finally:
        _stop_group(process)


def _wait_for_ui(url: str, process: subprocess.Popen[bytes]) -> bool:
    """True once the webserver answers; False when dagster dev exited first or never answered."""
    deadline = time.monotonic() + _UI_START_TIMEOUT_S
    with httpx.Client(timeout=2, trust_env=False) as http:
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if http.get(f"{url}/server_info").status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
    return False


def dev(
    sandbox_port: Annotated[int, typer.Option(help="Platform sandbox port (another free one when taken).")] = 8700,
    media_port: Annotated[int, typer.Option(help="Media server port (another free one when taken).")] = 8701,
    ui_port: Annotated[int, typer.Option(help="Dagster UI port (another free one when taken).")] = 3000,
    workspace: Annotated[Path, typer.Option(help="The Dagster workspace file.")] = Path("workspace.yaml"),
) -> None:
    """Start the local stack: platform sandbox, media server and Dagster UI, with the demo artist connected to
    this sandbox and the demo's posts ready to publish; Ctrl+C stops everything."""
    current = settings()
    dagster_home = os.environ.get("DAGSTER_HOME")
    if dagster_home:
        Path(dagster_home).mkdir(parents=True, exist_ok=True)  # Dagster refuses a home that does not exist
    upgrade(engine())
    # Set before dagster dev starts, so it inherits the default dispositions: a shell starts background jobs with
    # SIGINT ignored, and an ignored signal stays ignored across exec.
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    try:
        with (
            running_sandbox(port=free_port(HOST, sandbox_port), seed=1) as sandbox,
            MediaServer(current.media_dir, host=HOST, port=free_port(HOST, media_port)) as media,
        ):
            sandbox.configure(tiktok_verified_url_prefixes=[media.url])
            now = utcnow()
            # Due in the window that just closed, as if the artist had scheduled them a quarter of an hour ago.
            due = window_start(now - timedelta(minutes=15))
            with session_scope() as session:
                posts = seed_demo(
                    session,
                    scheduled_for=due,
                    media=make_demo_media(current.home / "demo-media"),
                    store=MediaStore(current.media_dir, media.url),
                    sandbox=sandbox,
                    cipher=TokenCipher.from_settings(),
                )
                artist_id = posts[0].artist_id
            ui_url = f"http://{HOST}:{free_port(HOST, ui_port)}"
            env = {
                **os.environ,
                **sandbox_exports(sandbox.base_url),
                "AZMTH_HOME": str(current.home),
                "AZMTH_PUBLIC_MEDIA_URL": media.url,
            }
            typer.echo(f"AZMTH_HOME={current.home}\ndatabase={current.database_url}")
            typer.echo(f"platform sandbox  {sandbox.base_url}")
            typer.echo(f"media server      {media.url}")
            typer.echo(f"Dagster UI        {ui_url} (starting)")
            typer.echo(
                f"Demo Artist (artist {artist_id}) is connected to this sandbox; {len(posts)} demo posts are due in "
                f"publish window {partition_key(due)}."
            )
            with _dagster_dev(int(ui_url.rsplit(":", 1)[1]), workspace, env) as dagster:
                if _wait_for_ui(ui_url, dagster):
                    typer.echo(
                        f"ready: open {ui_url}, Jobs > publish_job > Launchpad, choose partition {partition_key(due)} "
                        "and Launch Run. Ctrl+C stops everything."
                    )
                    typer.echo(
                        f'Another shell reaches this sandbox with: eval "$(azmth sandbox env --port '
                        f'{sandbox.base_url.rsplit(":", 1)[1]})"'
                    )
                elif dagster.poll() is None:
                    typer.echo(f"the Dagster UI has not answered at {ui_url} yet; see dagster's output above", err=True)
                code = dagster.wait()
            if code:
                typer.echo(f"dagster dev exited with code {code}", err=True)
                raise typer.Exit(code=1)
    except _Stop:
        typer.echo("stopped: Dagster UI, media server and platform sandbox")
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

"""`make demo` (azmth demo): the README's main command publishes every sample post through the sandbox."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from azmth_pipelines.cli.main import app
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import Artist, ContentPost, Release, SocialConnection
from azmth_pipelines.vocabulary import ConnectionStatus

REPO = Path(__file__).resolve().parents[1]


def test_demo_publishes_sample_posts_on_every_path_and_prints_no_warning(tmp_path: Path) -> None:
    """`make demo` on a fresh clone: the installed `azmth` in its own process, a new AZMTH_HOME and a DAGSTER_HOME
    holding the local instance, so the tick's step processes run under a real Dagster instance too."""
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AZMTH_", "DAGSTER_"))}
    env |= {"AZMTH_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(dagster_home)}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "azmth"), "demo"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.count("published as") == 12  # the panorama goes to Instagram with its 4:5 crop
    assert "tiktok: sent to the creator's TikTok drafts inbox" in out
    assert ": success" in out and "post 6 [posted]" in out
    warnings = [line for line in result.stderr.splitlines() if "warn" in line.lower()]
    assert warnings == [], result.stderr


def test_demo_run_twice_reuses_its_artist_and_connections_and_replaces_its_posts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newcomer runs `make demo` more than once: still one Demo Artist with four connections, six demo posts,
    and the second run publishes everything through its own sandbox as the first did."""
    monkeypatch.setenv("AZMTH_HOME", str(tmp_path / "home"))
    for name in ("AZMTH_DATABASE_URL", "AZMTH_MEDIA_DIR", "AZMTH_PUBLIC_MEDIA_URL", "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    runs = [CliRunner().invoke(app, ["demo"]) for _ in range(2)]
    for result in runs:
        assert result.exit_code == 0, result.output
        assert result.stdout.count("published as") == 12
        assert "needs_reconnect" not in result.stdout and "Reconnect" not in result.stdout

    with session_scope() as session:
        artists = session.scalars(select(Artist).where(Artist.name == "Demo Artist")).all()
        assert len(artists) == 1
        connections = session.scalars(select(SocialConnection)).all()
        assert sorted(c.platform for c in connections) == ["instagram", "threads", "tiktok", "x"]
        assert {c.status for c in connections} == {ConnectionStatus.CONNECTED}
        assert session.scalar(select(func.count()).select_from(ContentPost)) == 6
        assert session.scalar(select(func.count()).select_from(Release)) == 1


@pytest.mark.parametrize("target", ["demo", "test"])
def test_make_prepares_the_dagster_home_it_exports(tmp_path: Path, target: str) -> None:
    """The Makefile exports DAGSTER_HOME, and Dagster refuses a home that does not exist (a fresh clone has none):
    `azmth publish tick`, which the demo and the crash tests run, fails at once without it."""
    home = tmp_path / "dagster_home"
    dry_run = subprocess.run(
        ["make", "-n", target, f"DAGSTER_HOME={home}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"cp dagster.yaml {home}/dagster.yaml" in dry_run.stdout

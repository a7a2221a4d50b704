"""`make demo` (azmth demo): the README's main command publishes every sample post through the sandbox."""

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from azmth_pipelines.cli.main import app


def test_demo_publishes_sample_posts_on_every_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZMTH_HOME", str(tmp_path / "home"))
    for name in ("AZMTH_DATABASE_URL", "AZMTH_MEDIA_DIR", "AZMTH_PUBLIC_MEDIA_URL", "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.count("published as") == 12  # the panorama goes to Instagram with its 4:5 crop
    assert "tiktok: sent to the creator's TikTok drafts inbox" in out
    assert ": success" in out and "post 6 [posted]" in out


@pytest.mark.parametrize("target", ["demo", "test"])
def test_make_prepares_the_dagster_home_it_exports(tmp_path: Path, target: str) -> None:
    """The Makefile exports DAGSTER_HOME, and Dagster refuses a home that does not exist (a fresh clone has none):
    `azmth publish tick`, which the demo and the crash tests run, fails at once without it."""
    home = tmp_path / "dagster_home"
    dry_run = subprocess.run(
        ["make", "-n", target, f"DAGSTER_HOME={home}"],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"cp dagster.yaml {home}/dagster.yaml" in dry_run.stdout

"""The newcomer's local stack, as the README tells it: `azmth sandbox serve`, `azmth sandbox env`, `azmth connect`
against it, `azmth media serve`, each a real process on loopback."""

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from azmth_pipelines.cli.ports import listening_socket
from azmth_pipelines.connections.listing import connection_views
from azmth_pipelines.db.engine import engine, session_scope
from azmth_pipelines.db.migrate import upgrade
from azmth_pipelines.domain.artists import create_artist
from azmth_pipelines.vocabulary import Platform
from azmth_sandbox.process import sandbox_process
from azmth_sandbox.testing import SandboxHandle

AZMTH = [sys.executable, "-m", "azmth_pipelines.cli.main"]
TIMEOUT_S = 120


@pytest.fixture(scope="module")
def home_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A newcomer's shell: nothing configured but AZMTH_HOME, whose database is migrated and holds artist 1."""
    home = tmp_path_factory.mktemp("home")
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AZMTH_", "DAGSTER_")) or name.startswith("AZMTH_TEST_")
    }
    env |= {"AZMTH_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    url = f"sqlite:///{home}/azmth.db"
    upgrade(engine(url))
    with session_scope(url) as session:
        assert create_artist(session, name="Nova", timezone="Europe/Berlin").id == 1
    return env


@pytest.fixture(scope="module")
def served_sandbox() -> Iterator[SandboxHandle]:
    with sandbox_process() as (handle, _process):
        yield handle


@pytest.fixture(scope="module")
def sandbox_exports(served_sandbox: SandboxHandle, home_env: dict[str, str]) -> dict[str, str]:
    """What `azmth sandbox env --port PORT` prints for the served sandbox, as a dict."""
    port = served_sandbox.base_url.rsplit(":", 1)[1]
    printed = subprocess.run(
        [*AZMTH, "sandbox", "env", "--port", port], env=home_env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert printed.returncode == 0, printed.stderr
    return exports(printed.stdout)


def exports(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        assert line.startswith("export "), line
        name, _, value = line.removeprefix("export ").partition("=")
        found[name] = value
    return found


@pytest.mark.parametrize("platform", list(Platform))
def test_connect_against_a_served_sandbox_with_sandbox_env_needs_no_click(
    platform: Platform, home_env: dict[str, str], sandbox_exports: dict[str, str]
) -> None:
    """README: `eval "$(azmth sandbox env)"`, then `azmth connect x --artist 1`: the sandbox's consent page
    approves by itself (a user nobody told to decline) and the client ids and secrets it printed are the ones the
    sandbox's token endpoint accepts."""
    env = home_env | sandbox_exports

    connect = subprocess.Popen(
        [*AZMTH, "connect", platform.value, "--artist", "1", "--publish", "--no-browser", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert connect.stderr is not None
        for line in connect.stderr:  # "Open this page to connect X:" then the URL on the next line
            if line.strip().startswith("http"):
                # The browser: the consent page answers with a redirect to our loopback callback.
                httpx.get(line.strip(), follow_redirects=True, timeout=30, trust_env=False)
                break
        out, err = connect.communicate(timeout=TIMEOUT_S)
    finally:
        connect.kill()
    assert connect.returncode == 0, err
    assert f"Connected {platform.label} account @sandbox_{platform.value}_user for artist 1" in out
    assert "declined" not in out + err

    with session_scope(f"sqlite:///{home_env['AZMTH_HOME']}/azmth.db") as session:
        views = connection_views(session, artist_id=1)
    assert {v["platform"]: v["status"] for v in views}[platform.value] == "connected"


def test_a_sandbox_user_who_declines_is_still_declined(served_sandbox: SandboxHandle) -> None:
    account = served_sandbox.create_account("x", "says_no")
    served_sandbox.set_oauth_user("x", account.id, decision="deny")
    try:
        answer = httpx.get(
            f"{served_sandbox.base_url}/x-www/i/oauth2/authorize",
            params={
                "response_type": "code",
                "client_id": "sandbox-x-client",
                "redirect_uri": "http://127.0.0.1:9/callback",
                "scope": "tweet.read users.read",
                "state": "s",
                "code_challenge": "c" * 43,
                "code_challenge_method": "plain",
            },
            trust_env=False,
        )
    finally:
        served_sandbox.reset()
    assert answer.status_code == 302
    assert "error=access_denied" in answer.headers["location"]


@pytest.mark.parametrize(
    "command",
    [["sandbox", "serve"], ["media", "serve"]],
    ids=["sandbox", "media"],
)
def test_a_taken_port_is_named_with_the_way_out(command: list[str], home_env: dict[str, str]) -> None:
    with listening_socket("127.0.0.1", 0) as taken:
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*AZMTH, *command, "--port", str(port)], env=home_env, capture_output=True, text=True, timeout=TIMEOUT_S
        )
    assert result.returncode == 1
    assert f"error: port {port} is in use" in result.stderr
    assert "pass --port" in result.stderr
    assert "Errno" not in result.stderr and "Traceback" not in result.stderr

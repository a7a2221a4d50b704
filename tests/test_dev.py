"""`make dev` (`azmth dev`): one command brings up the sandbox, the media server and the Dagster UI, and Ctrl+C
stops every process it started."""

import contextlib
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from azmth_pipelines.cli.ports import listening_socket

REPO = Path(__file__).resolve().parents[1]
AZMTH_DEV = [sys.executable, "-m", "azmth_pipelines.cli.main", "dev"]
START_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 90.0


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except OSError:
                continue  # the task ended meanwhile
            pending.extend(children - found)
            found |= children
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has stopped; only its parent's reaping is left


def _lines(stream: object, into: "queue.Queue[str]") -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line)
    into.put("")


@pytest.mark.slow
def test_dev_brings_up_sandbox_media_and_dagster_ui_and_ctrl_c_stops_them_all(tmp_path: Path) -> None:
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AZMTH_", "DAGSTER_"))}
    env |= {"AZMTH_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(dagster_home), "PYTHONUNBUFFERED": "1"}

    with listening_socket("127.0.0.1", 0) as taken:  # the sandbox's port is taken on this shared machine
        taken.listen()
        taken_port = taken.getsockname()[1]
        dev = subprocess.Popen(
            [*AZMTH_DEV, "--sandbox-port", str(taken_port), "--media-port", "0", "--ui-port", "0"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_lines, args=(dev.stdout, lines), daemon=True).start()
        output: list[str] = []
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not any(line.startswith("ready:") for line in output):
                line = lines.get(timeout=max(deadline - time.monotonic(), 0.1))
                assert line, "azmth dev exited before it was ready:\n" + "".join(output)
                output.append(line)
            printed = "".join(output)
            urls = dict(re.findall(r"^(platform sandbox|media server|Dagster UI) +(\S+)", printed, re.MULTILINE))
            assert not urls["platform sandbox"].endswith(f":{taken_port}")

            assert httpx.get(f"{urls['platform sandbox']}/_admin/health", trust_env=False).json()["ok"]
            assert httpx.get(f"{urls['media server']}/missing.jpg", trust_env=False).status_code == 404
            workspace = httpx.post(
                f"{urls['Dagster UI']}/graphql",
                json={
                    "query": "{ workspaceOrError { ... on Workspace { locationEntries { name "
                    "locationOrLoadError { __typename } } } } }"
                },
                trust_env=False,
                timeout=60,
            ).json()["data"]["workspaceOrError"]["locationEntries"]
            loaded = {"__typename": "RepositoryLocation"}
            assert workspace == [{"name": "azmth_pipelines", "locationOrLoadError": loaded}]
            assert "Demo Artist (artist 1) is connected to this sandbox; 6 demo posts are due" in printed
            # Started from the repository, whose top-level dagster.yaml is the template, not the instance in use.
            assert "Found a dagster instance configuration" not in printed

            children = _descendants(dev.pid)
            assert len(children) >= 3  # dagster dev, its webserver, daemon and code server
            dev.send_signal(signal.SIGINT)
            assert dev.wait(STOP_TIMEOUT_S) == 0
            assert [pid for pid in children if _running(pid)] == []
        finally:
            if dev.poll() is None:  # the test failed half-way: leave nothing running
                for pid in _descendants(dev.pid) | {dev.pid}:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                dev.wait()

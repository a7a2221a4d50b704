"""`make ui-shots`: screenshots of the Dagster UI for the README, taken from the real local stack.

Starts `azmth dev` on free ports with a fresh AZMTH_HOME and DAGSTER_HOME, launches the demo's publish window as
ops would (GraphQL `launchRun` with the window's tags), waits for it to finish, then has headless Chromium (Debian's
`chromium` package) capture the asset lineage, the publish window's run, and the social_post_metrics asset page into
docs/ui/. Not run in CI: it needs Chromium, and a picture is checked by looking at it.

    make ui-shots        # or: .venv/bin/python tools/ui_shots.py [--out docs/ui]
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from azmth_pipelines.ops.publish import window_run_tags

REPO = Path(__file__).resolve().parents[1]
LOCATION = {"repositoryLocationName": "azmth_pipelines", "repositoryName": "__repository__"}
START_TIMEOUT_S = 300.0
RUN_TIMEOUT_S = 300.0


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        sys.exit("headless Chromium is needed: apt-get install chromium (Debian's package)")
    return found


def _graphql(ui_url: str, query: str, **variables: object) -> dict:  # type: ignore[type-arg]
    answer = httpx.post(f"{ui_url}/graphql", json={"query": query, "variables": variables}, timeout=60).json()
    if answer.get("errors"):
        raise RuntimeError(answer["errors"])
    return answer["data"]


def _launch_window(ui_url: str, window: str) -> str:
    tags = [{"key": key, "value": value} for key, value in window_run_tags(window, scheduled=False).items()]
    launched = _graphql(
        ui_url,
        """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
             __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""",
        params={
            "selector": {**LOCATION, "jobName": "publish_job"},
            "runConfigData": {},
            "executionMetadata": {"tags": tags},
        },
    )["launchRun"]
    if launched["__typename"] != "LaunchRunSuccess":
        raise RuntimeError(launched)
    return str(launched["run"]["runId"])


def _wait_for_run(ui_url: str, run_id: str) -> str:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        run = _graphql(ui_url, "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }", id=run_id)[
            "runOrError"
        ]
        if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            return str(run["status"])
        time.sleep(2)
    raise RuntimeError(f"run {run_id} did not finish within {RUN_TIMEOUT_S:.0f} s")


def _shoot(chromium: str, url: str, into: Path) -> None:
    # The UI renders after its GraphQL answers: the virtual time budget lets the page settle before the capture.
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1600,1000",
            "--virtual-time-budget=20000",
            f"--screenshot={into}",
            url,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    print(f"wrote {into.relative_to(REPO) if into.is_relative_to(REPO) else into}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "ui")
    args = parser.parse_args()
    chromium = _chromium()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="azmth-ui-shots-") as scratch:
        dagster_home = Path(scratch) / "dagster_home"
        dagster_home.mkdir()
        shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
        env = {name: value for name, value in os.environ.items() if not name.startswith(("AZMTH_", "DAGSTER_"))}
        env |= {"AZMTH_HOME": f"{scratch}/home", "DAGSTER_HOME": str(dagster_home), "PYTHONUNBUFFERED": "1"}
        ports = ["--sandbox-port", "0", "--media-port", "0", "--ui-port", "0"]
        dev = subprocess.Popen(
            [sys.executable, "-m", "azmth_pipelines.cli.main", "dev", *ports],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            printed = ""
            deadline = time.monotonic() + START_TIMEOUT_S
            assert dev.stdout is not None
            while "ready:" not in printed:
                line = dev.stdout.readline()
                if not line or time.monotonic() > deadline:
                    raise RuntimeError("azmth dev did not come up:\n" + printed)
                printed += line
            ui_url = re.search(r"^Dagster UI +(\S+)", printed, re.MULTILINE).group(1)  # type: ignore[union-attr]
            window = re.search(r"publish window (\S+?)\.?$", printed, re.MULTILINE).group(1)  # type: ignore[union-attr]
            # The UI greets a new local instance with a newsletter dialog over every page; mark it seen, as its
            # Skip button does.
            _graphql(ui_url, "mutation { setNuxSeen }")
            run_id = _launch_window(ui_url, window)
            print(f"publish window {window}: run {run_id} {_wait_for_run(ui_url, run_id)}")
            _shoot(
                chromium,
                f"{ui_url}/assets/release_rollup?view=lineage&lineageScope=upstream&lineageDepth=3",
                args.out / "lineage.png",
            )
            _shoot(chromium, f"{ui_url}/runs/{run_id}", args.out / "publish-window-run.png")
            _shoot(chromium, f"{ui_url}/assets/social_post_metrics", args.out / "social-post-metrics.png")
        finally:
            dev.send_signal(signal.SIGINT)
            dev.wait(90)


if __name__ == "__main__":
    main()

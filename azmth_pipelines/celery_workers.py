"""Celery workers on this machine, started as deploy/celery/worker.sh starts them on each worker machine
(`dagster-celery worker start`), for the benchmark and the tests; a deployment runs worker.sh under its process
manager instead."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from azmth_pipelines.errors import ConfigurationError

REPO = Path(__file__).resolve().parents[1]
CELERY_YAML = REPO / "deploy" / "celery" / "celery.yaml"
_BIN = Path(sys.executable).parent


@contextmanager
def local_workers(
    count: int, queues: Sequence[str], *, broker: str, concurrency: int = 1, logs: Path, start_timeout_s: float = 120
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` workers named w0, w1, ... on `queues`, with this process's environment, answering a ping before
    this yields; each stopped with its `celery worker` child (a process group) on exit. Logs go to `logs`/wN.log."""
    env = {**os.environ, "AZMTH_CELERY_BROKER": broker, "PATH": f"{_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.setdefault("AZMTH_CELERY_BACKEND", broker)
    logs.mkdir(parents=True, exist_ok=True)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        for n in range(count):
            command = [
                str(_BIN / "dagster-celery"),
                *("worker", "start", "-A", "dagster_celery.app", "-y", str(CELERY_YAML)),
                # One comma-separated -q: dagster-celery turns each -q into a -Q, and Celery 5 keeps only the last -Q.
                *("-q", ",".join(queues)),
                # Imported once in the worker before its pool forks, so no task pays for importing the code location.
                *("-i", "azmth_pipelines.definitions"),
                *("-n", f"w{n}", "--", "--concurrency", str(concurrency)),
            ]
            with (logs / f"w{n}.log").open("wb") as log:
                # dagster-celery runs `celery worker` as its child: a session of its own lets both stop as one.
                workers.append(
                    subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
                )
        _wait_for(broker, count, set(queues), logs, start_timeout_s)
        yield workers
    finally:
        for worker in workers:
            _signal_group(worker, signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                _signal_group(worker, signal.SIGKILL)
                worker.wait()


def _signal_group(worker: subprocess.Popen[bytes], signum: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(worker.pid, signum)


def _wait_for(broker: str, count: int, queues: set[str], logs: Path, timeout_s: float) -> None:
    """Until `count` workers each consume every queue: a worker missing a queue would leave that queue's steps
    waiting forever, so it fails here with the workers' logs."""
    from celery import Celery

    app = Celery(broker=broker, backend=broker)
    deadline = time.monotonic() + timeout_s
    consuming: dict[str, set[str]] = {}
    while time.monotonic() < deadline:
        answers = app.control.inspect(timeout=1.0).active_queues() or {}
        consuming = {worker: {queue["name"] for queue in listening} for worker, listening in answers.items()}
        if sum(queues <= names for names in consuming.values()) >= count:
            return
        time.sleep(0.5)
    tails = "\n".join(log.read_text()[-2000:] for log in sorted(logs.glob("w*.log")))
    raise ConfigurationError(
        f"{count} Celery workers consuming {sorted(queues)} did not answer on {broker} within {timeout_s:.0f} s "
        f"(consuming: {consuming}):\n{tails}"
    )

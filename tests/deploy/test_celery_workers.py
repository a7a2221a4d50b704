"""Past one machine: a publish window's shards run as Celery tasks on two real workers (`dagster-celery worker
start`, as deploy/celery/worker.sh starts them) over the local Redis, with the runs' storage and AZMTH's database on
PostgreSQL and the platform sandbox in its own process. The same results as on one machine; a worker process killed
mid-shard fails the run visibly and re-executing it from failure posts nothing twice; an app-wide budget smaller than
the window holds across both workers, counted at the sandbox."""

import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import redis
from cryptography.fernet import Fernet
from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from azmth_pipelines.celery_workers import local_workers
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import AccountMetricsSnapshot, ContentPost, SocialPostMetrics
from azmth_pipelines.demo import connect_sandbox_accounts
from azmth_pipelines.domain.artists import create_artist
from azmth_pipelines.domain.posts import create_post
from azmth_pipelines.executors import WORKER_QUEUES, celery_config
from azmth_pipelines.ops.publish import PARTITION_TAG, window_run_tags
from azmth_pipelines.ops.tick import publish_config
from azmth_pipelines.publishing.windows import partition_key
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import MetricSource, Platform
from azmth_sandbox.process import sandbox_process
from azmth_sandbox.testing import SandboxHandle
from tests.fixtures.database import _truncate_all, postgres_admin_url
from tests.fixtures.redis import redis_url
from tests.publishing.conftest import AFTER_T0, T0

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.celery, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
WORKERS = 2
PLATFORMS = [Platform.X, Platform.THREADS]


def _redis_db(db: int) -> str:
    base = redis_url().rsplit("/", 1)[0] if redis_url().count("/") > 2 else redis_url()
    return f"{base}/{db}"


@dataclass
class CeleryStack:
    sandbox: SandboxHandle
    instance: dg.DagsterInstance
    repository: ReconstructableRepository
    workers: list[subprocess.Popen[bytes]]

    @property
    def job(self) -> ReconstructableJob:
        return self.repository.get_reconstructable_job("publish_job")

    def launch(self, now: datetime, window: datetime, shards: int, **execution: Any) -> dg.JobExecutionResult:
        config = publish_config(now, shards) | {"execution": {"config": execution or {"celery": celery_config()}}}
        return dg.execute_job(
            self.job,
            instance=self.instance,
            run_config=config,
            tags=window_run_tags(partition_key(window), scheduled=True),
        )

    def worker_steps(self, run_id: str) -> dict[str, str]:
        """Step key -> the worker that ran it, from the executor's engine events."""
        steps = {}
        for entry in self.instance.all_logs(run_id):
            event = entry.dagster_event
            data = event.engine_event_data if event is not None and event.is_engine_event else None
            worker = data.metadata.get("Celery worker") if data is not None else None
            if worker is not None and event is not None and event.step_key is not None:
                steps[event.step_key] = str(worker.value)
        return steps

    def worker_hosts(self, run_id: str) -> set[str]:
        """The workers that ran the run's steps."""
        return set(self.worker_steps(run_id).values())

    def pool_processes(self) -> list[int]:
        """The worker processes that execute tasks (Celery's prefork pool children), one per worker here: the children
        of the `celery worker` process that `dagster-celery worker start` runs (a step may start processes of its own
        below them)."""
        return [pid for worker in self.workers for celery in _children(worker.pid) for pid in _children(celery)]


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


@pytest.fixture
def start_stack(
    postgres_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., CeleryStack]]:
    """Starts the stack; keyword arguments become environment variables of the workers (AZMTH_REQUEST_BUDGETS)."""
    _truncate_all(postgres_database_url)
    admin = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    dagster_db = f"azmth_dagster_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{dagster_db}"'))
    pg = make_url(postgres_admin_url())
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")
    broker, budgets = _redis_db(14), _redis_db(13)
    for url in (broker, budgets):
        redis.Redis.from_url(url).flushdb()
    env = {
        "AZMTH_DATABASE_URL": postgres_database_url,
        "AZMTH_HOME": str(tmp_path / "home"),
        "AZMTH_SECRET_KEY": Fernet.generate_key().decode(),
        "AZMTH_CELERY_BROKER": broker,
        "AZMTH_CELERY_BACKEND": broker,
        "AZMTH_REQUEST_BUDGET_STORE": budgets,
        "DAGSTER_HOME": str(dagster_home),
        "DAGSTER_PG_HOST": pg.host or "127.0.0.1",
        "DAGSTER_PG_PORT": str(pg.port or 5432),
        "DAGSTER_PG_USERNAME": pg.username or "postgres",
        "DAGSTER_PG_PASSWORD": pg.password or "",
        "DAGSTER_PG_DB": dagster_db,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with ExitStack() as stack, sandbox_process() as (sandbox, _process):
        for name, value in sandbox.env.items():
            monkeypatch.setenv(name, value)

        def start(**worker_env: str) -> CeleryStack:
            for name, value in worker_env.items():
                monkeypatch.setenv(name, value)
            workers = stack.enter_context(
                local_workers(WORKERS, WORKER_QUEUES, broker=broker, concurrency=1, logs=tmp_path / "workers")
            )
            instance = stack.enter_context(dg.DagsterInstance.get())
            repository = ReconstructableRepository.for_module(
                "azmth_pipelines.definitions", "defs", working_directory=str(REPO)
            )
            return CeleryStack(sandbox, instance, repository, workers)

        yield start


def _artists_posting(stack: CeleryStack, count: int, at: datetime, tag: str) -> dict[str, int]:
    """`count` artists, each with X and Threads connected and one post on both due at `at`: artist name -> post."""
    posts = {}
    with session_scope() as session:
        for n in range(count):
            artist = create_artist(session, name=f"{tag} artist {n}")
            connect_sandbox_accounts(
                session,
                artist_id=artist.id,
                sandbox=stack.sandbox,
                cipher=TokenCipher.from_settings(),
                platforms=PLATFORMS,
            )
            post = create_post(
                session,
                artist_id=artist.id,
                platforms=[p.value for p in PLATFORMS],
                body=f"{tag}: news from artist {n}",
                scheduled_for=at,
                status="scheduled",
            )
            posts[f"artist {n}"] = post.id
    return posts


def _states(posts: dict[str, int]) -> dict[tuple[str, str], str]:
    with session_scope() as session:
        return {
            (artist, platform): entry["state"]
            for artist, post_id in posts.items()
            for platform, entry in (session.get(ContentPost, post_id).per_platform or {}).items()  # type: ignore[union-attr]
        }


def _entries(posts: dict[str, int]) -> list[Any]:
    with session_scope() as session:
        return [session.get(ContentPost, post_id).per_platform for post_id in posts.values()]  # type: ignore[union-attr]


def _nightly_rows() -> tuple[set[tuple[int, str]], set[int]]:
    """The nightly pull's keys: (post, platform) of the post metrics, connections of the account snapshots."""
    with session_scope() as session:
        nightly = SocialPostMetrics.source == MetricSource.NIGHTLY
        posts = session.execute(select(SocialPostMetrics.post_id, SocialPostMetrics.platform).where(nightly)).all()
        accounts = session.scalars(select(AccountMetricsSnapshot.connection_id)).all()
    return {(post_id, str(platform)) for post_id, platform in posts}, set(accounts)


def _published_texts(sandbox: SandboxHandle, platform: Platform, tag: str) -> Counter[str]:
    return Counter(item["text"] for item in sandbox.published(platform.value) if item.get("text", "").startswith(tag))


def test_a_window_publishes_across_two_workers_as_it_does_on_one_machine(
    start_stack: Callable[..., CeleryStack],
) -> None:
    stack = start_stack()
    on_workers = _artists_posting(stack, 4, T0, "celery")
    in_process = _artists_posting(stack, 4, T0 + timedelta(minutes=15), "local")

    result = stack.launch(AFTER_T0, T0, shards=4)
    local = stack.launch(AFTER_T0 + timedelta(minutes=15), T0 + timedelta(minutes=15), shards=4, in_process={})

    assert result.success and local.success
    assert stack.worker_hosts(result.run_id) == {f"w{n}@{os.uname().nodename}" for n in range(WORKERS)}
    assert _states(on_workers) == _states(in_process) == dict.fromkeys(_states(on_workers), "published")
    for platform in PLATFORMS:
        texts = _published_texts(stack.sandbox, platform, "celery")
        assert len(texts) == 4 and set(texts.values()) == {1}, (platform, texts)

    # The nightly pull of that day on the workers' metrics queue, in steps of 2 posts, then in this process in one
    # step: the same rows.
    nightly = stack.repository.get_reconstructable_job("metrics_nightly_job")
    day = {"dagster/partition": T0.date().isoformat()}
    in_steps = {"ops": {"social_post_metrics": {"ops": {"plan_nightly_pull": {"config": {"posts_per_step": 2}}}}}}
    celery = {"execution": {"config": {"celery": celery_config()}}, **in_steps}
    pulled = dg.execute_job(nightly, instance=stack.instance, run_config=celery, tags=day)
    assert pulled.success
    pull_steps = {key for key in stack.worker_steps(pulled.run_id) if ".pull_nightly_posts[" in key}
    assert len(pull_steps) == 4  # 8 posts in steps of 2
    assert len(stack.worker_hosts(pulled.run_id)) == WORKERS
    on_workers_rows = _nightly_rows()
    assert len(on_workers_rows[0]) == 16 and len(on_workers_rows[1]) == 16  # 8 posts x 2; 8 artists x 2 accounts
    local_pull = {"execution": {"config": {"in_process": {}}}}
    assert dg.execute_job(nightly, instance=stack.instance, run_config=local_pull, tags=day).success
    assert _nightly_rows() == on_workers_rows


def test_a_worker_killed_mid_shard_fails_the_run_and_reexecution_posts_nothing_twice(
    start_stack: Callable[..., CeleryStack],
) -> None:
    stack = start_stack()
    posts = _artists_posting(stack, 2, T0, "killed")
    # The sandbox holds the shard's X publish call (then answers 504, nothing done); the worker dies while it waits.
    hold = stack.sandbox.set_fault("x", "timeout", 30, scope="publish", times=1)
    # The run worker is this test's thread, as a launched run's is its own process.
    outcome: dict[str, dg.JobExecutionResult] = {}
    run = threading.Thread(target=lambda: outcome.update(result=stack.launch(AFTER_T0, T0, shards=2)))
    run.start()
    deadline = time.monotonic() + 180  # a guard against a run that hangs, never a synchronization
    while any(rule["id"] == hold["id"] for rule in stack.sandbox.faults()):
        assert time.monotonic() < deadline and run.is_alive(), "no X publish call reached the sandbox"
        time.sleep(0.05)
    for pid in stack.pool_processes():
        os.kill(pid, signal.SIGKILL)
    run.join(timeout=240)
    assert not run.is_alive(), "the run did not end after its worker died"
    failed = outcome["result"]
    assert not failed.success
    record = stack.instance.get_run_by_id(failed.run_id)
    assert record is not None and record.status == dg.DagsterRunStatus.FAILURE
    # The run's failure, as the UI shows it, names the lost worker.
    [failure] = [
        e.dagster_event.event_specific_data
        for e in stack.instance.all_logs(failed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        if e.dagster_event is not None
    ]
    assert failure is not None and "WorkerLostError: Worker exited prematurely: signal 9" in failure.error.message

    stack.sandbox.clear_faults()
    # Re-executed from failure once the dead attempt's lease (10 minutes) has run out, as ops would find it.
    config = publish_config(AFTER_T0 + timedelta(minutes=11), 2) | {
        "execution": {"config": {"celery": celery_config()}}
    }
    rerun = dg.execute_job(
        stack.job,
        instance=stack.instance,
        run_config=config,
        reexecution_options=dg.ReexecutionOptions.from_failure(failed.run_id, stack.instance),
        # The window's partition, as the UI's re-execution copies it from the failed run.
        tags={PARTITION_TAG: record.tags[PARTITION_TAG]},
    )
    assert rerun.success
    # A platform post the dead worker left in doubt is checked, never sent blindly, by the window's later runs.
    for later in (41, 71, 101):
        stack.launch(AFTER_T0 + timedelta(minutes=later), T0, shards=2)
    assert set(_states(posts).values()) == {"published"}, _entries(posts)
    for platform in PLATFORMS:
        texts = _published_texts(stack.sandbox, platform, "killed")
        assert len(texts) == 2 and set(texts.values()) == {1}, (platform, texts)


def test_an_app_budget_smaller_than_the_window_holds_across_both_workers(
    start_stack: Callable[..., CeleryStack],
) -> None:
    stack = start_stack(AZMTH_REQUEST_BUDGETS="x.create_post_per_app=3/hour")
    posts = _artists_posting(stack, 6, T0, "budget")

    result = stack.launch(AFTER_T0, T0, shards=2)

    assert len(stack.worker_hosts(result.run_id)) == WORKERS
    assert len(_published_texts(stack.sandbox, Platform.X, "budget")) == 3  # never more than the budget
    assert len(_published_texts(stack.sandbox, Platform.THREADS, "budget")) == 6
    states = Counter(state for (_, platform), state in _states(posts).items() if platform == "x")
    assert states == {"published": 3, "retrying": 3}

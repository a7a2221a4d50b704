"""One publish tick of N due posts across the four platforms through the sandbox, with injected latency.

The tick runs as a deployment runs it: the publish job on its multiprocess executor, a step process per shard
(--shards). Prints posts/s, API calls/s (counted by the sandbox), the shard processes' peak RSS, and our calls/s
against two baselines measured against the same sandbox, same latency, in the same run:
- the bare-httpx ceiling: a loop of cheap GETs, one AsyncClient per platform, 64 requests wanted at once each;
- the publishers alone: the same publish calls (uploads, containers, status polls, publishes) made by the
  publishers with no database, ledger or Dagster around them, in as many processes as the run has shards.
  Publishing calls cost the sandbox more than a GET (it fetches each image from the media server, as the
  platforms do), and on two shared cores that lowers what any client can reach; this baseline pays the same.
It also prints how long the run took to make its first call (process start-up) and its rate while calling.

    .venv/bin/python bench/publish_tick.py [--sizes 500,2000] [--latency-ms 100] [--shards N] [--database-url URL]
        [--executor multiprocess|celery] [--workers N]

With `--executor celery` the shards run on N local Celery workers (deploy/celery/, Redis at 127.0.0.1:6379) and the
bench prints the workers' CPU per API call; compare with `--executor multiprocess` at the same --shards.

The issue's goal on this 2-core machine: 5,000 posts x 4 platforms at 100 ms in one tick in under 3 minutes,
at least 60 % of the bare ceiling, memory flat as N grows. The sandbox, the media server and the shards each
get a process; all share the two cores.
"""

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import redis

POST_PLATFORMS = ["instagram", "threads", "x", "tiktok"]
# Databases of the local Redis the bench empties and uses: Celery's broker and results, and the request budgets.
CELERY_BROKER = os.environ.get("AZMTH_BENCH_CELERY_BROKER", "redis://127.0.0.1:6379/11")
BUDGET_STORE = os.environ.get("AZMTH_BENCH_BUDGET_STORE", "redis://127.0.0.1:6379/12")
POSTS_PER_ARTIST = 10


def _bare_ceiling(base_url: str, token: str, requests: int, *, tuned: bool, clients: int = 4) -> float:
    """Requests/s a bare loop of cheap reads gets from the sandbox at the same injected latency, with the
    publisher's shape (one AsyncClient per platform, 64 requests wanted at once per client). `tuned`: our
    transport and connection limits with callers waiting outside the pool (integrations/common/transport.py), else
    httpx's defaults. The ratio is taken against the higher of the two."""
    from azmth_pipelines.integrations.common.http import CONNECTION_LIMITS
    from azmth_pipelines.integrations.common.transport import pooled_transport

    async def run() -> float:
        def client() -> httpx.AsyncClient:
            if not tuned:
                return httpx.AsyncClient(base_url=base_url, timeout=60, trust_env=False)
            transport = pooled_transport(CONNECTION_LIMITS)
            return httpx.AsyncClient(base_url=base_url, transport=transport, limits=CONNECTION_LIMITS, timeout=60)

        pool = [client() for _ in range(clients)]
        gates = [asyncio.Semaphore(CONNECTION_LIMITS.max_connections if tuned else 64) for _ in range(clients)]
        headers = {"Authorization": f"Bearer {token}"}
        counter = iter(range(requests))

        async def worker(n: int) -> None:
            for _ in counter:
                async with gates[n % clients]:
                    (await pool[n % clients].get("/x/2/users/me", headers=headers)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(clients * 64)))
        rate = requests / (time.perf_counter() - started)
        for c in pool:
            await c.aclose()
        return rate

    return asyncio.run(run())


def _publishers_alone(sandbox, image: Path, posts: int, processes: int) -> float:  # type: ignore[no-untyped-def]
    """Calls/s of the same publish calls made by the publishers with nothing around them: no database, ledger,
    group commit or Dagster, checkpoints that do nothing, the runner's limits (64 in flight per platform, 4 per
    account), in as many processes as the run has shards. What the run could reach if orchestrating cost nothing.
    Each process sets up its accounts and clients first; the clock runs from a barrier they all pass."""
    with multiprocessing.get_context("spawn").Manager() as manager:
        start = manager.Barrier(processes + 1)
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
            share = max(1, posts // processes)
            done = [
                pool.submit(_publish_alone, sandbox.base_url, image, share, f"alone{n}", start)
                for n in range(processes)
            ]
            start.wait()
            before, started = sum(sandbox.requests_served().values()), time.perf_counter()
            for future in done:
                future.result()
            return (sum(sandbox.requests_served().values()) - before) / (time.perf_counter() - started)


def _publish_alone(base_url: str, image: Path, posts: int, tag: str, start) -> None:  # type: ignore[no-untyped-def]
    from azmth_pipelines.domain.post_options import effective
    from azmth_pipelines.integrations.registry import integration
    from azmth_pipelines.media.store import MediaStore
    from azmth_pipelines.publishing.job import JobMedia, PublishJob
    from azmth_pipelines.publishing.publishers import build_publishers
    from azmth_pipelines.vocabulary import MediaKind, Platform
    from azmth_sandbox.testing import SandboxHandle

    sandbox = SandboxHandle(base_url)
    artists = max(1, posts // POSTS_PER_ARTIST)
    accounts = {
        (a, platform): sandbox.create_account(platform.value, f"{tag}_{a}_{platform.value}")
        for a in range(artists)
        for platform in Platform
    }

    def job(n: int, platform: Platform) -> PublishJob:
        account = accounts[(n % artists, platform)]
        return PublishJob(
            post_id=n,
            artist_id=n % artists,
            platform=platform,
            caption=f"{tag} {n}: new single out Friday",
            options=effective({}, platform),
            media=[JobMedia(kind=MediaKind.IMAGE, path=image, crop=None)],
            account_id=account.remote_id,
            access_token=account.access_token,
            granted_scopes=frozenset(account.scopes),
        )

    jobs = [job(n, platform) for n in range(posts) for platform in Platform]

    async def nothing(stage: str, remote_ids: dict) -> None:  # type: ignore[type-arg]
        return None

    async def run() -> None:
        clients = {platform: integration(platform).client(None) for platform in Platform}
        publishers = build_publishers(clients, MediaStore.from_settings())
        platform_slots = {p: asyncio.Semaphore(64) for p in Platform}
        account_slots = {key: asyncio.Semaphore(4) for key in accounts}

        async def one(job: PublishJob) -> None:
            async with platform_slots[job.platform], account_slots[(job.artist_id, job.platform)]:
                await publishers[job.platform].publish(job, nothing)

        await asyncio.to_thread(start.wait, 600)
        async with asyncio.TaskGroup() as tasks:
            for job in jobs:
                tasks.create_task(one(job))
        for client in clients.values():
            await client.aclose()

    asyncio.run(run())
    sandbox.close()


class _CallTimeline:
    """Samples the sandbox's request count every half second while the tick runs: how long the run took to make
    its first call and how long it ran after its last, so the fixed cost of starting a run reads apart from the
    rate while it works."""

    def __init__(self, sandbox, served_before: int) -> None:  # type: ignore[no-untyped-def]
        self._sandbox = sandbox
        self._before = served_before
        self._samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            served = sum(self._sandbox.requests_served().values()) - self._before
            self._samples.append((time.perf_counter(), served))

    def __enter__(self) -> "_CallTimeline":
        self.started = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.ended = time.perf_counter()
        self._stop.set()
        self._thread.join()

    def phases(self) -> dict[str, float]:
        calling = [t for t, n in self._samples if n > 0]
        total = self._samples[-1][1] if self._samples else 0
        done = [t for t, n in self._samples if n >= total]
        if not calling or not done:
            return {}
        first, last = calling[0], done[0]
        return {
            "seconds_before_first_call": first - self.started,
            "seconds_after_last_call": self.ended - last,
            "calls_per_s_while_calling": total / max(last - first, 1e-9),
            "calls_per_s_by_10_s": self._rates(10.0),
        }

    def _rates(self, step: float) -> list[int]:
        rates, mark, served = [], self.started + step, 0
        for t, n in self._samples:
            if t >= mark:
                rates.append(round((n - served) / step))
                mark, served = mark + step, n
        return rates


def _seed(posts: int, sandbox, store, scheduled_for: datetime, image: Path) -> None:  # type: ignore[no-untyped-def]
    """Artists with four connected sandbox accounts each, and `posts` due posts with one image each."""
    from sqlalchemy import insert

    from azmth_pipelines.db.engine import session_scope
    from azmth_pipelines.db.models import ContentPost, ContentPostMedia
    from azmth_pipelines.demo import connect_sandbox_accounts
    from azmth_pipelines.domain.artists import create_artist
    from azmth_pipelines.domain.media_library import add_media
    from azmth_pipelines.token_cipher import TokenCipher

    cipher = TokenCipher.from_settings()
    artists = max(1, posts // POSTS_PER_ARTIST)
    with session_scope() as session:
        for a in range(artists):
            artist = create_artist(session, name=f"bench artist {a}")
            connect_sandbox_accounts(session, artist_id=artist.id, sandbox=sandbox, cipher=cipher)
            asset = add_media(session, artist_id=artist.id, path=image, store=store)
            count = posts // artists + (1 if a < posts % artists else 0)
            rows = session.execute(
                insert(ContentPost).returning(ContentPost.id),
                [
                    {
                        "artist_id": artist.id,
                        "body": f"Bench post {a}-{n}: new single out Friday",
                        "platforms": POST_PLATFORMS,
                        "caption_overrides": {},
                        "platform_options": {},
                        "scheduled_for": scheduled_for,
                        "status": "scheduled",
                        "per_platform": {},
                    }
                    for n in range(count)
                ],
            ).scalars()
            session.execute(
                insert(ContentPostMedia),
                [{"post_id": post_id, "position": 0, "media_asset_id": asset.id, "crops": {}} for post_id in rows],
            )


@contextlib.contextmanager
def _executor_ready(home: Path, workers: int) -> Iterator[tuple[Any, list[int]]]:
    """A Dagster instance, and (`workers` > 0) that many local Celery workers over Redis already answering, as a
    deployment's workers run before any tick: their start-up is not the tick's time. Yields the instance and the
    workers' process ids."""
    import dagster as dg

    from azmth_pipelines.celery_workers import local_workers
    from azmth_pipelines.executors import PUBLISH_QUEUE

    (home / "dagster").mkdir()
    os.environ["DAGSTER_HOME"] = str(home / "dagster")  # `dagster-celery worker start` writes its config there
    with contextlib.ExitStack() as stack:
        instance = stack.enter_context(dg.DagsterInstance.local_temp(str(home / "dagster")))
        pids: list[int] = []
        if workers:
            redis.Redis.from_url(CELERY_BROKER).flushdb()
            started = stack.enter_context(
                local_workers(workers, [PUBLISH_QUEUE], broker=CELERY_BROKER, logs=home / "workers")
            )
            pids = [pid for worker in started for pid in _tree(worker.pid)]
        yield instance, pids


def _tick(shards: int, instance: Any, workers: int, pids: list[int]) -> tuple[int, list[float], float]:
    """The window's run as a deployment executes it: the publish job on its multiprocess executor, one step
    process per shard, or (`workers` > 0) on the running Celery workers, one shard at a time each.
    Returns the successful runs, each shard's peak RSS (MB) and the CPU seconds the Celery workers spent (0 without)."""
    import dagster as dg

    from azmth_pipelines.executors import celery_config
    from azmth_pipelines.ops.tick import publish_config
    from azmth_pipelines.resources.database import DatabaseResource
    from azmth_pipelines.schedules import plan_tick

    job = dg.build_reconstructable_job("azmth_pipelines.definitions", "publish_job_with_resources")
    execution = {"celery": celery_config(CELERY_BROKER)} if workers else {"multiprocess": {"max_concurrent": shards}}
    config = publish_config(None, shards) | {"execution": {"config": execution}}
    ok, shard_rss = 0, []
    cpu_before = _cpu_seconds(pids)
    for request in plan_tick(DatabaseResource(), datetime.now(UTC)).requests:
        tags = {**request.tags, "dagster/partition": request.partition_key or ""}
        with dg.execute_job(job, instance=instance, run_config=config, tags=tags) as result:
            ok += result.success
            for event in result.all_events:
                if (event.step_key or "").startswith("publish_shard") and event.is_successful_output:
                    shard_rss.append(event.step_output_data.metadata["peak_rss_mb"].value)
    return ok, shard_rss, _cpu_seconds(pids) - cpu_before


def _tree(pid: int) -> list[int]:
    """A process and its descendants (a worker: dagster-celery, celery and its pool), from /proc."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            stack += [int(child) for child in (task / "children").read_text().split()]
    return found


def _cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU of live processes, from /proc/<pid>/stat (clock ticks)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def run_one(posts: int, latency_ms: int, database_url: str | None, shards: int, workers: int) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="azmth-bench-"))
    os.environ["AZMTH_HOME"] = str(home)
    os.environ["AZMTH_DATABASE_URL"] = database_url or f"sqlite:///{home / 'azmth.db'}"
    # The sandbox lifts its limits for the bench; so does the app's X budget (1,667 posts a day), and the shards
    # (processes or workers) share one budget store, as a deployment with several of them must.
    os.environ["AZMTH_REQUEST_BUDGETS"] = "x.create_post_per_app=off"
    os.environ["AZMTH_REQUEST_BUDGET_STORE"] = BUDGET_STORE
    redis.Redis.from_url(BUDGET_STORE).flushdb()
    from azmth_pipelines.db.engine import engine
    from azmth_pipelines.db.migrate import upgrade
    from azmth_pipelines.media.samples import make_image
    from azmth_pipelines.media.store import MediaStore
    from azmth_pipelines.publishing.windows import window_start
    from azmth_sandbox.process import free_port, sandbox_process

    upgrade(engine())
    media_port = free_port()
    os.environ["AZMTH_PUBLIC_MEDIA_URL"] = f"http://127.0.0.1:{media_port}/media"
    media = subprocess.Popen(
        [sys.executable, "-m", "azmth_pipelines.cli.main", "media", "serve", "--port", str(media_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sandbox_args = ("--lift-limits", "--processing-delay", "0.2", "--fault", f"*:latency={latency_ms}")
    try:
        with sandbox_process(*sandbox_args) as (sandbox, _):
            os.environ.update(sandbox.env)
            sandbox.configure(tiktok_verified_url_prefixes=[os.environ["AZMTH_PUBLIC_MEDIA_URL"]])
            store = MediaStore.from_settings()
            due = window_start(datetime.now(UTC) - timedelta(minutes=30))
            cover = make_image(home / "cover.jpg", 1080, 1350)
            _seed(posts, sandbox, store, due, cover)
            alone = _publishers_alone(sandbox, cover, min(posts, 1000), shards)
            probe = sandbox.create_account("x", "ceiling")
            plain = _bare_ceiling(sandbox.base_url, probe.access_token, 3000, tuned=False)
            ceiling = max(plain, _bare_ceiling(sandbox.base_url, probe.access_token, 3000, tuned=True))
            before = sandbox.requests_served()
            published_before = len(sandbox.published())

            with _executor_ready(home, workers) as (instance, pids):
                started = time.perf_counter()
                with _CallTimeline(sandbox, sum(before.values())) as timeline:
                    runs_ok, shard_rss, worker_cpu = _tick(shards, instance, workers, pids)
                elapsed = time.perf_counter() - started
            served = sandbox.requests_served()
            per_platform = {p: served.get(p, 0) - before.get(p, 0) for p in served}
            calls = sum(per_platform.values())
            published = len(sandbox.published()) - published_before
    finally:
        media.terminate()
        media.wait(10)
    return {
        "posts": posts,
        "platform_posts": posts * len(POST_PLATFORMS),
        "published": published,
        "shards": shards,
        "workers": workers,
        # Client CPU per API call on the Celery workers (everything a worker process spends, Dagster's included).
        "worker_cpu_ms_per_call": 1000 * worker_cpu / calls if workers and calls else 0.0,
        "runs_ok": runs_ok,
        "seconds": elapsed,
        "posts_per_s": posts / elapsed,
        "calls_per_s": calls / elapsed,
        "ceiling_calls_per_s": ceiling,
        "plain_httpx_calls_per_s": plain,
        "ratio_to_ceiling": (calls / elapsed) / ceiling,
        "publishers_alone_calls_per_s": alone,
        "ratio_to_publishers_alone": (calls / elapsed) / alone,
        # The shard step processes' high-water marks: "flat as N grows" is read here.
        "peak_rss_mb": max(shard_rss, default=0.0),
        **timeline.phases(),
        "calls_per_post": {p: round(n / posts, 2) for p, n in sorted(per_platform.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000", help="Post counts, each in its own process.")
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--database-url", default=None, help="Default: a fresh SQLite file.")
    parser.add_argument("--shards", type=int, default=1, help="Shards of the window, a step process each.")
    parser.add_argument(
        "--executor", choices=("multiprocess", "celery"), default="multiprocess", help="Where the shards run."
    )
    parser.add_argument("--workers", type=int, default=2, help="Celery workers on this machine (--executor celery).")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        workers = args.workers if args.executor == "celery" else 0
        print(json.dumps(run_one(args.one, args.latency_ms, args.database_url, args.shards, workers)))
        return
    columns = {
        "posts": "posts",
        "published": "published",
        "seconds": "seconds",
        "posts_per_s": "posts/s",
        "calls_per_s": "calls/s",
        "ceiling_calls_per_s": "ceiling",
        "ratio_to_ceiling": "ratio",
        "publishers_alone_calls_per_s": "alone",
        "ratio_to_publishers_alone": "ratio",
        "seconds_before_first_call": "startup s",
        "calls_per_s_while_calling": "calling/s",
        "peak_rss_mb": "shard MB",
        "worker_cpu_ms_per_call": "cpu ms",
    }
    print(" ".join(f"{h:>9}" for h in columns.values()))
    for size in (int(s) for s in args.sizes.split(",")):
        command = [sys.executable, __file__, "--one", str(size), "--latency-ms", str(args.latency_ms)]
        command += ["--shards", str(args.shards), "--executor", args.executor, "--workers", str(args.workers)]
        if args.database_url:
            command += ["--database-url", args.database_url]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        r = json.loads(out)
        print(" ".join(f"{v:>9.2f}" if isinstance(v, float) else f"{v:>9}" for v in (r.get(k, "") for k in columns)))
        print(f"  calls per post: {r['calls_per_post']}, runs ok: {r['runs_ok']}")


if __name__ == "__main__":
    main()

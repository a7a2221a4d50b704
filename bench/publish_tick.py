"""One publish tick of N due posts across the four platforms through the sandbox, with injected latency.

Prints posts/s, API calls/s (counted by the sandbox), peak memory, and the ratio of our API calls/s to the
bare-httpx ceiling measured against the same sandbox, same latency, in the same run. Each size runs in its
own process, so peak memory is per size and "flat as N grows" can be read off directly.

    .venv/bin/python bench/publish_tick.py [--sizes 500,2000] [--latency-ms 100] [--database-url URL]

The issue's goal on this 2-core machine: 5,000 posts x 4 platforms at 100 ms in one tick in under 3 minutes,
at least 60 % of the bare ceiling. The sandbox, the media server and the tick each get a process; all share
the two cores, so the ceiling is the sandbox's, not the network's.
"""

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

POST_PLATFORMS = ["instagram", "threads", "x", "tiktok"]
POSTS_PER_ARTIST = 10


def _bare_ceiling(base_url: str, token: str, requests: int, *, tuned: bool, clients: int = 4) -> float:
    """Requests/s a bare loop of cheap reads gets from the sandbox at the same injected latency, with the
    publisher's shape (one AsyncClient per platform, 64 requests wanted at once per client). `tuned`: our
    transport and connection limits with callers waiting outside the pool (platforms/transport.py), else
    httpx's defaults. The ratio is taken against the higher of the two."""
    from azmth_pipelines.platforms.http import CONNECTION_LIMITS
    from azmth_pipelines.platforms.transport import pooled_transport

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


def _tick(shards: int, home: Path) -> int:
    """One shard: `azmth publish tick`'s in-process run. More: the window's run on the multiprocess executor,
    one process per shard, as a deployment's run launcher would execute it. Returns the successful runs."""
    import dagster as dg

    from azmth_pipelines.definitions import defs
    from azmth_pipelines.publishing.tick import publish_config, run_tick
    from azmth_pipelines.resources.database import DatabaseResource
    from azmth_pipelines.schedules import publish_run_requests

    if shards == 1:
        runs = run_tick(defs, dg.DagsterInstance.ephemeral(), now=datetime.now(UTC), fixed_clock=False)
        return sum(r.success for r in runs)
    job = dg.build_reconstructable_job("azmth_pipelines.definitions", "publish_job_with_resources")
    config = publish_config(None, shards) | {"execution": {"config": {"multiprocess": {"max_concurrent": shards}}}}
    ok = 0
    (home / "dagster").mkdir()
    with dg.DagsterInstance.local_temp(str(home / "dagster")) as instance:
        for request in publish_run_requests(DatabaseResource(), datetime.now(UTC)):
            tags = {**request.tags, "dagster/partition": request.partition_key or ""}
            with dg.execute_job(job, instance=instance, run_config=config, tags=tags) as result:
                ok += result.success
    return ok


def run_one(posts: int, latency_ms: int, database_url: str | None, shards: int) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="azmth-bench-"))
    os.environ["AZMTH_HOME"] = str(home)
    os.environ["AZMTH_DATABASE_URL"] = database_url or f"sqlite:///{home / 'azmth.db'}"
    from azmth_pipelines.db.engine import engine
    from azmth_pipelines.db.migrate import upgrade
    from azmth_pipelines.media.samples import make_image
    from azmth_pipelines.media.store import MediaStore
    from azmth_pipelines.publishing.windows import window_start
    from azmth_pipelines.sandbox.process import free_port, sandbox_process

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
            _seed(posts, sandbox, store, due, make_image(home / "cover.jpg", 1080, 1350))
            probe = sandbox.create_account("x", "ceiling")
            plain = _bare_ceiling(sandbox.base_url, probe.access_token, 3000, tuned=False)
            ceiling = max(plain, _bare_ceiling(sandbox.base_url, probe.access_token, 3000, tuned=True))
            before = sandbox.requests_served()

            started = time.perf_counter()
            runs_ok = _tick(shards, home)
            elapsed = time.perf_counter() - started
            served = sandbox.requests_served()
            per_platform = {p: served.get(p, 0) - before.get(p, 0) for p in served}
            calls = sum(per_platform.values())
            published = len(sandbox.published())
    finally:
        media.terminate()
        media.wait(10)
    return {
        "posts": posts,
        "platform_posts": posts * len(POST_PLATFORMS),
        "published": published,
        "shards": shards,
        "runs_ok": runs_ok,
        "seconds": elapsed,
        "posts_per_s": posts / elapsed,
        "calls_per_s": calls / elapsed,
        "ceiling_calls_per_s": ceiling,
        "plain_httpx_calls_per_s": plain,
        "ratio_to_ceiling": (calls / elapsed) / ceiling,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # With shards > 1 the work runs in step processes: the largest child (a shard, the sandbox or the media
        # server) is the figure to read.
        "peak_child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "calls_per_post": {p: round(n / posts, 2) for p, n in sorted(per_platform.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000", help="Post counts, each in its own process.")
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--database-url", default=None, help="Default: a fresh SQLite file.")
    parser.add_argument("--shards", type=int, default=1, help="Shards of the window, one process each if > 1.")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.latency_ms, args.database_url, args.shards)))
        return
    header = ("posts", "published", "seconds", "posts/s", "calls/s", "ceiling", "ratio", "peak MB", "plain")
    print(" ".join(f"{h:>9}" for h in header))
    for size in (int(s) for s in args.sizes.split(",")):
        command = [sys.executable, __file__, "--one", str(size), "--latency-ms", str(args.latency_ms)]
        command += ["--shards", str(args.shards)]
        if args.database_url:
            command += ["--database-url", args.database_url]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        r = json.loads(out)
        row = (r["posts"], r["published"], r["seconds"], r["posts_per_s"], r["calls_per_s"])
        row += (r["ceiling_calls_per_s"], r["ratio_to_ceiling"], r["peak_rss_mb"], r["plain_httpx_calls_per_s"])
        print(" ".join(f"{v:>9.2f}" if isinstance(v, float) else f"{v:>9}" for v in row))


if __name__ == "__main__":
    main()

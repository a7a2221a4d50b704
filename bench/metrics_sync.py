"""The nightly metrics sync against the platform sandbox: throughput, API calls, rows written, memory.

    .venv/bin/python bench/metrics_sync.py [--posts 2000,4000] [--latency-ms 20] [--concurrency 16]
    .venv/bin/python bench/metrics_sync.py --posts 100000            # the big one (minutes)

For each N: a sandbox process is started with N published posts on each of the four platforms already
in its state (seeded directly in the sandbox's in-memory state by this script's `--serve` mode, before
uvicorn starts: the platforms' publish flows need media and would take hours for 100,000 posts), every
cap lifted and L ms of latency injected on every metrics endpoint. The database (SQLite in a temporary
directory unless --database-url) gets one connected artist per 50 posts and N content_post rows, all
published on the four platforms, bulk-inserted. Then `sync_nightly` runs twice on the same partition:
once plain (throughput) and once under tracemalloc (peak Python memory; the re-run also replaces the
partition). Bare httpx.AsyncClients then drive the same request mix against the same sandbox, one per
platform at the same per-platform concurrency as the sync: the ceiling our calls/s are compared with.
Peak memory that stays flat from the small N to the large one shows the sync streams.
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

POSTS_PER_ARTIST = 50
PLATFORMS = ("tiktok", "instagram", "threads", "x")
PARTITION = date(2026, 11, 27)


# --- sandbox process -------------------------------------------------------------------------------


def serve(port: int, posts: int, seed_file: Path) -> None:
    """Build a sandbox with `posts` published posts per platform, write the ids and tokens, serve."""
    import uvicorn

    from azmth_sandbox.app import create_app
    from azmth_sandbox.state import Post
    from azmth_sandbox.testing import build_config

    app = create_app(build_config(seed=7, processing_delay_s=0))
    state = app.state.sandbox
    state.limits.lift_all()
    artists = []
    rows = []
    published_at = state.now() - 3 * 86400
    for artist in range(-(-posts // POSTS_PER_ARTIST)):
        accounts = {}
        for platform in PLATFORMS:
            account = state.add_account(platform, f"artist{artist}_{platform}")
            access, _ = state.issue_token_pair(account)
            access.expires_at = None  # the run outlives X's 2 h tokens at 100,000 posts
            accounts[platform] = {"remote_id": account.remote_id, "token": access.value, "id": account.id}
        artists.append(accounts)
        for _ in range(min(POSTS_PER_ARTIST, posts - len(rows))):
            ids = {}
            for platform in PLATFORMS:
                remote_id = state.new_id(platform)
                state.record_post(
                    Post(
                        platform=platform,
                        account_id=accounts[platform]["id"],
                        remote_id=remote_id,
                        text="bench",
                        media=["clip.mp4"],
                        media_type="VIDEO",
                        published_at=published_at,
                        product_type="DIRECT_POST" if platform == "tiktok" else "REELS",
                    )
                )
                ids[platform] = remote_id
            rows.append([artist, ids])
    seed_file.write_text(json.dumps({"artists": artists, "posts": rows}))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_sandbox(posts: int, workdir: Path) -> tuple[subprocess.Popen[bytes], str, dict]:
    port = _free_port()
    seed_file = workdir / "seed.json"
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), "--posts", str(posts), "--seed-file", str(seed_file)]
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the sandbox process exited")
        try:
            if httpx.get(f"{base_url}/_admin/health", timeout=1, trust_env=False).status_code == 200:
                return process, base_url, json.loads(seed_file.read_text())
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("the sandbox did not start")


# --- database ----------------------------------------------------------------------------------------


def seed_database(url: str, seed: dict) -> None:
    from sqlalchemy import insert

    from azmth_pipelines.db.engine import engine, session_scope
    from azmth_pipelines.db.migrate import upgrade
    from azmth_pipelines.db.models import Artist, ContentPost, SocialConnection
    from azmth_pipelines.token_cipher import TokenCipher
    from azmth_pipelines.vocabulary import PostStatus

    upgrade(engine(url))
    cipher = TokenCipher.from_settings()
    now = datetime.now(UTC)
    with session_scope(url) as session:
        session.execute(
            insert(Artist),
            [{"id": i + 1, "name": f"artist {i}", "timezone": "UTC"} for i in range(len(seed["artists"]))],
        )
        session.execute(
            insert(SocialConnection),
            [
                {
                    "artist_id": i + 1,
                    "platform": platform,
                    "external_account_id": account["remote_id"],
                    "access_token_ciphertext": cipher.encrypt(account["token"]),
                    "granted_scopes": ["user.info.basic", "video.list"] if platform == "tiktok" else [],
                }
                for i, accounts in enumerate(seed["artists"])
                for platform, account in accounts.items()
            ],
        )
        settled = now.isoformat()
        for start in range(0, len(seed["posts"]), 5000):
            session.execute(
                insert(ContentPost),
                [
                    {
                        "artist_id": artist + 1,
                        "body": "bench",
                        "platforms": list(PLATFORMS),
                        "status": PostStatus.POSTED,
                        "scheduled_for": now,
                        "per_platform": {
                            p: {"state": "published", "remote_id": rid, "settled_at": settled} for p, rid in ids.items()
                        },
                    }
                    for artist, ids in seed["posts"][start : start + 5000]
                ],
            )


# --- measurements ------------------------------------------------------------------------------------


async def bare_httpx_ceiling(base_url: str, seed: dict, calls: int, concurrency: int) -> float:
    """Calls/s of bare httpx.AsyncClients doing the sync's request mix the way the sync runs it: one client per
    platform, each with `concurrency` connections and as many calls in flight. Per artist (50 posts): 50
    Instagram and 50 Threads insights calls, 3 TikTok queries (20, 20 and 10 ids), 1 X lookup of 50 ids."""
    artist = seed["artists"][0]
    posts = seed["posts"][:POSTS_PER_ARTIST]
    first = posts[0][1]
    tiktok_ids = [ids["tiktok"] for _, ids in posts]
    tiktok_bodies = [{"filters": {"video_ids": tiktok_ids[i : i + 20]}} for i in range(0, len(tiktok_ids), 20)]
    x_ids = ",".join(ids["x"] for _, ids in posts)
    bearer = {p: {"Authorization": f"Bearer {artist[p]['token']}"} for p in PLATFORMS}
    fields = "id,view_count,like_count,comment_count,share_count"
    ig_metrics = "views,reach,likes,comments,shares,saved,total_interactions"
    threads_params = {"metric": "views,likes,replies,reposts,quotes,shares", "access_token": artist["threads"]["token"]}

    def request(client: httpx.AsyncClient, platform: str, n: int):  # type: ignore[no-untyped-def]
        match platform:
            case "tiktok":
                body = tiktok_bodies[n % len(tiktok_bodies)]
                return client.post(f"/tiktok/v2/video/query/?fields={fields}", json=body, headers=bearer["tiktok"])
            case "instagram":
                path = f"/instagram/v25.0/{first['instagram']}/insights"
                return client.get(path, params={"metric": ig_metrics}, headers=bearer["instagram"])
            case "threads":
                return client.get(f"/threads/v1.0/{first['threads']}/insights", params=threads_params)
            case _:
                params = {"ids": x_ids, "tweet.fields": "created_at,public_metrics"}
                return client.get("/x/2/tweets", params=params, headers=bearer["x"])

    per_artist = {"instagram": len(posts), "threads": len(posts), "tiktok": len(tiktok_bodies), "x": 1}
    artists = max(1, calls // sum(per_artist.values()))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def platform_calls(platform: str) -> None:
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60, trust_env=False) as client:
            counter = iter(range(per_artist[platform] * artists))

            async def worker() -> None:
                for n in counter:
                    (await request(client, platform, n)).raise_for_status()

            await asyncio.gather(*(worker() for _ in range(concurrency)))

    started = time.perf_counter()
    await asyncio.gather(*(platform_calls(platform) for platform in PLATFORMS))
    return artists * sum(per_artist.values()) / (time.perf_counter() - started)


def run_size(posts: int, args: argparse.Namespace) -> dict:
    from azmth_pipelines.db.engine import session_factory
    from azmth_pipelines.metrics.sync import PullSettings, sync_nightly
    from azmth_sandbox.config import sandbox_env

    with tempfile.TemporaryDirectory(prefix="azmth-bench-") as tmp:
        workdir = Path(tmp)
        os.environ["AZMTH_HOME"] = str(workdir / "home")
        process, base_url, seed = start_sandbox(posts, workdir)
        try:
            os.environ.update(sandbox_env(base_url))
            httpx.post(
                f"{base_url}/_admin/faults",
                json={"platform": "*", "kind": "latency", "value": str(args.latency_ms), "scope": "metrics"},
                trust_env=False,
            ).raise_for_status()
            url = args.database_url or f"sqlite:///{workdir / 'azmth.db'}"
            seed_database(url, seed)
            # All the ceiling needs; the rest is not held during the sync.
            seed["posts"] = seed["posts"][:POSTS_PER_ARTIST]
            settings = PullSettings(concurrency=args.concurrency, page_size=args.page_size)
            sessions = session_factory(url)

            started = time.perf_counter()
            report = sync_nightly(PARTITION, sessions=sessions, settings=settings)
            elapsed = time.perf_counter() - started

            tracemalloc.start()
            sync_nightly(PARTITION, sessions=sessions, settings=settings)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()

            ceiling = asyncio.run(bare_httpx_ceiling(base_url, seed, min(4000, report.api_calls), args.concurrency))
        finally:
            process.terminate()
            process.wait(10)
    return {
        "posts": posts,
        "platform_posts": report.targets,
        "rows": report.rows_written,
        "problems": report.problem_count,
        "seconds": elapsed,
        "posts_per_s": posts / elapsed,
        "api_calls": report.api_calls,
        "calls_per_s": report.api_calls / report.pull_s,
        "ceiling_calls_per_s": ceiling,
        "rows_per_s": report.rows_written / report.write_s if report.write_s else float("nan"),
        "peak_mib": peak / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", default="2000,4000", help="N values, comma-separated (up to 100000).")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="Injected latency per metrics call.")
    parser.add_argument("--concurrency", type=int, default=16, help="Calls in flight per platform.")
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="Default: SQLite in a temporary directory.")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, int(args.posts), args.seed_file)
        return
    sizes = [int(n) for n in args.posts.split(",")]
    print(
        f"latency {args.latency_ms:g} ms per metrics call, concurrency {args.concurrency} per platform, "
        "4 platforms per post"
    )
    header = (
        f"{'posts':>7} {'plat.posts':>10} {'seconds':>8} {'posts/s':>8} {'calls':>7} {'calls/s':>8} "
        f"{'httpx/s':>8} {'ours%':>6} {'rows/s':>8} {'peak MiB':>9} {'problems':>8}"
    )
    print(header)
    for posts in sizes:
        r = run_size(posts, args)
        print(
            f"{r['posts']:>7} {r['platform_posts']:>10} {r['seconds']:>8.1f} {r['posts_per_s']:>8.0f} "
            f"{r['api_calls']:>7} {r['calls_per_s']:>8.0f} {r['ceiling_calls_per_s']:>8.0f} "
            f"{100 * r['calls_per_s'] / r['ceiling_calls_per_s']:>5.0f}% {r['rows_per_s']:>8.0f} "
            f"{r['peak_mib']:>9.1f} {r['problems']:>8}",
            flush=True,
        )


if __name__ == "__main__":
    main()

"""The nightly metrics sync against the platform sandbox: throughput, API calls, rows written, memory, CPU.

    .venv/bin/python bench/metrics_sync.py [--posts 2000,4000] [--latency-ms 20] [--concurrency 16]
    .venv/bin/python bench/metrics_sync.py --posts 1000000            # the big one (about an hour)

For each N: a sandbox process is started with N published posts on each of the four platforms already
in its state (seeded directly in the sandbox's in-memory state by this script's `--serve` mode, before
uvicorn starts: the platforms' publish flows need media and would take hours for 100,000 posts), every
cap lifted and L ms of latency injected on every metrics endpoint. The database (SQLite in a temporary
directory unless --database-url) gets one connected artist per 50 posts and N content_post rows, all
published on the four platforms, bulk-inserted by a child process (so this process never holds the N posts).

Then `sync_nightly` runs once on the partition, in a child process that only imports and syncs (`--steps K`:
K children at once, each the nightly step of one range of posts, as the Dagster job's steps on K workers). Each
child reports its resident memory (RSS) before the sync and its peak: the growth is what the sync held, flat
from the small N to the large one when it streams. The CPU seconds of the children, of the sandbox process and of
the whole machine are read before and after, so the run says where the time went per API call (the machine's
rest is the database server, if any, and other users). `--tracemalloc` adds a second sync under tracemalloc in
each child (peak Python memory; the re-run also replaces the partition): several times slower, for small N.

Last, bare httpx.AsyncClients drive the sync's request mix against the same sandbox, one per platform at the
same per-platform concurrency as the sync (in K processes at once with --steps K), for a fixed number of calls
(--ceiling-calls, whatever N): the ceiling our calls/s are compared with, measured in the same run against the
same sandbox state. It is the best of --ceiling-rounds rounds: one round of 8,000 calls lasts seconds, and on a
shared machine two rounds in a row read 748 and 1,018 calls/s, so the best round is the ceiling's fair estimate.
"""

import argparse
import asyncio
import gc
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
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


# --- sandbox process -------------------------------------------------------------------------------


def serve(port: int, posts: int, seed_file: Path, sample_file: Path) -> None:
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
    sample_file.write_text(json.dumps({"artists": artists[:1], "posts": rows[:POSTS_PER_ARTIST]}))
    del artists, rows
    # The seeded millions of objects live as long as the process: out of the cyclic collector's sight, so the
    # stand-in platform's collections cost per request what they would with a small state.
    gc.freeze()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_sandbox(posts: int, workdir: Path) -> tuple[subprocess.Popen[bytes], str, Path, dict]:
    port = _free_port()
    seed_file = workdir / "seed.json"
    sample_file = workdir / "sample.json"
    process = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            str(port),
            "--posts",
            str(posts),
            "--seed-file",
            str(seed_file),
            "--sample-file",
            str(sample_file),
        ]
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the sandbox process exited")
        try:
            if httpx.get(f"{base_url}/_admin/health", timeout=1, trust_env=False).status_code == 200:
                return process, base_url, seed_file, json.loads(sample_file.read_text())
        except httpx.TransportError:
            time.sleep(0.5)
    raise RuntimeError("the sandbox did not start")


# --- database ----------------------------------------------------------------------------------------


def seed_database(url: str, seed_file: Path) -> None:
    """Run in a child process (`--seed-database`): the N posts are held only there."""
    from sqlalchemy import insert

    from azmth_pipelines.db.engine import engine, session_scope
    from azmth_pipelines.db.migrate import upgrade
    from azmth_pipelines.db.models import Artist, ContentPost, SocialConnection
    from azmth_pipelines.token_cipher import TokenCipher
    from azmth_pipelines.vocabulary import PostStatus

    seed = json.loads(seed_file.read_text())
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


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_BYTES


def _peak_rss_bytes() -> int:
    """This process's peak resident memory so far (VmHWM)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def sync_step(url: str, start: int, end: int | None, args: argparse.Namespace) -> None:
    """A child (`--sync-step`): the nightly sync of posts [start, end), started when the parent writes a line."""
    from azmth_pipelines.db.engine import session_factory
    from azmth_pipelines.metrics.sync import PullSettings, sync_nightly
    from azmth_pipelines.metrics.targets import PostRange

    settings = PullSettings(concurrency=args.concurrency, page_size=args.page_size)
    sessions = session_factory(url)
    posts = PostRange(start, end)
    gc.collect()
    print("ready", flush=True)
    sys.stdin.readline()
    rss_start = _rss_bytes()
    cpu_before = _process_cpu_s(os.getpid())
    started = time.perf_counter()
    report = sync_nightly(PARTITION, sessions=sessions, settings=settings, posts=posts)
    elapsed = time.perf_counter() - started
    cpu_s = _process_cpu_s(os.getpid()) - cpu_before
    rss_peak = _peak_rss_bytes()
    traced_peak = None
    if args.tracemalloc:
        tracemalloc.start()
        sync_nightly(PARTITION, sessions=sessions, settings=settings, posts=posts)
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    result = {
        "seconds": elapsed,
        "cpu_s": cpu_s,
        "rss_start": rss_start,
        "rss_peak": rss_peak,
        "traced_peak": traced_peak,
        "targets": report.targets,
        "rows": report.rows_written,
        "problems": report.problem_count,
        "api_calls": report.api_calls,
        "pull_s": report.pull_s,
        "pull_cpu_s": report.pull_cpu_s,
        "write_s": report.write_s,
    }
    print(json.dumps(result), flush=True)


def _children(commands: list[list[str]]) -> list[dict]:
    """Start the children, wait until each is ready, start them together, and return each one's JSON line."""
    processes = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for command in commands
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError("a bench child did not start")
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        results = []
        for process in processes:
            out, _ = process.communicate()
            if process.returncode != 0:
                raise RuntimeError(f"a bench child failed ({process.returncode})")
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def ceiling_child(base_url: str, sample_file: Path, calls: int, concurrency: int) -> None:
    """A child (`--ceiling`): the bare-httpx ceiling, started when the parent writes a line."""
    sample = json.loads(sample_file.read_text())
    print("ready", flush=True)
    sys.stdin.readline()
    cpu_before = _process_cpu_s(os.getpid())
    calls_per_s, calls_made = asyncio.run(bare_httpx_ceiling(base_url, sample, calls, concurrency))
    cpu_s = _process_cpu_s(os.getpid()) - cpu_before
    print(json.dumps({"calls_per_s": calls_per_s, "calls": calls_made, "cpu_s": cpu_s}))


def _process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _machine_busy_s() -> float:
    """CPU seconds the whole machine spent busy (all cores; /proc/stat less idle and iowait)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:8]]
    return (sum(values) - values[3] - values[4]) / CLOCK_TICKS


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


async def bare_httpx_ceiling(base_url: str, sample: dict, calls: int, concurrency: int) -> tuple[float, int]:
    """Calls/s and calls made by bare httpx.AsyncClients doing the sync's request mix the way the sync runs it: one
    client per platform, each with `concurrency` connections and as many calls in flight. Per artist (50 posts): 50
    Instagram and 50 Threads insights calls, 3 TikTok queries (20, 20 and 10 ids), 1 X lookup of 50 ids."""
    artist = sample["artists"][0]
    posts = sample["posts"][:POSTS_PER_ARTIST]
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

    made = artists * sum(per_artist.values())
    started = time.perf_counter()
    await asyncio.gather(*(platform_calls(platform) for platform in PLATFORMS))
    return made / (time.perf_counter() - started), made


def run_size(posts: int, args: argparse.Namespace) -> dict:
    from sqlalchemy.orm import Session

    from azmth_pipelines.db.engine import engine
    from azmth_pipelines.metrics.targets import post_ranges
    from azmth_sandbox.config import sandbox_env

    with tempfile.TemporaryDirectory(prefix="azmth-bench-") as tmp:
        workdir = Path(tmp)
        os.environ["AZMTH_HOME"] = str(workdir / "home")
        setup_started = time.perf_counter()
        process, base_url, seed_file, _ = start_sandbox(posts, workdir)
        try:
            os.environ.update(sandbox_env(base_url))
            httpx.post(
                f"{base_url}/_admin/faults",
                json={"platform": "*", "kind": "latency", "value": str(args.latency_ms), "scope": "metrics"},
                trust_env=False,
            ).raise_for_status()
            url = args.database_url or f"sqlite:///{workdir / 'azmth.db'}"
            subprocess.run(
                [sys.executable, __file__, "--seed-database", url, "--seed-file", str(seed_file)], check=True
            )
            seed_file.unlink()
            with Session(engine(url)) as session:
                ranges = post_ranges(session, -(-posts // args.steps))
            engine(url).dispose()
            setup_s = time.perf_counter() - setup_started
            options = ["--concurrency", str(args.concurrency), "--page-size", str(args.page_size)]
            options += ["--tracemalloc"] if args.tracemalloc else []
            steps = [
                [sys.executable, __file__, "--sync-step", url, str(r.start), str(r.end or ""), *options] for r in ranges
            ]

            load_before = _load()
            cpu_before = (_process_cpu_s(process.pid), _machine_busy_s())
            started = time.perf_counter()
            results = _children(steps)
            wall_s = time.perf_counter() - started  # also the children's exit
            cpu_after = (_process_cpu_s(process.pid), _machine_busy_s())
            load_after = _load()
            sandbox_cpu, machine_cpu = (b - a for a, b in zip(cpu_before, cpu_after, strict=True))

            ceiling_command = [
                sys.executable,
                __file__,
                "--ceiling",
                base_url,
                "--sample-file",
                str(workdir / "sample.json"),
                "--ceiling-calls",
                str(args.ceiling_calls // len(ranges)),
                "--concurrency",
                str(args.concurrency),
            ]
            rounds = []  # (calls/s, client CPU ms a call, sandbox CPU ms a call) of each round
            for _ in range(args.ceiling_rounds):
                sandbox_before = _process_cpu_s(process.pid)
                children = _children([ceiling_command] * len(ranges))
                round_calls = sum(c["calls"] for c in children)
                rounds.append(
                    (
                        sum(c["calls_per_s"] for c in children),
                        1000 * sum(c["cpu_s"] for c in children) / round_calls,
                        1000 * (_process_cpu_s(process.pid) - sandbox_before) / round_calls,
                    )
                )
            ceiling = max(r[0] for r in rounds)
            # This machine's speed drifts by a quarter from one minute to the next, the sandbox's CPU per call with
            # it, so CPU per call is compared in units of the sandbox's CPU per call in the same window.
            _, bare_cpu_ms, bare_sandbox_ms = min(rounds, key=lambda r: r[1] / r[2])
        finally:
            process.terminate()
            process.wait(30)
    calls = sum(r["api_calls"] for r in results)
    elapsed = max(r["seconds"] for r in results)
    pull_s = max(r["pull_s"] for r in results)
    write_s = max(r["write_s"] for r in results)
    client_cpu = sum(r["cpu_s"] for r in results)
    rows = sum(r["rows"] for r in results)
    traced = [r["traced_peak"] for r in results if r["traced_peak"] is not None]
    return {
        "posts": posts,
        "steps": len(ranges),
        "platform_posts": sum(r["targets"] for r in results),
        "rows": rows,
        "problems": sum(r["problems"] for r in results),
        "setup_s": setup_s,
        "seconds": elapsed,
        "pull_s": pull_s,
        "write_s": write_s,
        "posts_per_s": posts / elapsed,
        "api_calls": calls,
        "calls_per_s": calls / pull_s,
        "ceiling_calls_per_s": ceiling,
        "ratio": calls / pull_s / ceiling,
        "bare_cpu_ms_per_call": bare_cpu_ms,
        "bare_sandbox_cpu_ms_per_call": bare_sandbox_ms,
        # The pull's CPU alone: the bare clients do not write rows.
        "cpu_ratio": (bare_cpu_ms / bare_sandbox_ms) / (sum(r["pull_cpu_s"] for r in results) / sandbox_cpu),
        "rows_per_s": rows / write_s if write_s else float("nan"),
        "rss_start_mib": max(r["rss_start"] for r in results) / 2**20,
        "rss_peak_mib": max(r["rss_peak"] for r in results) / 2**20,
        "rss_growth_mib": max(r["rss_peak"] - r["rss_start"] for r in results) / 2**20,
        "traced_peak_mib": max(traced) / 2**20 if traced else None,
        "client_cpu_ms_per_call": 1000 * client_cpu / calls,
        "sandbox_cpu_ms_per_call": 1000 * sandbox_cpu / calls,
        "rest_cpu_ms_per_call": 1000 * (machine_cpu - client_cpu - sandbox_cpu) / calls,
        "wall_s": wall_s,
        "machine_busy": machine_cpu / wall_s / (os.cpu_count() or 1),
        "load_before": load_before,
        "load_after": load_after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", default="2000,4000", help="N values, comma-separated.")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="Injected latency per metrics call.")
    parser.add_argument("--concurrency", type=int, default=16, help="Calls in flight per platform.")
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="Default: SQLite in a temporary directory.")
    parser.add_argument("--ceiling-calls", type=int, default=8000, help="Calls of the bare-httpx ceiling, any N.")
    parser.add_argument("--ceiling-rounds", type=int, default=3, help="Rounds of the ceiling; the best counts.")
    parser.add_argument("--tracemalloc", action="store_true", help="Also a second sync under tracemalloc.")
    parser.add_argument("--steps", type=int, default=1, help="Nightly steps (processes) at once, each a post range.")
    parser.add_argument("--json", type=Path, help="Append each N's figures as a JSON line to this file.")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sample-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seed-database", help=argparse.SUPPRESS)
    parser.add_argument("--sync-step", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--ceiling", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sync_step:
        url, start, end = args.sync_step
        sync_step(url, int(start), int(end) if end else None, args)
        return
    if args.ceiling:
        ceiling_child(args.ceiling, args.sample_file, args.ceiling_calls, args.concurrency)
        return
    if args.serve:
        serve(args.serve, int(args.posts), args.seed_file, args.sample_file)
        return
    if args.seed_database:
        seed_database(args.seed_database, args.seed_file)
        return
    sizes = [int(n) for n in args.posts.split(",")]
    print(
        f"latency {args.latency_ms:g} ms per metrics call, concurrency {args.concurrency} per platform, "
        f"4 platforms per post, {args.steps} step(s) at once, "
        f"ceiling best of {args.ceiling_rounds} x {args.ceiling_calls} calls; "
        f"{os.cpu_count()} cores, load {_load()}"
    )
    header = (
        f"{'posts':>7} {'plat.posts':>10} {'seconds':>8} {'posts/s':>8} {'calls':>7} {'calls/s':>8} "
        f"{'httpx/s':>8} {'ours%':>6} {'rows/s':>8} {'RSS MiB':>8} {'+MiB':>6} {'ms/call':>16} {'problems':>8}"
    )
    print(header, flush=True)
    for posts in sizes:
        r = run_size(posts, args)
        cpu = f"{r['client_cpu_ms_per_call']:.2f}/{r['sandbox_cpu_ms_per_call']:.2f}/{r['rest_cpu_ms_per_call']:.2f}"
        print(
            f"{r['posts']:>7} {r['platform_posts']:>10} {r['seconds']:>8.1f} {r['posts_per_s']:>8.0f} "
            f"{r['api_calls']:>7} {r['calls_per_s']:>8.0f} {r['ceiling_calls_per_s']:>8.0f} "
            f"{100 * r['ratio']:>5.0f}% {r['rows_per_s']:>8.0f} {r['rss_peak_mib']:>8.1f} "
            f"{r['rss_growth_mib']:>6.1f} {cpu:>16} {r['problems']:>8}",
            flush=True,
        )
        print(
            f"        setup {r['setup_s']:.0f} s, pull {r['pull_s']:.1f} s, write {r['write_s']:.1f} s; "
            f"RSS at start {r['rss_start_mib']:.1f} MiB; CPU ms per call client/sandbox/rest; "
            f"bare httpx {r['bare_cpu_ms_per_call']:.2f}/{r['bare_sandbox_cpu_ms_per_call']:.2f} ms per call, "
            f"ours {100 * r['cpu_ratio']:.0f} % of its CPU efficiency in sandbox units; "
            f"machine {100 * r['machine_busy']:.0f} % busy; "
            f"load {r['load_before']} -> {r['load_after']}"
            + ("" if r["traced_peak_mib"] is None else f"; traced peak {r['traced_peak_mib']:.1f} MiB"),
            flush=True,
        )
        if args.json:
            with args.json.open("a") as out:
                out.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()

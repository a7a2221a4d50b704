"""Never a double post: run processes killed mid-publish, and two runs of one window at once."""

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import PublishAttempt
from azmth_pipelines.publishing.state import SETTLED_STATES
from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, Studio

pytestmark = pytest.mark.slow

PLATFORM_SETS = (["x", "threads"], ["instagram", "threads"], ["tiktok", "x"], ["instagram", "tiktok", "x", "threads"])


def _tick_process(now: datetime) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "azmth_pipelines.cli.main", "publish", "tick", "--now", now.isoformat()],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _attempt_count() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(PublishAttempt)) or 0


def _make_posts(studio: Studio, count: int, first: int = 0) -> list[int]:
    posts = []
    for index in range(first, first + count):
        platforms = PLATFORM_SETS[index % len(PLATFORM_SETS)]
        media = [studio.media.portrait_jpeg] if {"instagram", "tiktok"} & set(platforms) else []
        posts.append(studio.post(platforms, media=media, body=f"Post number {index} of the crash test"))
    return posts


def _assert_nothing_posted_twice(studio: Studio) -> None:
    for platform in Platform:
        captions = Counter(
            item.get("text") or item.get("caption") or item["remote_id"] for item in studio.published(platform)
        )
        duplicates = {caption: n for caption, n in captions.items() if n > 1}
        assert not duplicates, f"{platform.value} posted twice: {duplicates}"


def _assert_every_platform_settled(studio: Studio, posts: list[int]) -> dict[str, int]:
    states: Counter[str] = Counter()
    for post_id in posts:
        for platform, entry in studio.per_platform(post_id).items():
            assert entry["state"] in SETTLED_STATES, (post_id, platform, entry)
            states[entry["state"]] += 1
    return dict(states)


def test_runs_killed_at_random_points_never_post_anything_twice(studio: Studio) -> None:
    # Slow every platform call down so a kill lands mid-publish: between claim, upload and publish calls.
    for platform in Platform:
        studio.sandbox.set_fault(platform.value, "latency", "60..150")
    rng = random.Random(20261128)
    now = AFTER_T0
    posts: list[int] = []
    kills = 0
    for round_ in range(3):
        # Fresh posts each round, so every killed run has work in flight besides the dead runs' leftovers.
        fresh = _make_posts(studio, 6, first=6 * round_)
        posts += fresh
        new_work = sum(len(studio.row(p).platforms) for p in fresh)
        process = _tick_process(now)
        # Kill once the run has claimed a random number more platform posts: mid-publish, wherever that lands.
        target = _attempt_count() + rng.randint(1, new_work // 2)
        while process.poll() is None and _attempt_count() < target:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        now += timedelta(minutes=11)  # past the dead run's lease: the next run reconciles its attempts
    assert kills == 3, "a run finished before it could be killed: raise the injected latency"
    studio.sandbox.clear_faults()
    for _ in range(8):  # later ticks finish retries and reconciliations; none of them may repost
        studio.tick(now)
        now += timedelta(minutes=30)
    _assert_nothing_posted_twice(studio)
    states = _assert_every_platform_settled(studio, posts)
    assert states.get("published", 0) > 0, states


def test_two_runs_of_the_same_window_at_once_post_each_platform_once(studio: Studio) -> None:
    posts = _make_posts(studio, 6)
    for platform in Platform:
        studio.sandbox.set_fault(platform.value, "latency", "10..40")
    first, second = _tick_process(AFTER_T0), _tick_process(AFTER_T0)
    assert first.wait(timeout=180) in (0, 1) and second.wait(timeout=180) in (0, 1)
    studio.sandbox.clear_faults()
    _assert_nothing_posted_twice(studio)
    states = _assert_every_platform_settled(studio, posts)
    assert states == {"published": sum(len(PLATFORM_SETS[i % len(PLATFORM_SETS)]) for i in range(6))}

"""Never a double post: run processes killed mid-publish, and two runs of one window at once."""

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import PublishAttempt
from azmth_pipelines.publishing.state import SETTLED_STATES
from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, Studio

pytestmark = pytest.mark.slow

PLATFORM_SETS = (["x", "threads"], ["instagram", "threads"], ["tiktok", "x"], ["instagram", "tiktok", "x", "threads"])
# How long the sandbox holds the publish call a run is killed in: far longer than noticing the hold and killing takes.
HOLD_S = 20


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


def _held(studio: Studio, rule: dict[str, Any]) -> bool:
    """Whether the sandbox applied the one-shot hold `rule`, i.e. is now holding the call it matched."""
    return all(armed["id"] != rule["id"] for armed in studio.sandbox.faults())


def test_runs_killed_at_random_points_never_post_anything_twice(studio: Studio) -> None:
    # Slow every platform call down, so a kill finds the run's other calls in flight at random points too.
    for platform in Platform:
        studio.sandbox.set_fault(platform.value, "latency", "60..150")
    rng = random.Random(20261128)
    now = AFTER_T0
    posts: list[int] = []
    for round_ in range(3):
        # Fresh posts each round, so every killed run has work in flight besides the dead runs' leftovers.
        posts += _make_posts(studio, 6, first=6 * round_)
        # The sandbox holds the run's next publish call of a random platform (then answers 504, nothing done), and
        # the run is killed while it waits on it: always mid-publish, whatever the machine's speed.
        platform = rng.choice(list(Platform))
        hold = studio.sandbox.set_fault(platform.value, "timeout", HOLD_S, scope="publish", times=1)
        process = _tick_process(now)
        deadline = time.monotonic() + 120  # a guard against a run that hangs, never a synchronization
        while process.poll() is None and not _held(studio, hold):
            assert time.monotonic() < deadline, f"round {round_}: no {platform.value} publish call in 120 s"
            time.sleep(0.02)
        assert process.poll() is None, f"round {round_}: the run ended without a {platform.value} publish call"
        process.send_signal(signal.SIGKILL)
        process.wait()
        now += timedelta(minutes=11)  # past the dead run's lease: the next run reconciles its attempts
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

"""Waiting on a platform's asynchronous processing without hammering it."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

# Meta asks to poll containers about once a minute for up to 5 minutes; most finish in seconds, so the
# first check comes half a second after the create call and the interval grows to the documented pace.
FIRST_POLL_S = 0.5
MAX_POLL_S = 60.0
DEFAULT_DEADLINE_S = 300.0


async def poll_until(
    check: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    deadline_s: float = DEFAULT_DEADLINE_S,
    first_s: float = FIRST_POLL_S,
    max_s: float = MAX_POLL_S,
) -> T:
    """Call `check` until `done(result)`; returns the last result when the deadline passes."""
    started = time.monotonic()
    wait = first_s
    while True:
        # Wait first: a check right after the create or init call finds it still processing, a wasted call.
        await asyncio.sleep(wait)
        result = await check()
        if done(result) or time.monotonic() - started + wait > deadline_s:
            return result
        wait = min(wait * 2, max_s)

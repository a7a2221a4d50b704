"""Waiting out rate limits inside one pull: a 429 is slowed down for, not failed on.

The wait is the platform's own hint (Retry-After; X's x-rate-limit-reset; Meta's
estimated_time_to_regain_access), else exponential backoff. A wait longer than `max_wait_s` is not
sat through: the call fails as rate limited and the pull reports it, so one throttled account cannot
stall the nightly sync for 15 minutes.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from azmth_pipelines.integrations.common.errors import RateLimited, TransientError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # the first call plus three retries
    backoff_s: float = 1.0  # doubled per retry when the platform gives no hint
    max_wait_s: float = 60.0

    def wait_for(self, error: Exception, retry_number: int) -> float | None:
        """Seconds to wait before retry `retry_number` (1-based), or None to give up now."""
        if retry_number >= self.attempts:
            return None
        if isinstance(error, RateLimited):
            hint = error.retry_after_s
            wait = hint if hint is not None else self.backoff_s * 2 ** (retry_number - 1)
        elif isinstance(error, TransientError):
            wait = self.backoff_s * 2 ** (retry_number - 1)
        else:
            return None
        return wait if wait <= self.max_wait_s else None


class CallCounter:
    """API calls made (every attempt counts), for run metadata and the benchmark."""

    def __init__(self) -> None:
        self.calls = 0
        self.retries = 0


async def with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    counter: CallCounter,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    retry_number = 0
    while True:
        counter.calls += 1
        try:
            return await call()
        except (RateLimited, TransientError) as error:
            retry_number += 1
            wait = policy.wait_for(error, retry_number)
            if wait is None:
                raise
            counter.retries += 1
            await sleep(wait)

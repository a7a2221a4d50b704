"""Reads done once per account per run and shared by that account's posts in flight: TikTok's creator info
(20 requests a minute per token) and Meta's publishing quota (read once, then counted down locally)."""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from azmth_pipelines.platforms.errors import RateLimited
from azmth_pipelines.platforms.meta import PublishingLimit
from azmth_pipelines.publishing.job import PublishJob

T = TypeVar("T")


class PerAccount(Generic[T]):
    """One read per connection (artist and platform account): two artists who connected the same account hold
    different tokens, and one token's refusal must not send the other artist to reconnect."""

    def __init__(self, read: Callable[[PublishJob], Awaitable[T]]) -> None:
        self._read = read
        self._reads: dict[tuple[int, str], asyncio.Task[T]] = {}

    async def get(self, job: PublishJob) -> T:
        key = (job.artist_id, job.account_id)
        task = self._reads.get(key)
        if task is None or (task.done() and task.exception() is not None):  # a failed read is tried again
            task = asyncio.ensure_future(self._read(job))
            self._reads[key] = task
        return await asyncio.shield(task)


class PublishingQuota:
    """A platform's rolling 24-hour publishing cap, read live once per account (the docs disagree on it)."""

    def __init__(self, read: Callable[[PublishJob], Awaitable[PublishingLimit]], *, platform: str, code: str) -> None:
        self._limits = PerAccount(read)
        self._taken: Counter[str] = Counter()
        self._platform = platform
        self._code = code

    async def take(self, job: PublishJob) -> None:
        """Count one publication against the cap, or raise RateLimited (retried on a later tick)."""
        limit = await self._limits.get(job)
        if limit.quota_total is None:
            return
        used = limit.quota_usage + self._taken[job.account_id]
        if used >= limit.quota_total:
            label = self._platform.capitalize()
            raise RateLimited(
                f"{label} publishing limit reached: {used} of {limit.quota_total} posts in 24 hours",
                platform=self._platform,
                code=self._code,
                user_message=f"{label} allows a limited number of API posts per day; this one goes out later.",
            )
        self._taken[job.account_id] += 1

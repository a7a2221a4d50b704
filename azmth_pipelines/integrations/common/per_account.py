"""Reads done once per account per run and shared by that account's posts in flight (e.g. TikTok's creator
info, 20 requests a minute per token; Meta's publishing quota, integrations/meta/publisher.py)."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

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

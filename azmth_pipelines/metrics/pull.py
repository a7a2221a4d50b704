"""Reading one page of targets from the platforms, batched the way each API allows.

Each platform's reader (integrations/<platform>/metrics.py, found through the registry) says how many
targets one call reads: some APIs read many ids a call, some one media at a time. All calls of a page run concurrently,
at most `concurrency` at a time per platform, each with the rate-limit retries of `retry.py`. A failure
costs only the posts of that call: it becomes a `Problem` and the pull goes on.

The bound is per platform because the platforms are separate hosts with separate rate limits and each
client has its own connection pool (`integrations/common/http.py`, 16 connections). One bound over all four kept the
four pools together at 16 calls in flight: bench/metrics_sync.py at 20 ms latency made 636 calls/s of the
800 that allows with the client process ~60 % busy; bounded per platform, ~720 calls/s with it saturated.
"""

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from azmth_pipelines.integrations.common.errors import AuthError, PlatformError, RateLimited
from azmth_pipelines.integrations.common.metrics import Call, PostCounts
from azmth_pipelines.integrations.registry import integration
from azmth_pipelines.metrics.clients import MetricsClients
from azmth_pipelines.metrics.credentials import Credential, CredentialBook
from azmth_pipelines.metrics.retry import CallCounter, RetryPolicy, with_retries
from azmth_pipelines.metrics.targets import Target
from azmth_pipelines.vocabulary import Platform

T = TypeVar("T")


@dataclass(frozen=True)
class Snapshot:
    target: Target
    captured_at: datetime
    counts: PostCounts


@dataclass(frozen=True)
class Problem:
    post_id: int
    platform: Platform
    remote_id: str | None
    kind: str  # no_connection | reconnect | rate_limited | not_found | tier | error
    message: str

    def line(self) -> str:
        return f"post {self.post_id} {self.platform.value} ({self.kind}): {self.message}"


@dataclass
class PagePull:
    snapshots: list[Snapshot] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # connection id -> API access tier detected during the pull (X's, social_connection.x_access_tier)
    x_tiers: dict[int, str] = field(default_factory=dict)


def _now() -> datetime:
    return datetime.now(UTC)


def problem_kind(error: Exception) -> str:
    """A failed call as a report counts it."""
    if isinstance(error, RateLimited):
        return "rate_limited"
    if isinstance(error, AuthError):
        return "reconnect"
    return "error"


class MetricsPuller:
    def __init__(
        self,
        clients: MetricsClients,
        *,
        concurrency: int = 16,
        retry: RetryPolicy | None = None,
        counter: CallCounter | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.clients = clients
        self.retry = retry or RetryPolicy()
        self.counter = counter or CallCounter()
        self.clock = clock
        self._gates = {platform: asyncio.Semaphore(concurrency) for platform in Platform}

    async def pull(self, targets: Sequence[Target], credentials: CredentialBook) -> PagePull:
        result = PagePull()
        page_credentials = credentials.load({(t.artist_id, t.platform) for t in targets})
        groups: dict[tuple[Platform, int], list[Target]] = defaultdict(list)
        usable: dict[tuple[Platform, int], Credential] = {}
        for target in targets:
            credential = page_credentials[(target.artist_id, target.platform)]
            if credential is None:
                result.problems.append(_problem(target, "no_connection", "the artist has no connection"))
            elif credential.unusable:
                result.problems.append(_problem(target, "reconnect", credential.unusable))
            else:
                groups[(target.platform, credential.connection_id)].append(target)
                usable[(target.platform, credential.connection_id)] = credential
        jobs: list[Awaitable[None]] = []
        for key, group in groups.items():
            jobs.extend(self._jobs(usable[key], group, result))
        await asyncio.gather(*jobs)
        return result

    def _jobs(self, credential: Credential, targets: list[Target], result: PagePull) -> list[Awaitable[None]]:
        readers = integration(credential.platform).metrics
        client = self.clients[credential.platform]
        reading = _Reading(self, credential.platform, result)
        size = readers.batch
        return [
            readers.read_posts(reading, client, credential, targets[i : i + size]) for i in range(0, len(targets), size)
        ]

    async def _call(self, platform: Platform, call: Callable[[], Awaitable[T]]) -> T:
        async with self._gates[platform]:
            return await with_retries(call, self.retry, self.counter)


class _Reading:
    """What a platform's post reader reports to (integrations/common/metrics.py PostReading)."""

    def __init__(self, puller: MetricsPuller, platform: Platform, result: PagePull) -> None:
        self._puller = puller
        self._platform = platform
        self._result = result
        self.clock = puller.clock

    async def _bounded(self, call: Callable[[], Awaitable[T]]) -> T:
        return await self._puller._call(self._platform, call)

    @property
    def call(self) -> Call:
        return self._bounded

    def snapshot(self, target: Target, counts: PostCounts, captured_at: datetime) -> None:
        self._result.snapshots.append(Snapshot(target, captured_at, counts))

    def problem(self, target: Target, kind: str, message: str) -> None:
        self._result.problems.append(_problem(target, kind, message))

    def failed(self, targets: Sequence[Target], error: Exception) -> None:
        message = str(error) if isinstance(error, PlatformError) else f"{type(error).__name__}: {error}"
        self._result.problems.extend(_problem(t, problem_kind(error), message) for t in targets)

    def access_tier(self, credential: Credential, tier: str) -> None:
        self._result.x_tiers[credential.connection_id] = tier


def _problem(target: Target, kind: str, message: str) -> Problem:
    return Problem(target.post_id, target.platform, target.remote_id, kind, message)

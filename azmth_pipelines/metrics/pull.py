"""Reading one page of targets from the platforms, batched the way each API allows.

TikTok video/query takes 20 ids and X tweet lookup 100 per call; Instagram and Threads read insights one
media at a time (neither documents a multi-media insights read). All calls of a page run concurrently,
at most `concurrency` at a time per platform, each with the rate-limit retries of `retry.py`. A failure
costs only the posts of that call: it becomes a `Problem` and the pull goes on.

The bound is per platform because the platforms are separate hosts with separate rate limits and each
client has its own connection pool (`platforms/http.py`, 16 connections). One bound over all four kept the
four pools together at 16 calls in flight: bench/metrics_sync.py at 20 ms latency made 636 calls/s of the
800 that allows with the client process ~60 % busy; bounded per platform, ~720 calls/s with it saturated.
"""

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from azmth_pipelines.metrics.clients import MetricsClients
from azmth_pipelines.metrics.credentials import Credential, CredentialBook
from azmth_pipelines.metrics.mapping import PostCounts, from_instagram, from_threads, from_tiktok, from_x
from azmth_pipelines.metrics.retry import CallCounter, RetryPolicy, with_retries
from azmth_pipelines.metrics.targets import Target
from azmth_pipelines.platforms.errors import AuthError, PermanentError, PlatformError, RateLimited
from azmth_pipelines.platforms.instagram.models import MediaProductType
from azmth_pipelines.platforms.tiktok.client import MAX_IDS_PER_QUERY
from azmth_pipelines.platforms.x.client import MAX_IDS_PER_READ
from azmth_pipelines.vocabulary import Platform

T = TypeVar("T")

# What social_connection.x_access_tier records: X's answers tell "reads refused" from "reads work", not
# which paid plan allows them.
X_TIER_FREE = "free"  # 403 client-forbidden: the access level is write-only
X_TIER_CAPPED = "usage_capped"  # the monthly read cap is spent
X_TIER_READS = "read_access"  # Basic, Pro, Enterprise or pay-per-use
# Graph API code 100: a metric asked that the media's product type does not have.
_GRAPH_INVALID_PARAMETER = 100


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
    # connection id -> X tier detected during the pull
    x_tiers: dict[int, str] = field(default_factory=dict)


def _now() -> datetime:
    return datetime.now(UTC)


def _kind(error: Exception) -> str:
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
        credentials.load({(t.artist_id, t.platform) for t in targets})
        groups: dict[tuple[Platform, int], list[Target]] = defaultdict(list)
        usable: dict[tuple[Platform, int], Credential] = {}
        for target in targets:
            credential = credentials.get(target.artist_id, target.platform)
            if credential is None:
                result.problems.append(self._problem(target, "no_connection", "the artist has no connection"))
            elif credential.unusable:
                result.problems.append(self._problem(target, "reconnect", credential.unusable))
            else:
                groups[(target.platform, credential.connection_id)].append(target)
                usable[(target.platform, credential.connection_id)] = credential
        jobs: list[Awaitable[None]] = []
        for key, group in groups.items():
            jobs.extend(self._jobs(usable[key], group, result))
        await asyncio.gather(*jobs)
        return result

    def _jobs(self, credential: Credential, targets: list[Target], result: PagePull) -> list[Awaitable[None]]:
        match credential.platform:
            case Platform.TIKTOK:
                return [
                    self._tiktok(credential, targets[i : i + MAX_IDS_PER_QUERY], result)
                    for i in range(0, len(targets), MAX_IDS_PER_QUERY)
                ]
            case Platform.X:
                return [
                    self._x(credential, targets[i : i + MAX_IDS_PER_READ], result)
                    for i in range(0, len(targets), MAX_IDS_PER_READ)
                ]
            case Platform.INSTAGRAM:
                return [self._instagram(credential, target, result) for target in targets]
            case Platform.THREADS:
                return [self._threads(credential, target, result) for target in targets]
        raise AssertionError(f"unknown platform {credential.platform}")

    async def _call(self, platform: Platform, call: Callable[[], Awaitable[T]]) -> T:
        async with self._gates[platform]:
            return await with_retries(call, self.retry, self.counter)

    def _problem(self, target: Target, kind: str, message: str) -> Problem:
        return Problem(target.post_id, target.platform, target.remote_id, kind, message)

    def _failed(self, targets: Sequence[Target], error: Exception, result: PagePull) -> None:
        message = str(error) if isinstance(error, PlatformError) else f"{type(error).__name__}: {error}"
        result.problems.extend(self._problem(t, _kind(error), message) for t in targets)

    async def _tiktok(self, credential: Credential, targets: list[Target], result: PagePull) -> None:
        token = credential.token or ""
        ids = [t.remote_id for t in targets]
        try:
            videos = await self._call(Platform.TIKTOK, lambda: self.clients.tiktok.query_videos(token, ids))
        except PlatformError as error:
            self._failed(targets, error, result)
            return
        captured_at = self.clock()
        by_id = {video.id: video for video in videos}
        for target in targets:
            video = by_id.get(target.remote_id)
            if video is None:
                # video/query silently leaves out ids that are not the caller's or no longer exist.
                result.problems.append(self._problem(target, "not_found", "TikTok did not return the video"))
                continue
            result.snapshots.append(Snapshot(target, captured_at, from_tiktok(video)))

    async def _x(self, credential: Credential, targets: list[Target], result: PagePull) -> None:
        token = credential.token or ""
        ids = [t.remote_id for t in targets]
        try:
            read = await self._call(Platform.X, lambda: self.clients.x.tweets(token, ids))
        except PlatformError as error:
            self._failed(targets, error, result)
            return
        if read.unavailable is not None:
            tier = X_TIER_CAPPED if read.unavailable.kind == "usage-capped" else X_TIER_FREE
            result.x_tiers[credential.connection_id] = tier
            message = f"X access level does not include reading posts ({read.unavailable.kind})"
            result.problems.extend(self._problem(t, "tier", message) for t in targets)
            return
        if credential.x_access_tier != X_TIER_READS:
            result.x_tiers[credential.connection_id] = X_TIER_READS
        captured_at = self.clock()
        by_id = {tweet.id: tweet for tweet in read.tweets}
        errors = {error.resource_id: error for error in read.errors if error.resource_id}
        for target in targets:
            tweet = by_id.get(target.remote_id)
            if tweet is not None:
                result.snapshots.append(Snapshot(target, captured_at, from_x(tweet)))
                continue
            error = errors.get(target.remote_id)
            kind = "not_found" if error is None or error.kind == "resource-not-found" else "error"
            detail = error.detail if error is not None else "X did not return the post"
            result.problems.append(self._problem(target, kind, detail))

    async def _instagram(self, credential: Credential, target: Target, result: PagePull) -> None:
        token = credential.token or ""
        client = self.clients.instagram
        # Feed and reels share the asked metrics; stories differ (instagram-media/insights). Knowing the
        # placement saves the media lookup the client would otherwise make per post.
        product = MediaProductType.STORY if target.placement == "stories" else MediaProductType.FEED
        try:
            try:
                insights = await self._call(
                    Platform.INSTAGRAM,
                    lambda: client.media_insights(token, target.remote_id, media_product_type=product),
                )
            except PermanentError as error:
                if error.code != _GRAPH_INVALID_PARAMETER:
                    raise
                insights = await self._call(Platform.INSTAGRAM, lambda: client.media_insights(token, target.remote_id))
        except PlatformError as error:
            self._failed([target], error, result)
            return
        result.snapshots.append(Snapshot(target, self.clock(), from_instagram(insights)))

    async def _threads(self, credential: Credential, target: Target, result: PagePull) -> None:
        token = credential.token or ""
        try:
            insights = await self._call(
                Platform.THREADS, lambda: self.clients.threads.media_insights(token, target.remote_id)
            )
        except PlatformError as error:
            self._failed([target], error, result)
            return
        result.snapshots.append(Snapshot(target, self.clock(), from_threads(insights)))

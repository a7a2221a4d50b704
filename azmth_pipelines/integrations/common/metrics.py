"""The shape of a platform's metrics readers, so the pulls in metrics/ call every platform the same way.

A post reader gets a batch of targets (the API's multi-id read size, or 1 where insights are read one media at
a time) and reports each target's counts or problem through `PostReading`, each platform's numbers mapped to
`PostCounts` in its own metrics.py (docs/metrics.md). An account reader returns the snapshot's columns
(followers, following, post_count, total_likes, raw). An account post lister yields every post the account has on
the platform, a page at a time, each with its counts (account_post_metrics), taking those already read tonight
where it would otherwise read a post's insights with a call of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from azmth_pipelines.errors import PlatformFailure
from azmth_pipelines.integrations.common.errors import PlatformError
from azmth_pipelines.vocabulary import AccountPostKind

if TYPE_CHECKING:
    # Types only: metrics/ imports the registry, so importing it here at run time would be a cycle.
    from azmth_pipelines.metrics.credentials import Credential
    from azmth_pipelines.metrics.targets import Target

T = TypeVar("T")

COUNT_NAMES = ("views", "likes", "comments", "shares", "saves")


@dataclass(frozen=True)
class PostCounts:
    """A post's views, likes, comments, shares and saves as one platform reported them.

    A count is None (NULL in the database) where the platform offers no such number, or did not report it this
    time; never 0 for "unknown". `raw` keeps every number the platform gave, so nothing is lost when several of
    its fields fold into one of ours (reposts + quotes -> shares).
    """

    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_columns(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in COUNT_NAMES}


def reported_sum(*values: int | None) -> int | None:
    """The sum of the reported parts; None only when no part was reported."""
    present = [v for v in values if v is not None]
    return sum(present) if present else None


class Call(Protocol):
    """One platform call, bounded and retried on rate limits (metrics/retry.py)."""

    async def __call__(self, call: Callable[[], Awaitable[T]]) -> T: ...


class PostReading(Protocol):
    """Where a post reader's answers go."""

    @property
    def call(self) -> Call: ...

    def clock(self) -> datetime: ...

    def snapshot(self, target: Target, counts: PostCounts, captured_at: datetime) -> None: ...

    def problem(self, target: Target, kind: str, message: str) -> None: ...

    def failed(self, targets: Sequence[Target], error: Exception) -> None: ...

    def access_tier(self, credential: Credential, tier: str) -> None: ...


async def settled(reading: PostReading, targets: Sequence[Target], answer: Awaitable[T]) -> T | None:
    """The call's answer; None once its failure is recorded against `targets` (a failure costs only its posts)."""
    try:
        return await answer
    except PlatformError as error:
        reading.failed(targets, error)
        return None


def each_media(
    read_one: Callable[[PostReading, Any, str, Target], Awaitable[None]],
) -> Callable[[PostReading, Any, Credential, Sequence[Target]], Awaitable[None]]:
    """A post reader for an API that reads insights one media at a time (batch 1)."""

    async def read_posts(reading: PostReading, client: Any, credential: Credential, targets: Sequence[Target]) -> None:
        for target in targets:
            await read_one(reading, client, credential.token or "", target)

    return read_posts


@dataclass(frozen=True)
class AccountPost:
    """One post of the account as the platform lists it, with its counts (all None when they could not be read:
    `problem` says why)."""

    remote_id: str
    posted_at: datetime | None
    permalink: str | None
    kind: AccountPostKind | None
    native_type: str | None  # the platform's own type, e.g. REELS, CAROUSEL_ALBUM
    counts: PostCounts = field(default_factory=PostCounts)
    problem: str | None = None


# Pages of the account's posts, newest first; a page is all a lister holds.
AccountPostPages = AsyncIterator[list[AccountPost]]

# The counts already read tonight for one of the account's posts (platform's id), or None: a lister that reads each
# post's insights with a call of its own uses them instead of reading the same numbers twice in a night.
KnownCounts = Callable[[str], PostCounts | None]


class AccountPostsRefused(PlatformFailure):
    """The account's access level does not include listing its posts (X's free tier): the account has no rows that
    day, and that is not a failure of the night."""

    def __init__(self, message: str, *, tier: str) -> None:
        super().__init__(message)
        self.tier = tier


@dataclass(frozen=True)
class MetricsReaders:
    batch: int  # targets per post read
    read_posts: Callable[[PostReading, Any, Credential, Sequence[Target]], Awaitable[None]]
    read_account: Callable[[Call, Any, Credential], Awaitable[dict[str, Any]]]
    list_posts: Callable[[Call, Any, Credential, KnownCounts], AccountPostPages]

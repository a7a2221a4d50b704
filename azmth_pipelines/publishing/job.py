"""One platform's publish job: everything a publisher needs, read from the database in one go."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from azmth_pipelines.publishing.outcomes import Outcome
from azmth_pipelines.vocabulary import AttemptStage, MediaKind, Platform


@dataclass(frozen=True)
class JobMedia:
    kind: MediaKind
    path: Path  # the stored original; publishers derive per-platform copies (crop, silent audio) from it
    crop: dict[str, Any] | None = None
    container: str | None = None  # as probed when the file was stored (gif, mp4, jpeg...); None if never probed


@dataclass(frozen=True)
class PublishJob:
    post_id: int
    artist_id: int
    platform: Platform
    caption: str
    options: dict[str, Any]
    media: list[JobMedia]
    account_id: str
    access_token: str = field(repr=False)
    granted_scopes: frozenset[str] = frozenset()
    x_access_tier: str | None = None
    attempt_number: int = 1
    manual: bool = False


class Checkpoint(Protocol):
    """Commits the attempt's stage and the platform's ids before the publisher makes its next call."""

    async def __call__(self, stage: AttemptStage, remote_ids: dict[str, Any]) -> None: ...


class Publisher(Protocol):
    platform: Platform

    async def publish(self, job: PublishJob, checkpoint: Checkpoint) -> Outcome:
        """Publish from scratch; `await checkpoint(AttemptStage.PUBLISH_REQUESTED, ids)` right before going public."""
        ...

    async def reconcile(self, job: PublishJob, stage: AttemptStage, remote_ids: dict[str, Any]) -> Outcome:
        """Settle an attempt a dead run left at `stage`: Published, NotPublished or Unconfirmed."""
        ...

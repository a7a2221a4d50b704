"""The container flow Instagram and Threads share: create a container -> poll its status until FINISHED ->
publish it, counted against the account's publishing quota; and the check after a crash, which reads the
container's status (FINISHED: publish it now; PUBLISHED: live, find its media id; anything else: never published).

A container whose status reads PUBLISHED after the publish call's answer was lost: the status is the platform's
own word that the post is live; what the lost answer held was only the new media's id, looked for among the
account's latest posts by its caption.
"""

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol, TypeVar

from azmth_pipelines.integrations.common.errors import PlatformError, RateLimited
from azmth_pipelines.integrations.common.per_account import PerAccount
from azmth_pipelines.integrations.common.polling import poll_until
from azmth_pipelines.integrations.common.remote_time import remote_time
from azmth_pipelines.integrations.meta.client import MetaGraphClient
from azmth_pipelines.integrations.meta.models import ContainerState, ContainerStatus, PublishingLimit
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.publishing.job import Checkpoint, PublishJob
from azmth_pipelines.publishing.ledger import Stage
from azmth_pipelines.publishing.outcomes import Failed, NotPublished, Outcome, Published
from azmth_pipelines.vocabulary import Platform

# Meta's clock and ours may disagree a little: a post this much older than the request is still looked at.
CLOCK_SKEW = timedelta(minutes=5)


class ListedPost(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def timestamp(self) -> str | None: ...

    @property
    def permalink(self) -> str | None: ...


P = TypeVar("P", bound=ListedPost)


def published_since(
    posts: Sequence[P], caption: str, requested_at: object, text_of: Callable[[P], str | None]
) -> P | None:
    """The one listed post with this caption made since the request; None when none or several match, or the
    caption is empty (nothing to tell posts apart by)."""
    wanted = caption.strip()
    if not wanted:
        return None
    since = remote_time(requested_at)
    matches = [
        post
        for post in posts
        if (text_of(post) or "").strip() == wanted
        and (since is None or (created := remote_time(post.timestamp)) is None or created >= since - CLOCK_SKEW)
    ]
    return matches[0] if len(matches) == 1 else None


async def publish_finished(publish: Callable[[], Awaitable[Outcome]]) -> Outcome:
    """Publish a container a check found processed but never published (the publish call was not carried out, so
    publishing now is safe). A clear refusal ends the attempt failed, since nothing went live; any other error leaves
    the publication in doubt for the next check."""
    try:
        return await publish()
    except PlatformError as error:
        if error.retryable or error.may_have_succeeded:
            raise
        return Failed.from_platform_error(error)


def published_without_its_reply(platform: Platform, container_id: str) -> Published:
    """Live, says the container, but its media id is not to be found: recorded published (never failed, never
    posted again) with the container id standing in; metrics cannot be read for it, the artist sees it is live."""
    return Published(
        remote_id=container_id,
        detail={
            "container_id": container_id,
            "media_id_unknown": True,
            "note": f"{platform.label} published container {container_id}; its post was not found among the latest",
        },
    )


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


class ContainerPublisher:
    """A Meta publisher: what differs per platform is how its container is made, how a post is published and
    read back, and how a failed container's status reads."""

    platform: Platform
    quota_code: ClassVar[str]  # the quota edge, named in the RateLimited error

    def __init__(self, client: MetaGraphClient, store: MediaStore) -> None:
        self._meta = client
        self._store = store
        self._quota = PublishingQuota(
            lambda job: client.publishing_limit(job.access_token, job.account_id),
            platform=self.platform.value,
            code=self.quota_code,
        )

    async def _publish(self, job: PublishJob, container_id: str) -> Outcome:
        """The publish edge, and what its answer says of the post."""
        raise NotImplementedError

    def _container_failed(self, container_id: str, status: ContainerStatus) -> PlatformError:
        """The error for a container that ended ERROR or EXPIRED (a wait that ran out reads EXPIRED)."""
        raise NotImplementedError

    async def _published_post(self, job: PublishJob, requested_at: object) -> ListedPost | None:
        """The live post whose publish answer was lost, found among the account's latest; None if not found."""
        raise NotImplementedError

    async def _go_live(self, job: PublishJob, checkpoint: Checkpoint, container_id: str) -> Outcome:
        """From a created container: record it, wait until it is processed, record the publish request, publish."""
        await checkpoint(Stage.PREPARED, {"container_id": container_id})
        status = await poll_until(
            lambda: self._meta.container_status(job.access_token, container_id),
            lambda s: s.state != ContainerState.IN_PROGRESS,
        )
        if status.state != ContainerState.FINISHED:
            if status.state == ContainerState.IN_PROGRESS:
                status = ContainerStatus(status.id, ContainerState.EXPIRED, status.detail)
            raise self._container_failed(container_id, status)
        requested_at = datetime.now(UTC).isoformat()  # the wall clock, compared with the platform's timestamps
        await checkpoint(Stage.PUBLISH_REQUESTED, {"container_id": container_id, "requested_at": requested_at})
        return await self._publish(job, container_id)

    async def reconcile(self, job: PublishJob, stage: str, remote_ids: dict[str, Any]) -> Outcome:
        container_id = remote_ids.get("container_id")
        if not container_id:
            return NotPublished("no container was created before the publish request")
        status = await self._meta.container_status(job.access_token, container_id)
        if status.state == ContainerState.FINISHED:
            return await publish_finished(lambda: self._publish(job, container_id))
        if status.state == ContainerState.PUBLISHED:
            # The publish edge went through but its answer was lost: the post is live; find its media id.
            found = await self._published_post(job, remote_ids.get("requested_at"))
            if found is not None:
                return Published(remote_id=found.id, permalink=found.permalink, detail={"container_id": container_id})
            return published_without_its_reply(self.platform, container_id)
        return NotPublished(f"container {container_id} is {status.state}: it was never published")

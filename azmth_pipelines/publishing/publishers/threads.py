"""Threads: container (TEXT, IMAGE, VIDEO or CAROUSEL) -> processing -> threads_publish."""

from datetime import UTC, datetime
from typing import Any

from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.platforms.threads.client import ThreadsClient
from azmth_pipelines.platforms.threads.errors import container_error
from azmth_pipelines.publishing.job import Checkpoint, PublishJob
from azmth_pipelines.publishing.ledger import Stage
from azmth_pipelines.publishing.media_prep import PreparedMedia, prepare_media
from azmth_pipelines.publishing.outcomes import NotPublished, Outcome, Published
from azmth_pipelines.publishing.publishers.per_account import PublishingQuota
from azmth_pipelines.publishing.publishers.polling import (
    EXPIRED,
    FINISHED,
    IN_PROGRESS,
    PUBLISHED,
    poll_until,
)
from azmth_pipelines.publishing.publishers.published_container import (
    publish_finished,
    published_since,
    published_without_its_reply,
)
from azmth_pipelines.vocabulary import MediaKind, Platform


class ThreadsPublisher:
    platform = Platform.THREADS

    def __init__(self, client: ThreadsClient, store: MediaStore) -> None:
        self._client = client
        self._store = store
        self._quota = PublishingQuota(
            lambda job: client.publishing_limit(job.access_token, job.account_id),
            platform=Platform.THREADS.value,
            code="threads_publishing_limit",
        )

    async def publish(self, job: PublishJob, checkpoint: Checkpoint) -> Outcome:
        prepared = [await prepare_media(item, Platform.THREADS, self._store) for item in job.media]
        await self._quota.take(job)
        container_id = await self._create_container(job, prepared)
        await checkpoint(Stage.PREPARED, {"container_id": container_id})
        status = await poll_until(
            lambda: self._client.container_status(job.access_token, container_id),
            lambda s: s.status != IN_PROGRESS,
        )
        if status.status != FINISHED:
            final = EXPIRED if status.status == IN_PROGRESS else status.status
            error = container_error(container_id, final, status.error_message)
            error.user_message = _readable(status.error_message)
            raise error
        requested_at = datetime.now(UTC).isoformat()  # the wall clock, compared with Threads' timestamps
        await checkpoint(Stage.PUBLISH_REQUESTED, {"container_id": container_id, "requested_at": requested_at})
        return await self._publish(job, container_id)

    async def reconcile(self, job: PublishJob, stage: str, remote_ids: dict[str, Any]) -> Outcome:
        container_id = remote_ids.get("container_id")
        if not container_id:
            return NotPublished("no container was created before the publish request")
        status = await self._client.container_status(job.access_token, container_id)
        if status.status == FINISHED:
            return await publish_finished(lambda: self._publish(job, container_id))
        if status.status == PUBLISHED:
            # threads_publish went through but its answer was lost: the post is live; find its media id (posts doc:
            # GET /{threads-user-id}/threads lists the account's posts with their text and timestamp).
            posts = await self._client.recent_threads(job.access_token, job.account_id)
            found = published_since(posts, job.caption, remote_ids.get("requested_at"), lambda post: post.text)
            if found is not None:
                return Published(remote_id=found.id, permalink=found.permalink, detail={"container_id": container_id})
            return published_without_its_reply(Platform.THREADS, container_id)
        return NotPublished(f"container {container_id} is {status.status}: it was never published")

    async def _create_container(self, job: PublishJob, prepared: list[PreparedMedia]) -> str:
        token, account = job.access_token, job.account_id
        if not prepared:
            return await self._client.create_text_container(token, account, text=job.caption)
        if len(prepared) == 1:
            return await self._create_item(token, account, prepared[0], text=job.caption)
        children = [await self._create_item(token, account, item, carousel=True) for item in prepared]
        return await self._client.create_carousel_container(token, account, children=children, text=job.caption)

    async def _create_item(
        self,
        token: str,
        account: str,
        item: PreparedMedia,
        *,
        text: str | None = None,
        carousel: bool = False,
    ) -> str:
        if item.kind is MediaKind.VIDEO:
            return await self._client.create_video_container(
                token, account, video_url=item.url, text=text, is_carousel_item=carousel
            )
        return await self._client.create_image_container(
            token, account, image_url=item.url, text=text, is_carousel_item=carousel
        )

    async def _publish(self, job: PublishJob, container_id: str) -> Outcome:
        media_id = await self._client.publish(job.access_token, container_id, job.account_id)
        return Published(remote_id=media_id, detail={"container_id": container_id})


# The posts doc's error_message values, in words an artist can act on.
_READABLE = {
    "FAILED_DOWNLOADING_VIDEO": "Threads could not download the video; try again",
    "FAILED_PROCESSING_AUDIO": "Threads could not process the audio track; re-export with AAC audio",
    "FAILED_PROCESSING_VIDEO": "Threads could not process the video; re-export as H.264 MP4",
    "INVALID_ASPEC_RATIO": "the aspect ratio is outside what Threads accepts (at most 10:1)",
    "INVALID_BIT_RATE": "the video bit rate is too high (at most 25 Mbps)",
    "INVALID_DURATION": "the video is too long for Threads (at most 5 minutes)",
    "INVALID_FRAME_RATE": "the frame rate must be 23-60 fps",
    "INVALID_AUDIO_CHANNELS": "the audio must be mono or stereo",
    "INVALID_AUDIO_CHANNEL_LAYOUT": "the audio channel layout is not supported",
}


def _readable(error_message: str | None) -> str | None:
    return _READABLE.get(error_message or "", error_message)

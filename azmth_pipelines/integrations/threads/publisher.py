"""Threads: container (TEXT, IMAGE, VIDEO or CAROUSEL) -> processing -> threads_publish."""

from azmth_pipelines.integrations.common.errors import PlatformError
from azmth_pipelines.integrations.meta.models import ContainerStatus
from azmth_pipelines.integrations.meta.publisher import ContainerPublisher, published_since
from azmth_pipelines.integrations.threads.client import ThreadsClient
from azmth_pipelines.integrations.threads.errors import container_error
from azmth_pipelines.integrations.threads.models import ThreadsPost
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.publishing.job import Checkpoint, PublishJob
from azmth_pipelines.publishing.media_prep import PreparedMedia, prepare_media
from azmth_pipelines.publishing.outcomes import Outcome, Published
from azmth_pipelines.vocabulary import MediaKind, Platform


class ThreadsPublisher(ContainerPublisher):
    platform = Platform.THREADS
    quota_code = "threads_publishing_limit"

    def __init__(self, client: ThreadsClient, store: MediaStore) -> None:
        super().__init__(client, store)
        self._client = client

    async def publish(self, job: PublishJob, checkpoint: Checkpoint) -> Outcome:
        prepared = [await prepare_media(item, Platform.THREADS, self._store) for item in job.media]
        await self._quota.take(job)
        container_id = await self._create_container(job, prepared)
        return await self._go_live(job, checkpoint, container_id)

    async def _published_post(self, job: PublishJob, requested_at: object) -> ThreadsPost | None:
        # posts doc: GET /{threads-user-id}/threads lists the account's posts with their text and timestamp.
        posts = await self._client.recent_threads(job.access_token, job.account_id)
        return published_since(posts, job.caption, requested_at, lambda post: post.text)

    def _container_failed(self, container_id: str, status: ContainerStatus) -> PlatformError:
        error = container_error(container_id, status.state, status.detail)
        error.user_message = _readable(status.detail)
        return error

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

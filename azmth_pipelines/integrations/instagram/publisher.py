"""Instagram (Graph API with Facebook Login): container -> processing -> media_publish.

Path A (default) publishes through the API, muxing a silent audio track into a Reel that has none;
Path B hands the artist a downloadable copy and a deep link instead (`handed_off`).
"""

from contextlib import suppress

from azmth_pipelines.integrations.common.errors import PermanentError, PlatformError
from azmth_pipelines.integrations.instagram.client import InstagramClient
from azmth_pipelines.integrations.instagram.errors import container_error
from azmth_pipelines.integrations.instagram.handoff import handoff_for
from azmth_pipelines.integrations.instagram.models import MediaInfo
from azmth_pipelines.integrations.instagram.options import checked_as, handed_off, placement_of
from azmth_pipelines.integrations.meta.models import ContainerStatus
from azmth_pipelines.integrations.meta.publisher import ContainerPublisher, published_since
from azmth_pipelines.media.checks import missing_media
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.publishing.job import Checkpoint, PublishJob
from azmth_pipelines.publishing.media_prep import PreparedMedia, prepare_media
from azmth_pipelines.publishing.outcomes import HandedOff, Outcome, Published
from azmth_pipelines.vocabulary import MediaKind, Platform


class InstagramPublisher(ContainerPublisher):
    platform = Platform.INSTAGRAM
    quota_code = "content_publishing_limit"

    def __init__(self, client: InstagramClient, store: MediaStore) -> None:
        super().__init__(client, store)
        self._client = client

    async def publish(self, job: PublishJob, checkpoint: Checkpoint) -> Outcome:
        if not job.media:
            raise _no_media()
        placement = placement_of(job.options, job.media[0].kind)
        if handed_off(job.options):
            handoff = await handoff_for(job.media[0], self._store, placement=placement, caption=job.caption)
            return HandedOff(
                download_url=handoff.download_url,
                deep_link=handoff.deep_link,
                detail={"instructions": handoff.instructions, "fallback_url": handoff.fallback_url},
            )
        prepared = [
            await prepare_media(item, Platform.INSTAGRAM, self._store, placement=checked_as(placement))
            for item in job.media
        ]
        await self._quota.take(job)
        container_id = await self._create_container(job, prepared, placement)
        return await self._go_live(job, checkpoint, container_id)

    async def _published_post(self, job: PublishJob, requested_at: object) -> MediaInfo | None:
        # Stories are never listed in /media, so theirs is not found.
        latest = await self._client.recent_media(job.access_token, job.account_id)
        return published_since(latest, job.caption, requested_at, lambda media: media.caption)

    def _container_failed(self, container_id: str, status: ContainerStatus) -> PlatformError:
        return container_error(container_id, status.state, status.detail)

    async def _create_container(self, job: PublishJob, prepared: list[PreparedMedia], placement: str) -> str:
        token, account = job.access_token, job.account_id
        if len(prepared) > 1:
            children = []
            for item in prepared:
                is_video = item.kind is MediaKind.VIDEO
                children.append(
                    await self._client.create_carousel_item(
                        token,
                        account,
                        image_url=None if is_video else item.url,
                        video_url=item.url if is_video else None,
                    )
                )
            return await self._client.create_carousel_container(token, account, children=children, caption=job.caption)
        item = prepared[0]
        if placement == "stories":
            is_video = item.kind is MediaKind.VIDEO
            return await self._client.create_story_container(
                token,
                account,
                image_url=None if is_video else item.url,
                video_url=item.url if is_video else None,
            )
        if item.kind is MediaKind.VIDEO:
            return await self._client.create_reel_container(
                token,
                account,
                video_url=item.url,
                caption=job.caption,
                share_to_feed=job.options.get("share_to_feed"),
            )
        return await self._client.create_image_container(token, account, image_url=item.url, caption=job.caption)

    async def _publish(self, job: PublishJob, container_id: str) -> Outcome:
        media_id = await self._client.publish(job.access_token, job.account_id, container_id)
        permalink = None
        with suppress(PlatformError):  # published all the same; the metrics pull fills the permalink in later
            permalink = (await self._client.media(job.access_token, media_id)).permalink
        return Published(remote_id=media_id, permalink=permalink, detail={"container_id": container_id})


def _no_media() -> PlatformError:
    message = missing_media(Platform.INSTAGRAM.value) or ""
    return PermanentError(message, platform=Platform.INSTAGRAM.value, code="no_media", user_message=message)

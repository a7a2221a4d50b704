"""Instagram (Graph API with Facebook Login): container -> processing -> media_publish.

Path A (default) publishes through the API, muxing a silent audio track into a Reel that has none;
Path B hands the artist a downloadable copy and a deep link instead (`handed_off`).
"""

from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from azmth_pipelines.domain.post_options import instagram_placement
from azmth_pipelines.media.checks import missing_media
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.platforms.errors import PermanentError, PlatformError
from azmth_pipelines.platforms.instagram.client import InstagramClient
from azmth_pipelines.platforms.instagram.errors import container_error
from azmth_pipelines.publishing.job import Checkpoint, PublishJob
from azmth_pipelines.publishing.ledger import Stage
from azmth_pipelines.publishing.media_prep import PreparedMedia, handoff_for, prepare_media
from azmth_pipelines.publishing.outcomes import HandedOff, NotPublished, Outcome, Published
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
from azmth_pipelines.vocabulary import InstagramPath, MediaKind, Platform


class InstagramPublisher:
    platform = Platform.INSTAGRAM

    def __init__(self, client: InstagramClient, store: MediaStore) -> None:
        self._client = client
        self._store = store
        self._quota = PublishingQuota(
            lambda job: client.publishing_limit(job.access_token, job.account_id),
            platform=Platform.INSTAGRAM.value,
            code="content_publishing_limit",
        )

    async def publish(self, job: PublishJob, checkpoint: Checkpoint) -> Outcome:
        if not job.media:
            raise _no_media()
        placement = instagram_placement(job.options, job.media[0].kind)
        if job.options.get("path") == InstagramPath.B.value:
            handoff = await handoff_for(job.media[0], self._store, placement=placement, caption=job.caption)
            return HandedOff(
                download_url=handoff.download_url,
                deep_link=handoff.deep_link,
                detail={"instructions": handoff.instructions, "fallback_url": handoff.fallback_url},
            )
        prepared = [
            await prepare_media(item, Platform.INSTAGRAM, self._store, placement=placement) for item in job.media
        ]
        await self._quota.take(job)
        container_id = await self._create_container(job, prepared, placement)
        await checkpoint(Stage.PREPARED, {"container_id": container_id})
        await self._wait_until_finished(job, container_id)
        requested_at = datetime.now(UTC).isoformat()  # the wall clock, compared with Instagram's timestamps
        await checkpoint(Stage.PUBLISH_REQUESTED, {"container_id": container_id, "requested_at": requested_at})
        return await self._publish(job, container_id)

    async def reconcile(self, job: PublishJob, stage: str, remote_ids: dict[str, Any]) -> Outcome:
        container_id = remote_ids.get("container_id")
        if not container_id:
            return NotPublished("no container was created before the publish request")
        status = await self._client.container_status(job.access_token, container_id)
        if status.status_code == FINISHED:
            return await publish_finished(lambda: self._publish(job, container_id))
        if status.status_code == PUBLISHED:
            # media_publish went through but its answer was lost: the post is live; find the media by its caption
            # (stories are never listed in /media, so theirs is not found).
            latest = await self._client.recent_media(job.access_token, job.account_id)
            found = published_since(latest, job.caption, remote_ids.get("requested_at"), lambda media: media.caption)
            if found is not None:
                return Published(remote_id=found.id, permalink=found.permalink, detail={"container_id": container_id})
            return published_without_its_reply(Platform.INSTAGRAM, container_id)
        return NotPublished(f"container {container_id} is {status.status_code}: it was never published")

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

    async def _wait_until_finished(self, job: PublishJob, container_id: str) -> None:
        status = await poll_until(
            lambda: self._client.container_status(job.access_token, container_id),
            lambda s: s.status_code != IN_PROGRESS,
        )
        if status.status_code != FINISHED:
            code = status.status_code if status.status_code != IN_PROGRESS else EXPIRED
            raise container_error(container_id, code, status.status)

    async def _publish(self, job: PublishJob, container_id: str) -> Outcome:
        media_id = await self._client.publish(job.access_token, job.account_id, container_id)
        permalink = None
        with suppress(PlatformError):  # published all the same; the metrics pull fills the permalink in later
            permalink = (await self._client.media(job.access_token, media_id)).permalink
        return Published(remote_id=media_id, permalink=permalink, detail={"container_id": container_id})


def _no_media() -> PlatformError:
    message = missing_media(Platform.INSTAGRAM.value) or ""
    return PermanentError(message, platform=Platform.INSTAGRAM.value, code="no_media", user_message=message)

"""X: upload media (images in one call each, GIFs and video in chunks), then POST /2/tweets."""

from typing import Any

from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.platforms.x.client import XClient
from azmth_pipelines.platforms.x.limits import IMAGE_MAX_BYTES
from azmth_pipelines.publishing.job import Checkpoint, PublishJob
from azmth_pipelines.publishing.ledger import Stage
from azmth_pipelines.publishing.media_prep import prepare_media
from azmth_pipelines.publishing.outcomes import NotPublished, Outcome, Published, Unconfirmed
from azmth_pipelines.vocabulary import MediaKind, Platform

_CATEGORY = {"gif": "tweet_gif", MediaKind.IMAGE: "tweet_image", MediaKind.VIDEO: "tweet_video"}


class XPublisher:
    platform = Platform.X

    def __init__(self, client: XClient, store: MediaStore) -> None:
        self._client = client
        self._store = store

    async def publish(self, job: PublishJob, checkpoint: Checkpoint) -> Outcome:
        media_ids: list[str] = []
        for item in job.media:
            prepared = await prepare_media(item, Platform.X, self._store)
            category = _CATEGORY["gif" if prepared.probe.container == "gif" else item.kind]
            if category == "tweet_image" and prepared.path.stat().st_size <= IMAGE_MAX_BYTES:
                upload = await self._client.upload_image(
                    job.access_token, prepared.path, media_type=prepared.content_type
                )
            else:
                upload = await self._client.upload_media(
                    job.access_token, prepared.path, media_type=prepared.content_type, media_category=category
                )
            upload = await self._client.wait_for_media(job.access_token, upload)
            media_ids.append(upload.id)
        # X has no idempotency key: once this is committed, a dead run's tweet is "unconfirmed", never resent.
        await checkpoint(Stage.PUBLISH_REQUESTED, {"media_ids": media_ids})
        created = await self._client.create_post(job.access_token, job.caption, media_ids=media_ids)
        return Published(remote_id=created.id, permalink=f"https://x.com/i/web/status/{created.id}")

    async def reconcile(self, job: PublishJob, stage: str, remote_ids: dict[str, Any]) -> Outcome:
        """X has no idempotency key: look for the post among the account's latest ones."""
        recent = await self._client.recent_posts(job.access_token, job.account_id)
        if recent.unavailable is not None:
            return Unconfirmed(
                "the run stopped while asking X to post, and this X access tier cannot read the timeline to "
                "check: look at the account and re-run only if the post is missing"
            )
        for tweet in recent.tweets:
            if tweet.text == job.caption:
                return Published(remote_id=tweet.id, permalink=f"https://x.com/i/web/status/{tweet.id}")
        # A create call either lands at once or not at all, and the dead run's lease (minutes) has passed.
        return NotPublished("X shows no such post on the account: the interrupted request never landed")

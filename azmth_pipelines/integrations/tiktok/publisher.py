"""TikTok Content Posting API: direct post or the creator's drafts inbox, videos (FILE_UPLOAD) and photos."""

from typing import Any

from azmth_pipelines.integrations.common.errors import PermanentError, PlatformError, error_for
from azmth_pipelines.integrations.common.per_account import PerAccount
from azmth_pipelines.integrations.common.polling import poll_until
from azmth_pipelines.integrations.tiktok.chunks import ChunkPlan
from azmth_pipelines.integrations.tiktok.client import TikTokClient
from azmth_pipelines.integrations.tiktok.errors import classify_fail_reason
from azmth_pipelines.integrations.tiktok.models import (
    PhotoPostInfo,
    PostMode,
    PublishStatus,
    PublishStatusValue,
    VideoPostInfo,
)
from azmth_pipelines.media.checks import missing_media
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.publishing.job import Checkpoint, PublishJob
from azmth_pipelines.publishing.ledger import Stage
from azmth_pipelines.publishing.media_prep import prepare_media
from azmth_pipelines.publishing.outcomes import (
    CheckLater,
    ErrorInfo,
    NotPublished,
    Outcome,
    Published,
    SentToInbox,
    Unconfirmed,
)
from azmth_pipelines.vocabulary import MediaKind, Platform, TikTokMode

PLATFORM = Platform.TIKTOK.value
# Photo posts: title at most 90 UTF-16 units, description at most 4,000 (photo-post reference).
PHOTO_TITLE_MAX = 90


class TikTokPublisher:
    platform = Platform.TIKTOK

    def __init__(self, client: TikTokClient, store: MediaStore) -> None:
        self._client = client
        self._store = store
        # creator_info allows 20 requests a minute per token: one read per account per run.
        self._creator_info = PerAccount(lambda job: client.creator_info(job.access_token))

    async def publish(self, job: PublishJob, checkpoint: Checkpoint) -> Outcome:
        if not job.media:
            raise PermanentError(missing_media(PLATFORM) or "", platform=PLATFORM, code="no_media")
        inbox = job.options.get("mode") == TikTokMode.INBOX.value
        privacy, max_duration = None, None
        if not inbox:
            info = await self._creator_info.get(job)
            privacy = _privacy(job.options.get("privacy_level"), info.privacy_level_options)
            max_duration = info.max_video_post_duration_sec
        if job.media[0].kind is MediaKind.VIDEO:
            publish_id = await self._post_video(
                job, checkpoint, inbox=inbox, privacy=privacy, max_duration=max_duration
            )
        else:
            publish_id = await self._post_photos(job, checkpoint, inbox=inbox, privacy=privacy)
        return await self._settle(job, publish_id)

    async def reconcile(self, job: PublishJob, stage: str, remote_ids: dict[str, Any]) -> Outcome:
        publish_id = remote_ids.get("publish_id")
        if publish_id:
            return await self._settle(job, publish_id)
        # The init call's answer never arrived, and with it the publish id and the upload URL.
        if job.media and job.media[0].kind is MediaKind.VIDEO:
            # FILE_UPLOAD: nothing is posted until every chunk reaches the upload URL (206... then 201, content
            # posting API), and the URL lapses after an hour unused: no video was sent, so none can go live.
            return NotPublished("TikTok never got the video: the upload URL was lost with the init call's answer")
        # Photos are pulled from our URLs by TikTok itself once the init call is carried out; nothing the API
        # lets us read shows it (the video list holds only public videos, after review, and never drafts).
        if job.options.get("mode") == TikTokMode.INBOX.value:
            return Unconfirmed(
                "TikTok may have sent the photos to the creator's inbox (its publish id is unknown): look at the "
                "TikTok app's inbox and drafts and send it again only if it is missing"
            )
        return Unconfirmed(
            "TikTok may have posted the photos (its publish id is unknown): look at the TikTok profile, allowing "
            "for TikTok's review, and post it by hand only if it is missing"
        )

    async def _post_video(
        self,
        job: PublishJob,
        checkpoint: Checkpoint,
        *,
        inbox: bool,
        privacy: str | None,
        max_duration: int | None,
    ) -> str:
        prepared = await prepare_media(job.media[0], Platform.TIKTOK, self._store, creator_max_s=max_duration)
        plan = ChunkPlan.for_size(prepared.bytes)
        # The init call starts the post on TikTok's side: from here a dead run must be reconciled, not redone.
        await checkpoint(Stage.PUBLISH_REQUESTED, {})
        if inbox:
            init = await self._client.init_inbox_video(job.access_token, plan)
        else:
            assert privacy is not None
            post_info = VideoPostInfo(
                privacy_level=privacy,
                title=job.caption,
                disable_comment=bool(job.options.get("disable_comment", False)),
                disable_duet=bool(job.options.get("disable_duet", False)),
                disable_stitch=bool(job.options.get("disable_stitch", False)),
            )
            init = await self._client.init_direct_video(job.access_token, post_info, plan)
        await checkpoint(Stage.PUBLISH_REQUESTED, {"publish_id": init.publish_id})
        assert init.upload_url is not None
        await self._client.upload_video(init.upload_url, prepared.path, plan, content_type=prepared.content_type)
        return init.publish_id

    async def _post_photos(self, job: PublishJob, checkpoint: Checkpoint, *, inbox: bool, privacy: str | None) -> str:
        prepared = [await prepare_media(item, Platform.TIKTOK, self._store) for item in job.media]
        title, description = _photo_texts(job.caption)
        await checkpoint(Stage.PUBLISH_REQUESTED, {})
        init = await self._client.init_photo_post(
            job.access_token,
            mode=PostMode.MEDIA_UPLOAD if inbox else PostMode.DIRECT_POST,
            post_info=PhotoPostInfo(title=title, description=description, privacy_level=privacy),
            photo_urls=[p.url for p in prepared],
        )
        await checkpoint(Stage.PUBLISH_REQUESTED, {"publish_id": init.publish_id})
        return init.publish_id

    async def _settle(self, job: PublishJob, publish_id: str) -> Outcome:
        try:
            status = await poll_until(
                lambda: self._client.publish_status(job.access_token, publish_id), lambda s: s.is_terminal
            )
        except PlatformError as error:
            if not error.retryable:
                raise
            # TikTok has started the post: starting another could post twice. A later tick reads its status.
            return CheckLater(ErrorInfo.from_platform_error(error))
        return _outcome(status, publish_id)


def _outcome(status: PublishStatus, publish_id: str) -> Outcome:
    match status.status:
        case PublishStatusValue.PUBLISH_COMPLETE:
            # Post ids appear after moderation (usually < 1 min, can be hours); the publish id stands in until then.
            remote_id = status.post_ids[0] if status.post_ids else publish_id
            return Published(
                remote_id=remote_id,
                detail={"publish_id": publish_id, "awaiting_post_id": not status.post_ids},
            )
        case PublishStatusValue.SEND_TO_USER_INBOX:
            return SentToInbox(publish_id=publish_id)
        case PublishStatusValue.FAILED:
            reason = status.fail_reason or "unknown"
            raise _failed(reason, publish_id)
    return Unconfirmed(f"TikTok is still processing publish {publish_id} ({status.status}); it may still go live")


def _failed(reason: str, publish_id: str) -> PlatformError:
    return error_for(
        classify_fail_reason(reason),
        f"TikTok could not publish: {reason}",
        platform=PLATFORM,
        code=reason,
        payload={"publish_id": publish_id, "fail_reason": reason},
    )


def _privacy(requested: str | None, options: tuple[str, ...]) -> str:
    """The artist's choice if the account offers it; by default the most public option offered."""
    if requested:
        if requested not in options:
            raise PermanentError(
                f"TikTok: privacy {requested} is not available for this account; choose one of {', '.join(options)}",
                platform=PLATFORM,
                code="privacy_level_option_mismatch",
            )
        return requested
    for preferred in ("PUBLIC_TO_EVERYONE", "FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"):
        if preferred in options:
            return preferred
    raise PermanentError("TikTok offered no privacy level for this account", platform=PLATFORM, code="no_privacy")


def _photo_texts(caption: str) -> tuple[str, str]:
    """A photo post's caption goes in the description; the title is its first line, cut to TikTok's 90."""
    first_line = caption.strip().splitlines()[0] if caption.strip() else ""
    return first_line[:PHOTO_TITLE_MAX], caption

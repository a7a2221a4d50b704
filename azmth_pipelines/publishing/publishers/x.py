"""X: upload media (images in one call each, GIFs and video in chunks), then POST /2/tweets."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.platforms.x.client import XClient
from azmth_pipelines.platforms.x.limits import IMAGE_MAX_BYTES
from azmth_pipelines.platforms.x.models import Tweet
from azmth_pipelines.publishing.job import Checkpoint, PublishJob
from azmth_pipelines.publishing.ledger import Stage
from azmth_pipelines.publishing.media_prep import prepare_media
from azmth_pipelines.publishing.outcomes import NotPublished, Outcome, Published, Unconfirmed
from azmth_pipelines.publishing.publishers.x_text import looks_like, same_post
from azmth_pipelines.vocabulary import MediaKind, Platform

_CATEGORY = {"gif": "tweet_gif", MediaKind.IMAGE: "tweet_image", MediaKind.VIDEO: "tweet_video"}
# The timeline page the reconcile reads (the most GET /2/users/:id/tweets returns at once).
TIMELINE_PAGE = 100
# X's clock and ours may disagree a little: a post created this long before the request is still looked at.
CLOCK_SKEW = timedelta(minutes=5)


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
        # X has no idempotency key: once this is committed, a dead run's tweet is looked for, never blindly resent.
        # The wall clock, not the run's (fixed in backfills and tests): the reconcile compares it with X's created_at.
        requested_at = datetime.now(UTC).isoformat()
        await checkpoint(Stage.PUBLISH_REQUESTED, {"media_ids": media_ids, "requested_at": requested_at})
        created = await self._client.create_post(job.access_token, job.caption, media_ids=media_ids)
        return Published(remote_id=created.id, permalink=f"https://x.com/i/web/status/{created.id}")

    async def reconcile(self, job: PublishJob, stage: str, remote_ids: dict[str, Any]) -> Outcome:
        """X has no idempotency key: look for the post among the account's latest ones."""
        recent = await self._client.recent_posts(job.access_token, job.account_id, max_results=TIMELINE_PAGE)
        if recent.unavailable is not None:
            return Unconfirmed(
                "the run stopped while asking X to post, and this X access tier cannot read the timeline to "
                "check: look at the account and re-run only if the post is missing"
            )
        requested_at = _time(remote_ids.get("requested_at"))  # None for attempts recorded before it was kept
        since = requested_at - CLOCK_SKEW if requested_at else None
        candidates = [tweet for tweet in recent.tweets if _created_since(tweet, since)]
        found = [tweet for tweet in candidates if same_post(tweet.text, job.caption, with_media=bool(job.media))]
        if len(found) == 1:
            tweet = found[0]
            return Published(remote_id=tweet.id, permalink=f"https://x.com/i/web/status/{tweet.id}")
        if found:
            return Unconfirmed(
                f"X shows {len(found)} posts with this caption since the request ({_ids(found)}): check which is it"
            )
        alike = [tweet for tweet in candidates if looks_like(tweet.text, job.caption)]
        if alike:
            return Unconfirmed(
                f"X shows a post like this caption whose links or spacing differ ({_ids(alike)}): check it is this one"
            )
        if since is not None and len(recent.tweets) >= TIMELINE_PAGE and len(candidates) == len(recent.tweets):
            # The whole page is newer than the request: the post may be among older ones the page does not reach.
            return Unconfirmed(
                f"the account posted over {TIMELINE_PAGE} times since the request: X could not be checked"
            )
        # A create call either lands at once or not at all, and the dead run's lease (minutes) has passed.
        return NotPublished("X shows no such post on the account: the interrupted request never landed")


def _created_since(tweet: Tweet, since: datetime | None) -> bool:
    created = _time(tweet.created_at)
    # A post without a readable date cannot be ruled out.
    return since is None or created is None or created >= since


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ids(tweets: Sequence[Tweet]) -> str:
    return ", ".join(f"https://x.com/i/web/status/{tweet.id}" for tweet in tweets)

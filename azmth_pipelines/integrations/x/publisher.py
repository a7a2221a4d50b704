"""X: upload media (images in one call each, GIFs and video in chunks), then POST /2/tweets."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from azmth_pipelines.integrations.common.errors import PlatformError
from azmth_pipelines.integrations.common.remote_time import remote_time
from azmth_pipelines.integrations.x.client import XClient
from azmth_pipelines.integrations.x.limits import IMAGE_MAX_BYTES
from azmth_pipelines.integrations.x.models import Tweet
from azmth_pipelines.integrations.x.text import looks_like, same_post
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.publishing.job import Checkpoint, PublishJob
from azmth_pipelines.publishing.ledger import Stage
from azmth_pipelines.publishing.media_prep import prepare_media
from azmth_pipelines.publishing.outcomes import NotPublished, Outcome, Published, Unconfirmed
from azmth_pipelines.vocabulary import MediaKind, Platform

_CATEGORY = {"gif": "tweet_gif", MediaKind.IMAGE: "tweet_image", MediaKind.VIDEO: "tweet_video"}
# The timeline page the reconcile reads (the most GET /2/users/:id/tweets returns at once).
TIMELINE_PAGE = 100
# X's clock and ours may disagree a little: a post created this long before the request is still looked at.
CLOCK_SKEW = timedelta(minutes=5)
# social_connection.x_access_tier values (as the metrics pull records them, metrics/pull.py) whose access level
# cannot read the account's timeline (403 client-forbidden, or the monthly read cap spent).
TIERS_WITHOUT_TIMELINE = frozenset({"free", "usage_capped"})


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
        request: dict[str, Any] = {"media_ids": media_ids, "requested_at": requested_at}
        if job.x_access_tier in TIERS_WITHOUT_TIMELINE:
            # The only proof this access level can read after an unclear answer: the account's post count.
            request["tweet_count"] = await self._tweet_count(job)
        await checkpoint(Stage.PUBLISH_REQUESTED, request)
        created = await self._client.create_post(job.access_token, job.caption, media_ids=media_ids)
        return Published(remote_id=created.id, permalink=f"https://x.com/i/web/status/{created.id}")

    async def reconcile(self, job: PublishJob, stage: str, remote_ids: dict[str, Any]) -> Outcome:
        """X has no idempotency key: look for the post among the account's latest ones."""
        recent = await self._client.recent_posts(job.access_token, job.account_id, max_results=TIMELINE_PAGE)
        if recent.unavailable is not None:
            return await self._by_post_count(job, remote_ids)
        requested_at = remote_time(remote_ids.get("requested_at"))  # None for attempts recorded before it was kept
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

    async def _tweet_count(self, job: PublishJob) -> int | None:
        """The account's post count (GET /2/users/me public_metrics.tweet_count); None when X does not answer it:
        the post goes out all the same, only without a count to check it by."""
        try:
            return (await self._client.me(job.access_token)).metrics.tweet_count
        except PlatformError:
            return None

    async def _by_post_count(self, job: PublishJob, remote_ids: dict[str, Any]) -> Outcome:
        """On an access level that cannot read the timeline, the post count recorded before the request against
        the count now: unchanged, the post never landed; otherwise only the artist can tell which post it was."""
        look = "look at the X profile and post it by hand only if it is missing"
        before = remote_ids.get("tweet_count")
        if not isinstance(before, int):
            return Unconfirmed(f"this X access level cannot read the account's posts to check: {look}")
        now = (await self._client.me(job.access_token)).metrics.tweet_count
        if now is None:
            return Unconfirmed(f"X did not give the account's post count to check by: {look}")
        if now == before:
            return NotPublished(f"X shows the account's post count unchanged at {now}: the request never landed")
        if now > before:
            return Unconfirmed(
                f"the account has {now - before} more post(s) on X than before the request, most likely this one; "
                f"this X access level cannot show which: {look}"
            )
        return Unconfirmed(f"the account's post count on X went down since the request (posts deleted): {look}")


def _created_since(tweet: Tweet, since: datetime | None) -> bool:
    created = remote_time(tweet.created_at)
    # A post without a readable date cannot be ruled out.
    return since is None or created is None or created >= since


def _ids(tweets: Sequence[Tweet]) -> str:
    return ", ".join(f"https://x.com/i/web/status/{tweet.id}" for tweet in tweets)

"""A run that died after asking the platform to publish is reconciled with the platform, never blindly redone."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from azmth_pipelines.integrations.x.client import XClient
from azmth_pipelines.integrations.x.publisher import XPublisher
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.publishing.job import JobMedia, PublishJob
from azmth_pipelines.publishing.ledger import Stage
from azmth_pipelines.publishing.outcomes import NotPublished, Outcome, Published, Unconfirmed
from azmth_pipelines.vocabulary import MediaKind, Platform
from tests.platforms.loopback import Canned, Reply
from tests.publishing.conftest import AFTER_T0, Studio

LATER = AFTER_T0 + timedelta(minutes=11)  # past the dead run's 10-minute lease


def test_a_tweet_that_landed_before_the_run_died_is_found_not_reposted(studio: Studio) -> None:
    caption = "Landed just before the crash"
    post_id = studio.post(["x"], body=caption)
    studio.die_after_requesting(post_id)
    tweet_id = studio.tweet(caption)
    studio.tick(LATER)
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["remote_id"], entry["attempts"]) == ("published", tweet_id, 1)
    assert len(studio.published(Platform.X)) == 1


def test_a_request_that_never_landed_is_published_once(studio: Studio) -> None:
    post_id = studio.post(["x"], body="Lost in the crash")
    studio.die_after_requesting(post_id)
    studio.tick(LATER)
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["attempts"]) == ("published", 2)
    assert len(studio.published(Platform.X)) == 1


def test_on_a_tier_that_cannot_read_the_timeline_the_post_is_unconfirmed(studio: Studio) -> None:
    post_id = studio.post(["x"], body="Free tier")
    studio.sandbox.update_account(studio.accounts[Platform.X].id, tier="free")
    studio.die_after_requesting(post_id)
    studio.tick(LATER)
    assert studio.per_platform(post_id)["x"]["state"] == "unconfirmed"
    assert studio.tick(LATER + timedelta(hours=2)) == []  # never reposted automatically
    assert studio.published(Platform.X) == []


def test_a_tweet_x_rewrote_is_found_not_reposted(studio: Studio) -> None:
    """X returns the text escaped (&amp;), its links as t.co links and the photo's t.co link appended."""
    caption = "R&B <live> tonight, tickets at nova.band/tour"
    post_id = studio.post(["x"], body=caption, media=[studio.media.portrait_jpeg])
    requested_at = datetime.now(UTC).isoformat()
    studio.die_after_requesting(post_id, {"media_ids": [], "requested_at": requested_at})

    async def the_call_that_landed() -> tuple[str, str]:
        token = studio.accounts[Platform.X].access_token
        async with XClient() as client:
            photo = await client.upload_image(token, studio.media.portrait_jpeg, media_type="image/jpeg")
            created = await client.create_post(token, caption, media_ids=[photo.id])
            return created.id, created.text

    tweet_id, shown = asyncio.run(the_call_that_landed())
    assert shown.startswith("R&amp;B &lt;live&gt; tonight, tickets at https://t.co/") and shown != caption
    studio.tick(LATER)
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["remote_id"], entry["attempts"]) == ("published", tweet_id, 1)
    assert len(studio.published(Platform.X)) == 1


# --- matching X's text, against canned timelines --------------------------------------------------

REQUESTED_AT = datetime(2026, 11, 2, 17, 15, 5, tzinfo=UTC)
PHOTO = JobMedia(kind=MediaKind.IMAGE, path=Path("photo.jpg"))


def _timeline_tweet(tweet_id: str, text: str, created_at: datetime = REQUESTED_AT + timedelta(seconds=2)) -> dict:
    return {"id": tweet_id, "text": text, "created_at": created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")}


def _reconcile(
    caption: str, tweets: list[dict], *, media: tuple[JobMedia, ...] = (), requested: bool = True
) -> Outcome:
    remote_ids: dict[str, Any] = {"media_ids": []}
    if requested:
        remote_ids["requested_at"] = REQUESTED_AT.isoformat()
    job = PublishJob(
        post_id=1,
        artist_id=1,
        platform=Platform.X,
        caption=caption,
        options={},
        media=list(media),
        account_id="2244994945",
        access_token="x-user-token",
    )
    canned = Canned(Reply(200, {"data": tweets, "meta": {"result_count": len(tweets)}}))

    async def run() -> Outcome:
        async with XClient("https://api.x.test", transport=canned.transport) as client:
            publisher = XPublisher(client, MediaStore(Path("/nonexistent"), "http://media.test"))
            return await publisher.reconcile(job, Stage.PUBLISH_REQUESTED, remote_ids)

    outcome = asyncio.run(run())
    assert canned.requests[0].url.params["tweet.fields"] == "created_at"
    return outcome


def test_a_post_found_with_its_escapes_links_and_media_link_is_published() -> None:
    caption = "Night Drive & friends: https://nova.band/tour?utm=x&y=1"
    outcome = _reconcile(
        caption,
        [
            _timeline_tweet("2", "Something else"),
            _timeline_tweet("1", "Night Drive &amp; friends: https://t.co/AbC123xyz https://t.co/MeDiA12345"),
        ],
        media=(PHOTO,),
    )
    assert outcome == Published(remote_id="1", permalink="https://x.com/i/web/status/1")


def test_a_media_link_is_only_expected_on_a_post_with_media() -> None:
    outcome = _reconcile("Out now", [_timeline_tweet("1", "Out now https://t.co/MeDiA12345")])
    assert isinstance(outcome, Unconfirmed)  # the same words with an extra link: maybe this post, maybe not


def test_a_post_with_the_same_caption_from_before_the_request_is_not_this_one() -> None:
    last_week = REQUESTED_AT - timedelta(days=7)
    outcome = _reconcile("Out now", [_timeline_tweet("1", "Out now", created_at=last_week)])
    assert isinstance(outcome, NotPublished)


def test_without_the_request_time_every_recent_post_is_looked_at() -> None:
    last_week = REQUESTED_AT - timedelta(days=7)
    outcome = _reconcile("Out now", [_timeline_tweet("1", "Out now", created_at=last_week)], requested=False)
    assert outcome == Published(remote_id="1", permalink="https://x.com/i/web/status/1")


def test_two_posts_matching_the_caption_are_unconfirmed_not_reposted() -> None:
    outcome = _reconcile(
        "Tour dates: https://nova.band/tour",
        [
            _timeline_tweet("2", "Tour dates: https://t.co/Second0001"),
            _timeline_tweet("1", "Tour dates: https://t.co/First00001"),
        ],
    )
    assert isinstance(outcome, Unconfirmed) and "2 posts" in outcome.reason


def test_a_full_timeline_page_newer_than_the_request_is_unconfirmed() -> None:
    busy = [_timeline_tweet(str(i), f"Reply number {i}") for i in range(100)]
    assert isinstance(_reconcile("Out now", busy), Unconfirmed)
    assert isinstance(_reconcile("Out now", busy[:99]), NotPublished)


def test_the_publish_request_records_when_it_was_sent() -> None:
    canned = Canned(Reply(201, {"data": {"id": "1899", "text": "Out now"}}))
    recorded: list[tuple[str, dict[str, Any]]] = []

    async def checkpoint(stage: str, remote_ids: dict[str, Any]) -> None:
        recorded.append((stage, remote_ids))

    async def run() -> Outcome:
        async with XClient("https://api.x.test", transport=canned.transport) as client:
            publisher = XPublisher(client, MediaStore(Path("/nonexistent"), "http://media.test"))
            job = PublishJob(1, 1, Platform.X, "Out now", {}, [], "2244994945", "x-user-token")
            return await publisher.publish(job, checkpoint)

    before = datetime.now(UTC)
    assert isinstance(asyncio.run(run()), Published)
    [(stage, remote_ids)] = recorded
    assert stage == Stage.PUBLISH_REQUESTED and remote_ids["media_ids"] == []
    assert before <= datetime.fromisoformat(remote_ids["requested_at"]) <= datetime.now(UTC)

"""A run that died after asking the platform to publish is reconciled with the platform, never blindly redone."""

import asyncio
from datetime import timedelta

from azmth_pipelines.db.engine import session_factory
from azmth_pipelines.platforms.x.client import XClient
from azmth_pipelines.publishing.ledger import Ledger, Stage
from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, Studio

LATER = AFTER_T0 + timedelta(minutes=11)  # past the dead run's 10-minute lease


def _die_after_requesting(studio: Studio, post_id: int) -> None:
    """What a killed run leaves behind: an attempt at stage publish_requested, never finished."""
    ledger = Ledger(session_factory())
    claim = ledger.claim(post_id, Platform.X, now=AFTER_T0, run_id="dead", manual=False)
    assert claim is not None
    ledger.checkpoint(claim, Stage.PUBLISH_REQUESTED, {"media_ids": []}, now=AFTER_T0)


def test_a_tweet_that_landed_before_the_run_died_is_found_not_reposted(studio: Studio) -> None:
    caption = "Landed just before the crash"
    post_id = studio.post(["x"], body=caption)
    _die_after_requesting(studio, post_id)

    async def the_call_that_landed() -> str:
        async with XClient() as client:
            return (await client.create_post(studio.accounts[Platform.X].access_token, caption)).id

    tweet_id = asyncio.run(the_call_that_landed())
    studio.tick(LATER)
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["remote_id"], entry["attempts"]) == ("published", tweet_id, 1)
    assert len(studio.published(Platform.X)) == 1


def test_a_request_that_never_landed_is_published_once(studio: Studio) -> None:
    post_id = studio.post(["x"], body="Lost in the crash")
    _die_after_requesting(studio, post_id)
    studio.tick(LATER)
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["attempts"]) == ("published", 2)
    assert len(studio.published(Platform.X)) == 1


def test_on_a_tier_that_cannot_read_the_timeline_the_post_is_unconfirmed(studio: Studio) -> None:
    post_id = studio.post(["x"], body="Free tier")
    studio.sandbox.update_account(studio.accounts[Platform.X].id, tier="free")
    _die_after_requesting(studio, post_id)
    studio.tick(LATER)
    assert studio.per_platform(post_id)["x"]["state"] == "unconfirmed"
    assert studio.tick(LATER + timedelta(hours=2)) == []  # never reposted automatically
    assert studio.published(Platform.X) == []

"""Once a platform may have been asked to publish, an unclear error is checked with it on a later tick, never
answered by publishing again (which would post twice)."""

from datetime import timedelta

from azmth_pipelines.db.engine import session_factory
from azmth_pipelines.publishing.ledger import CONFIRMATION_SPAN, Ledger, Stage
from azmth_pipelines.publishing.outcomes import CheckLater, ErrorInfo
from azmth_pipelines.publishing.windows import window_start
from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, Studio

NEXT_TICK = AFTER_T0 + timedelta(minutes=15)


def test_a_failed_status_check_after_tiktok_started_the_post_is_checked_again_not_reposted(studio: Studio) -> None:
    post_id = studio.post(["tiktok"], media=[studio.media.clip_with_audio])
    studio.sandbox.set_fault("tiktok", "status_5xx", 503, scope="status", times=1)
    studio.tick(AFTER_T0)
    entry = studio.per_platform(post_id)["tiktok"]
    assert entry["state"] == "publishing"
    assert entry["last_error"]["http_status"] == 503
    studio.tick(NEXT_TICK)
    entry = studio.per_platform(post_id)["tiktok"]
    assert (entry["state"], entry["attempts"]) == ("published", 1)
    assert len(studio.published(Platform.TIKTOK)) == 1


def test_an_unclear_answer_to_the_publish_call_is_checked_before_publishing_again(studio: Studio) -> None:
    post_id = studio.post(["x"], body="Through a bad gateway")
    # A gateway's 502: X behind it may or may not have created the post.
    studio.sandbox.set_fault("x", "status_5xx", 502, scope="publish", times=1)
    studio.tick(AFTER_T0)
    assert studio.per_platform(post_id)["x"]["state"] == "publishing"
    studio.tick(NEXT_TICK)  # X's timeline shows no such post: published now, in the same tick
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["attempts"]) == ("published", 2)
    assert len(studio.published(Platform.X)) == 1


def test_a_reconciliation_that_fails_is_tried_again_on_the_next_tick(studio: Studio) -> None:
    caption = "Landed, then the check failed"
    post_id = studio.post(["x"], body=caption)
    studio.die_after_requesting(post_id)
    tweet_id = studio.tweet(caption)
    # The run that takes the dead attempt over cannot read the timeline to check it.
    studio.sandbox.set_fault("x", "status_5xx", 503, scope="/users/", times=1)
    studio.tick(NEXT_TICK)
    assert studio.per_platform(post_id)["x"]["state"] == "publishing"
    assert len(studio.published(Platform.X)) == 1
    studio.tick(NEXT_TICK + timedelta(minutes=15))
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["remote_id"], entry["attempts"]) == ("published", tweet_id, 1)
    assert len(studio.published(Platform.X)) == 1


def test_a_publication_that_stays_in_doubt_ends_unconfirmed(studio: Studio) -> None:
    post_id = studio.post(["x"], body="Nobody can tell")
    ledger = Ledger(session_factory())
    unclear = CheckLater(ErrorInfo(message="X answered HTTP 500", code="500", http_status=500))
    claim = ledger.claim(post_id, Platform.X, now=AFTER_T0, run_id="a", manual=False)
    assert claim is not None
    renewed = ledger.checkpoint(claim, Stage.PUBLISH_REQUESTED, {}, now=AFTER_T0)
    assert renewed is not None
    entry = ledger.finish(renewed, unclear, now=AFTER_T0)
    # Checked at the next tick (ticks look for due work at their own time; the check must not miss it by seconds).
    assert (entry.state, entry.next_retry_at) == ("publishing", window_start(NEXT_TICK))
    # Not before the check is due; then taken over to be reconciled, not published afresh.
    assert ledger.claim(post_id, Platform.X, now=NEXT_TICK - timedelta(minutes=1), run_id="b", manual=False) is None
    check = ledger.claim(post_id, Platform.X, now=NEXT_TICK, run_id="b", manual=False)
    assert check is not None and check.reconcile_stage == Stage.PUBLISH_REQUESTED
    entry = ledger.finish(check, unclear, now=AFTER_T0 + CONFIRMATION_SPAN)
    assert entry.state == "unconfirmed"
    assert entry.last_error is not None and "could not confirm" in entry.last_error["message"]
    assert studio.row(post_id).status.value == "failed"

"""No platform is ever recorded failed while its post is live, and nothing is posted twice: after an unclear answer
to the publish call (the platform did the work, then its reply was lost) the post is proved published, proved never
made (and published once), or left unconfirmed with what the artist should look at."""

from datetime import timedelta

from sqlalchemy import update

from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import SocialConnection
from azmth_pipelines.publishing.ledger import CONFIRMATION_SPAN
from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, Studio

NEXT_TICK = AFTER_T0 + timedelta(minutes=15)


def _timeline(studio: Studio) -> str:
    return f"/users/{studio.accounts[Platform.X].remote_id}/tweets"


def _x_access_level_cannot_read(studio: Studio) -> None:
    """A write-only X access level (403 client-forbidden on reads), as the nightly metrics pull records it."""
    studio.sandbox.update_account(studio.accounts[Platform.X].id, tier="free")
    with session_scope() as session:
        session.execute(
            update(SocialConnection).where(SocialConnection.platform == Platform.X).values(x_access_tier="free")
        )


def test_an_x_post_whose_check_answers_404_stays_in_doubt_then_is_found(studio: Studio) -> None:
    post_id = studio.post(["x"], body="Posted, then the gateway said 500")
    studio.sandbox.set_fault("x", "lost_reply", 500, scope="publish", times=1)
    studio.tick(AFTER_T0)
    assert studio.per_platform(post_id)["x"]["state"] == "publishing"
    [tweet] = studio.published(Platform.X)
    studio.sandbox.set_fault("x", "http_status", 404, scope=_timeline(studio), times=1)
    studio.tick(NEXT_TICK)
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["last_error"]["http_status"]) == ("publishing", 404)
    studio.tick(NEXT_TICK + timedelta(minutes=15))
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["remote_id"], entry["attempts"]) == ("published", tweet["remote_id"], 1)
    assert len(studio.published(Platform.X)) == 1


def test_an_x_post_that_can_never_be_checked_ends_unconfirmed_not_failed(studio: Studio) -> None:
    post_id = studio.post(["x"], body="Posted, and every check is refused")
    studio.sandbox.set_fault("x", "lost_reply", 502, scope="publish", times=1)
    studio.sandbox.set_fault("x", "http_status", 404, scope=_timeline(studio))
    studio.tick(AFTER_T0)
    studio.tick(NEXT_TICK)
    assert studio.per_platform(post_id)["x"]["state"] == "publishing"
    studio.tick(AFTER_T0 + CONFIRMATION_SPAN + timedelta(minutes=15))
    entry = studio.per_platform(post_id)["x"]
    assert entry["state"] == "unconfirmed"
    assert "could not confirm" in entry["last_error"]["message"]
    assert len(studio.published(Platform.X)) == 1


def test_on_a_write_only_x_access_level_a_post_that_landed_is_unconfirmed_with_where_to_look(studio: Studio) -> None:
    _x_access_level_cannot_read(studio)
    post_id = studio.post(["x"], body="Free tier, reply lost")
    studio.sandbox.set_fault("x", "lost_reply", 500, scope="publish", times=1)
    studio.tick(AFTER_T0)
    assert studio.per_platform(post_id)["x"]["state"] == "publishing"
    studio.tick(NEXT_TICK)
    entry = studio.per_platform(post_id)["x"]
    assert entry["state"] == "unconfirmed"
    message = entry["last_error"]["message"]
    assert "1 more post(s)" in message and "look at the X profile" in message
    assert "no clear answer" in message and "run stopped" not in message
    assert studio.tick(NEXT_TICK + timedelta(hours=2)) == []  # never reposted automatically
    assert len(studio.published(Platform.X)) == 1


def test_on_a_write_only_x_access_level_a_post_that_never_landed_is_published_once(studio: Studio) -> None:
    _x_access_level_cannot_read(studio)
    post_id = studio.post(["x"], body="Free tier, gateway failed before X saw it")
    # A gateway's 502 before X did anything: the account's post count stays as it was.
    studio.sandbox.set_fault("x", "status_5xx", 502, scope="publish", times=1)
    studio.tick(AFTER_T0)
    assert studio.per_platform(post_id)["x"]["state"] == "publishing"
    assert studio.published(Platform.X) == []
    studio.tick(NEXT_TICK)
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["attempts"]) == ("published", 2)
    assert len(studio.published(Platform.X)) == 1


def test_a_threads_post_published_before_a_500_is_recorded_with_its_media_id(studio: Studio) -> None:
    post_id = studio.post(["threads"], body="Threads did it, then answered 500")
    studio.sandbox.set_fault("threads", "lost_reply", 500, scope="/threads_publish$", times=1)
    studio.tick(AFTER_T0)
    assert studio.per_platform(post_id)["threads"]["state"] == "publishing"
    studio.tick(NEXT_TICK)
    entry = studio.per_platform(post_id)["threads"]
    [post] = studio.published(Platform.THREADS)
    assert (entry["state"], entry["remote_id"], entry["attempts"]) == ("published", post["remote_id"], 1)
    assert entry["permalink"] and entry["permalink"].startswith("https://www.threads.net/")


def test_an_instagram_story_published_before_a_500_is_recorded_published(studio: Studio) -> None:
    """Stories are never listed with the account's media: the container's PUBLISHED status is the proof."""
    post_id = studio.post(
        ["instagram"],
        media=[studio.media.portrait_jpeg],
        body="Story time",
        platform_options={"instagram": {"path": "A", "placement": "stories"}},
    )
    studio.sandbox.set_fault("instagram", "lost_reply", 500, scope="/media_publish", times=1)
    studio.tick(AFTER_T0)
    assert studio.per_platform(post_id)["instagram"]["state"] == "publishing"
    studio.tick(NEXT_TICK)
    entry = studio.per_platform(post_id)["instagram"]
    assert (entry["state"], entry["attempts"]) == ("published", 1)
    assert entry["detail"]["media_id_unknown"] is True
    assert len(studio.published(Platform.INSTAGRAM)) == 1


def test_a_tiktok_video_whose_init_answer_was_lost_is_published_once(studio: Studio) -> None:
    """Without the init call's answer there is no upload URL: TikTok never got the video, so a fresh post is safe."""
    post_id = studio.post(["tiktok"], media=[studio.media.clip_with_audio])
    studio.sandbox.set_fault("tiktok", "lost_reply", 500, scope="/video/init/", times=1)
    studio.tick(AFTER_T0)
    assert studio.per_platform(post_id)["tiktok"]["state"] == "publishing"
    studio.tick(NEXT_TICK)
    entry = studio.per_platform(post_id)["tiktok"]
    assert (entry["state"], entry["attempts"]) == ("published", 2)
    assert len(studio.published(Platform.TIKTOK)) == 1


def test_tiktok_photos_whose_init_answer_was_lost_are_unconfirmed_with_where_to_look(studio: Studio) -> None:
    post_id = studio.post(["tiktok"], media=[studio.media.portrait_jpeg], body="Photo drop")
    studio.sandbox.set_fault("tiktok", "lost_reply", 500, scope="/content/init/", times=1)
    studio.tick(AFTER_T0)
    studio.tick(NEXT_TICK)
    entry = studio.per_platform(post_id)["tiktok"]
    assert (entry["state"], entry["attempts"]) == ("unconfirmed", 1)
    assert "look at the TikTok profile" in entry["last_error"]["message"]
    assert "run stopped" not in entry["last_error"]["message"]

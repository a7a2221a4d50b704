"""Each platform's publish paths through the sandbox: Reels audio, hand-off, drafts inbox, crops, reconnects."""

from sqlalchemy import select

from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import SocialConnection, StaffError
from azmth_pipelines.media.probe import probe_file
from azmth_pipelines.vocabulary import ConnectionStatus, Platform
from tests.publishing.conftest import AFTER_T0, Studio


def test_instagram_reel_without_audio_gets_a_silent_track_on_path_a(studio: Studio) -> None:
    post_id = studio.post(
        ["instagram"],
        media=[studio.media.clip_silent],
        platform_options={"instagram": {"path": "A", "placement": "reels"}},
    )
    studio.tick(AFTER_T0)
    assert studio.per_platform(post_id)["instagram"]["state"] == "published"
    [reel] = studio.published(Platform.INSTAGRAM)
    assert reel["product_type"] == "REELS"
    # What Meta fetched is the store's copy with an audio track; the artist's original is untouched.
    with_audio = [p for p in studio.store.root.rglob("*.mp4") if probe_file(p).has_audio]
    assert with_audio and not probe_file(studio.media.clip_silent).has_audio


def test_instagram_path_b_hands_off_a_download_and_a_deep_link(studio: Studio) -> None:
    post_id = studio.post(
        ["instagram"], media=[studio.media.clip_with_audio], platform_options={"instagram": {"path": "B"}}
    )
    studio.tick(AFTER_T0)
    entry = studio.per_platform(post_id)["instagram"]
    assert entry["state"] == "handed_off"
    assert entry["detail"]["download_url"].startswith(studio.store.public_url)
    assert entry["detail"]["deep_link"].startswith("instagram://")
    assert studio.published(Platform.INSTAGRAM) == []


def test_tiktok_drafts_inbox_post_is_sent_to_the_inbox(studio: Studio) -> None:
    post_id = studio.post(
        ["tiktok"], media=[studio.media.clip_with_audio], platform_options={"tiktok": {"mode": "inbox"}}
    )
    studio.tick(AFTER_T0)
    entry = studio.per_platform(post_id)["tiktok"]
    assert entry["state"] == "sent_to_inbox"
    assert studio.row(post_id).status.value == "posted"


def test_an_image_instagram_refuses_fails_instagram_only_with_the_fix(studio: Studio) -> None:
    post_id = studio.post(["instagram", "threads"], media=[studio.media.panorama_jpeg], as_web_app=True)
    studio.tick(AFTER_T0)
    per_platform = studio.per_platform(post_id)
    assert per_platform["threads"]["state"] == "published"
    assert per_platform["instagram"]["state"] == "failed"
    message = per_platform["instagram"]["last_error"]["message"]
    assert "Instagram" in message and "2.40:1" in message and "re-crop" in message
    assert studio.published(Platform.INSTAGRAM) == []


def test_the_instagram_crop_is_used_for_instagram(studio: Studio) -> None:
    post_id = studio.post(
        ["instagram"],
        media=[studio.media.panorama_jpeg],
        crops={"instagram": {"aspect": "4:5"}},
        body="Cropped for the feed",
    )
    studio.tick(AFTER_T0)
    assert studio.per_platform(post_id)["instagram"]["state"] == "published"


def test_a_missing_publish_scope_asks_for_a_reconnect_without_calling_the_platform(studio: Studio) -> None:
    with session_scope() as session:
        connection = session.scalars(
            select(SocialConnection).where(SocialConnection.platform == Platform.THREADS)
        ).one()
        connection.granted_scopes = ["threads_basic"]
    post_id = studio.post(["threads"])
    studio.tick(AFTER_T0)
    entry = studio.per_platform(post_id)["threads"]
    assert entry["state"] == "failed"
    assert entry["last_error"]["message"].startswith("Reconnect Threads and grant threads_content_publish")
    with session_scope() as session:
        connection = session.scalars(
            select(SocialConnection).where(SocialConnection.platform == Platform.THREADS)
        ).one()
        assert connection.status is ConnectionStatus.NEEDS_RECONNECT


def test_a_revoked_token_marks_the_connection_and_keeps_the_platforms_words(studio: Studio) -> None:
    studio.sandbox.revoke_token(studio.accounts[Platform.X].access_token)
    post_id = studio.post(["x"], body="Revoked")
    studio.tick(AFTER_T0)
    entry = studio.per_platform(post_id)["x"]
    assert (entry["state"], entry["attempts"]) == ("failed", 1)
    assert entry["last_error"]["message"].startswith("Reconnect X")
    with session_scope() as session:
        connection = session.scalars(select(SocialConnection).where(SocialConnection.platform == Platform.X)).one()
        assert connection.status is ConnectionStatus.NEEDS_RECONNECT
        [error] = session.scalars(select(StaffError)).all()
        assert error.http_status == 401
        assert studio.accounts[Platform.X].access_token not in str(error.payload)


def test_a_too_long_caption_for_threads_fails_before_any_call(studio: Studio) -> None:
    post_id = studio.post(["threads"], body="la " * 200, as_web_app=True)
    studio.tick(AFTER_T0)
    entry = studio.per_platform(post_id)["threads"]
    assert entry["state"] == "failed"
    assert "Threads: caption is 600 characters; at most 500" in entry["last_error"]["message"]


def test_instagrams_publishing_cap_is_read_live_and_the_rest_wait_for_a_later_tick(studio: Studio) -> None:
    studio.sandbox.set_limits(instagram_quota_total=1)
    first = studio.post(["instagram"], media=[studio.media.portrait_jpeg], body="First of the day")
    second = studio.post(["instagram"], media=[studio.media.portrait_jpeg], body="Second of the day")
    studio.tick(AFTER_T0)
    states = sorted(studio.per_platform(p)["instagram"]["state"] for p in (first, second))
    assert states == ["published", "retrying"]
    waiting = next(
        studio.per_platform(p)["instagram"]
        for p in (first, second)
        if studio.per_platform(p)["instagram"]["state"] == "retrying"
    )
    assert waiting["last_error"]["message"] == "Instagram publishing limit reached: 1 of 1 posts in 24 hours"
    assert len(studio.published(Platform.INSTAGRAM)) == 1

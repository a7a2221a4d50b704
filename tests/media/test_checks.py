"""Platform checks say, in the artist's words, what breaks a platform's documented limits and how to fix it."""

from dataclasses import replace

from azmth_pipelines.media.checks import blocking, check_media
from azmth_pipelines.media.probe import MediaProbe

FEED_JPEG = MediaProbe(kind="image", container="jpeg", bytes=900_000, width=1080, height=1350, color_mode="RGB")
REEL = MediaProbe(
    kind="video",
    container="mp4",
    bytes=40_000_000,
    width=1080,
    height=1920,
    duration_s=30.0,
    fps=30.0,
    video_codec="h264",
    audio_codec="aac",
    has_audio=True,
)


def test_well_made_feed_jpeg_and_reel_pass_everywhere() -> None:
    for platform in ("instagram", "threads", "tiktok", "x"):
        assert check_media(platform, FEED_JPEG) == []
    assert check_media("instagram", REEL, placement="reels") == []
    assert check_media("tiktok", REEL, creator_max_s=60) == []
    assert check_media("threads", REEL) == []
    assert blocking(check_media("x", REEL)) == []  # 1080x1920 is above X's documented 1280x1024: a warning


def test_panorama_gets_the_instagram_aspect_message_with_the_fix() -> None:
    problems = check_media("instagram", replace(FEED_JPEG, width=2400, height=1000))
    assert [p.message for p in problems] == [
        "Instagram: image aspect 2.40:1 is outside 4:5 to 1.91:1 - re-crop to 4:5 or 1:1"
    ]
    assert problems[0].code == "aspect_out_of_range" and problems[0].auto_fix == "recrop"


def test_instagram_limits_images_to_8_mb_jpeg() -> None:
    problems = check_media("instagram", replace(FEED_JPEG, bytes=9 * 1024**2))
    assert [p.code for p in problems] == ["file_too_large"]
    assert "9 MB, over the 8 MB limit" in problems[0].message


def test_silent_reel_is_flagged_for_the_automatic_silent_track() -> None:
    problems = check_media("instagram", replace(REEL, has_audio=False, audio_codec=None), placement="reels")
    assert [(p.code, p.auto_fix) for p in problems] == [("missing_audio_track", "add_silent_audio")]


def test_reel_over_90_seconds_warns_it_will_be_trimmed_and_over_15_minutes_is_refused() -> None:
    long = check_media("instagram", replace(REEL, duration_s=120.0), placement="reels")
    assert [(p.code, p.severity) for p in long] == [("reel_will_be_trimmed", "warning")]
    too_long = check_media("instagram", replace(REEL, duration_s=16 * 60.0), placement="reels")
    assert [p.code for p in blocking(too_long)] == ["duration_too_long"]


def test_reel_shorter_than_3_seconds_is_refused() -> None:
    assert [p.code for p in check_media("instagram", replace(REEL, duration_s=2.0), placement="reels")] == [
        "duration_too_short"
    ]


def test_instagram_story_video_is_capped_at_60_seconds_and_100_mb() -> None:
    problems = check_media("instagram", replace(REEL, duration_s=75.0, bytes=150 * 1024**2), placement="story")
    assert {p.code for p in problems} == {"duration_too_long", "file_too_large"}


def test_tiktok_video_duration_follows_the_creators_own_cap() -> None:
    video = replace(REEL, duration_s=200.0)
    assert check_media("tiktok", video, creator_max_s=600) == []
    problems = check_media("tiktok", video, creator_max_s=180)
    assert [p.code for p in problems] == ["duration_too_long"]
    assert "this account's 3 minutes maximum" in problems[0].message


def test_tiktok_refuses_png_photos_and_small_or_slow_videos() -> None:
    assert [p.code for p in check_media("tiktok", replace(FEED_JPEG, container="png"))] == ["unsupported_format"]
    problems = check_media("tiktok", replace(REEL, width=240, height=320, fps=15.0))
    assert {p.code for p in problems} == {"dimensions_out_of_range", "frame_rate_out_of_range"}


def test_x_allows_png_and_gif_with_their_own_size_caps() -> None:
    assert check_media("x", replace(FEED_JPEG, container="png", bytes=4 * 1024**2)) == []
    assert [p.code for p in check_media("x", replace(FEED_JPEG, container="png", bytes=6 * 1024**2))] == [
        "file_too_large"
    ]
    assert check_media("x", replace(FEED_JPEG, container="gif", bytes=12 * 1024**2)) == []


def test_x_video_length_depends_on_premium() -> None:
    long = replace(REEL, width=720, height=1280, duration_s=30 * 60.0)
    assert [p.code for p in check_media("x", long)] == ["duration_too_long"]
    assert check_media("x", long, premium=True) == []
    assert [p.code for p in check_media("x", replace(REEL, width=720, height=1280, duration_s=0.3))] == [
        "duration_too_short"
    ]


def test_threads_accepts_png_and_refuses_over_10_to_1() -> None:
    assert check_media("threads", replace(FEED_JPEG, container="png")) == []
    assert [p.code for p in check_media("threads", replace(FEED_JPEG, width=4400, height=400))] == [
        "aspect_out_of_range"
    ]

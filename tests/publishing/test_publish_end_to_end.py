"""Scheduled posts go out through the sandbox over HTTP, exactly once, with per-platform results."""

from collections import Counter

from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, T0, Studio


def _no_duplicates(studio: Studio, platform: Platform) -> list[dict]:
    published = studio.published(platform)
    counts = Counter(item["remote_id"] for item in published)
    assert all(n == 1 for n in counts.values()), counts
    return published


def test_scheduled_posts_publish_to_all_four_platforms(studio: Studio) -> None:
    image_post = studio.post(["instagram", "threads", "x", "tiktok"], media=[studio.media.portrait_jpeg])
    video_post = studio.post(["instagram", "tiktok", "x"], media=[studio.media.clip_with_audio], body="Studio day")
    text_post = studio.post(["threads", "x"], body="Thank you for 10k!")

    runs = studio.tick(AFTER_T0)

    assert [(r.partition_key, r.success) for r in runs] == [("2026-11-02-17:00", True)]
    for post_id, platforms in ((image_post, 4), (video_post, 3), (text_post, 2)):
        states = {p: e["state"] for p, e in studio.per_platform(post_id).items()}
        assert list(states.values()) == ["published"] * platforms, states
        assert studio.row(post_id).status.value == "posted"
    assert len(_no_duplicates(studio, Platform.X)) == 3
    assert len(_no_duplicates(studio, Platform.INSTAGRAM)) == 2
    assert len(_no_duplicates(studio, Platform.TIKTOK)) == 2
    assert len(_no_duplicates(studio, Platform.THREADS)) == 2


def test_a_second_tick_publishes_nothing_again(studio: Studio) -> None:
    post_id = studio.post(["x", "threads"])
    studio.tick(AFTER_T0)
    assert studio.tick(AFTER_T0.replace(minute=30)) == []
    assert len(studio.published(Platform.X)) == 1
    assert studio.per_platform(post_id)["x"]["attempts"] == 1


def test_a_post_in_the_open_window_waits_for_the_next_tick(studio: Studio) -> None:
    studio.post(["x"], at=T0.replace(minute=20))
    assert studio.tick(AFTER_T0) == []
    assert studio.published(Platform.X) == []

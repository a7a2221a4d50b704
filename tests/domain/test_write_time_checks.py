"""A post is checked when it is written, in publishing's own words: whatever a platform would refuse and can be
known without calling it. Drafts may be unfinished; scheduling one checks it. A refused post writes nothing."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from azmth_pipelines.db.models import ContentPost, ContentPostMedia, MediaAsset
from azmth_pipelines.domain.artists import create_artist
from azmth_pipelines.domain.errors import ValidationError
from azmth_pipelines.domain.posts import MediaInput, create_post, update_post
from azmth_pipelines.media.samples import make_image
from azmth_pipelines.vocabulary import PostStatus

SOON = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)


@pytest.fixture
def artist_id(session: Session) -> int:
    artist = create_artist(session, name="Nova")
    session.commit()  # the refusals below roll back; the artist stays
    return artist.id


@pytest.fixture
def panorama(tmp_path: Path) -> Path:
    """2.4:1, wider than Instagram's 1.91:1."""
    return make_image(tmp_path / "panorama.jpg", 1440, 600)


def _rows(session: Session) -> list[int]:
    return [
        session.scalar(select(func.count()).select_from(m)) or 0 for m in (ContentPost, ContentPostMedia, MediaAsset)
    ]


def refused(session: Session, artist_id: int, *, status: str = "scheduled", **post: Any) -> str:
    """The refusal of a post for SOON, as `field: rule`, having checked that nothing was written."""
    with pytest.raises(ValidationError) as refusal:
        create_post(session, artist_id=artist_id, scheduled_for=SOON, status=status, **post)
    session.rollback()
    assert _rows(session) == [0, 0, 0]
    return str(refusal.value)


@pytest.mark.parametrize(
    ("platform", "caption", "expected"),
    [
        ("x", "x" * 300, "X: caption is 300 characters as X counts them (links 23, emoji 2); at most 280"),
        ("x", "\U0001f3b6" * 141, "X: caption is 282 characters as X counts them"),  # 141 emoji weigh 2 each
        ("tiktok", "\U0001f3b6" * 1101, "TikTok: caption is 2202 characters; at most 2200"),  # UTF-16 units
        ("instagram", "a" * 2201, "Instagram: caption is 2201 characters; at most 2200"),
        ("instagram", " ".join(f"#tag{n}" for n in range(31)), "Instagram: 31 hashtags; at most 30"),
        ("instagram", " ".join(f"@fan{n}" for n in range(21)), "Instagram: 21 @mentions; at most 20"),
        ("threads", "la " * 200, "Threads: caption is 600 characters; at most 500"),
    ],
)
def test_each_platform_counts_the_caption_it_gets_as_it_counts_it(
    session: Session, artist_id: int, sample_video_with_audio: Path, platform: str, caption: str, expected: str
) -> None:
    media = [MediaInput(sample_video_with_audio)] if platform in ("tiktok", "instagram") else []
    as_body = refused(session, artist_id, platforms=[platform], body=caption, media=media)
    assert as_body.startswith(f"body: {expected}")
    overrides = {platform: caption}
    as_override = refused(
        session, artist_id, platforms=[platform], body="Out Friday", caption_overrides=overrides, media=media
    )
    assert as_override.startswith(f"caption_overrides.{platform}: {expected}")


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("instagram", "media: Instagram needs a photo or a video: add media or remove Instagram from the post"),
        ("tiktok", "media: TikTok needs a video or photos: add media or remove TikTok from the post"),
    ],
)
def test_instagram_and_tiktok_posts_need_media(session: Session, artist_id: int, platform: str, expected: str) -> None:
    assert refused(session, artist_id, platforms=[platform], body="Out Friday") == expected


@pytest.mark.parametrize(
    ("platform", "files", "expected"),
    [
        ("x", ["jpeg"] * 5, "media: X: a post takes up to 4 images; it has 5 - remove some"),
        ("x", ["jpeg", "video"], "media: X: a post takes one video or GIF on its own, or up to 4 images"),
        ("tiktok", ["video", "jpeg"], "media: TikTok: a post is one video or up to 35 photos"),
        ("tiktok", ["jpeg"] * 36, "media: TikTok: a photo post takes up to 35 photos; it has 36"),
        ("instagram", ["jpeg"] * 11, "media: Instagram: a carousel holds up to 10 photos and videos; it has 11"),
        ("threads", ["jpeg"] * 21, "media: Threads: a carousel holds up to 20 photos and videos; it has 21"),
    ],
)
def test_each_platform_takes_its_own_number_and_mix_of_media(
    session: Session,
    artist_id: int,
    sample_jpeg: Path,
    sample_video_with_audio: Path,
    platform: str,
    files: list[str],
    expected: str,
) -> None:
    paths = {"jpeg": sample_jpeg, "video": sample_video_with_audio}
    media = [MediaInput(paths[name]) for name in files]
    assert refused(session, artist_id, platforms=[platform], body="Out Friday", media=media).startswith(expected)


def test_an_image_outside_a_platforms_aspect_range_needs_a_crop_that_fits(
    session: Session, artist_id: int, panorama: Path
) -> None:
    assert refused(session, artist_id, platforms=["instagram", "threads"], media=[MediaInput(panorama)]) == (
        "media.0: Instagram: image aspect 2.40:1 is outside 4:5 to 1.91:1 - re-crop to 4:5 or 1:1"
    )
    too_tall = MediaInput(panorama, crops={"instagram": {"aspect": "9:16"}})
    assert refused(session, artist_id, platforms=["instagram"], media=[too_tall]).startswith(
        "media.0: Instagram: image aspect 0.56:1 is outside 4:5 to 1.91:1"
    )
    cropped = MediaInput(panorama, crops={"instagram": {"aspect": "4:5"}})
    post = create_post(
        session,
        artist_id=artist_id,
        platforms=["instagram", "threads"],
        media=[cropped],
        scheduled_for=SOON,
        status="scheduled",
    )
    assert post.media[0].crops == {"instagram": {"aspect": "4:5"}}


def test_a_crop_needs_a_picture_to_crop_even_in_a_draft(
    session: Session, artist_id: int, sample_video_with_audio: Path, sample_jpeg: Path
) -> None:
    on_video = MediaInput(sample_video_with_audio, crops={"instagram": {"aspect": "4:5"}})
    for status in ("draft", "scheduled"):
        assert refused(session, artist_id, platforms=["instagram"], media=[on_video], status=status) == (
            "crops.instagram: media 0 (reel-with-audio.mp4) is a video; crops apply to images"
        )
    outside = MediaInput(sample_jpeg, crops={"instagram": {"box": [0, 0, 2000, 2000]}})
    assert refused(session, artist_id, platforms=["instagram"], media=[outside]).startswith(
        "crops.instagram: The crop box 0,0,2000,2000 reaches outside the 1080x1350 picture"
    )
    elsewhere = MediaInput(sample_jpeg, crops={"threads": {"aspect": "1:1"}})
    assert refused(session, artist_id, platforms=["instagram"], media=[elsewhere]) == (
        "crops: crop for Threads, which the post doesn't target"
    )
    post = create_post(session, artist_id=artist_id, platforms=["instagram", "threads"], media=[elsewhere])
    with pytest.raises(ValidationError, match="crops: crop for Threads, which the post doesn't target"):
        update_post(session, post.id, platforms=["instagram"])


@pytest.mark.parametrize(
    ("platform", "options", "files", "expected"),
    [
        (
            "instagram",
            {"path": "A", "placement": "reels"},
            ["jpeg"],
            "media.0: Instagram: Reels must be videos - choose a video or post the image to the feed",
        ),
        (
            "instagram",
            {"share_to_feed": True},
            ["jpeg"],
            "platform_options.instagram.share_to_feed: Instagram: share_to_feed applies to Reels only",
        ),
        (
            "instagram",
            {"placement": "stories"},
            ["jpeg", "jpeg"],
            "platform_options.instagram.placement: Instagram: a story is one photo or video; this post has 2",
        ),
        (
            "tiktok",
            {"disable_duet": True},
            ["jpeg"],
            "platform_options.tiktok.disable_duet: TikTok: disable_duet applies to videos",
        ),
    ],
)
def test_options_the_media_cannot_take_are_refused(
    session: Session,
    artist_id: int,
    sample_jpeg: Path,
    platform: str,
    options: dict[str, Any],
    files: list[str],
    expected: str,
) -> None:
    media = [MediaInput(sample_jpeg) for _ in files]
    post = {"platforms": [platform], "media": media, "platform_options": {platform: options}}
    assert refused(session, artist_id, **post).startswith(expected)


def test_a_draft_may_be_unfinished_and_scheduling_it_checks_it(session: Session, artist_id: int) -> None:
    draft = create_post(session, artist_id=artist_id, platforms=["x", "instagram"], body="x" * 300)
    session.commit()
    with pytest.raises(ValidationError, match=r"^body: X: caption is 300 characters"):
        update_post(session, draft.id, status="scheduled", scheduled_for=SOON)
    session.rollback()
    with pytest.raises(ValidationError, match=r"^media: Instagram needs a photo or a video"):
        update_post(session, draft.id, status="scheduled", scheduled_for=SOON, body="Out Friday")
    session.rollback()
    assert session.get(ContentPost, draft.id).status is PostStatus.DRAFT  # type: ignore[union-attr]
    scheduled = update_post(
        session, draft.id, platforms=["x"], body="Out Friday", status="scheduled", scheduled_for=SOON
    )
    session.commit()
    with pytest.raises(ValidationError, match=r"^body: X: caption is 300 characters"):
        update_post(session, scheduled.id, body="x" * 300)

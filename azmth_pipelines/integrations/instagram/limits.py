"""Instagram's documented media and text limits (Instagram API with Facebook Login, content publishing).

Sources: https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media
("Image specifications", "Reel specifications", "Story specifications") and .../content-publishing (caption).
"""

from collections.abc import Sequence
from typing import Final

from azmth_pipelines.integrations.common.captions import hashtag_count, mention_count
from azmth_pipelines.integrations.common.rules import Rules, carousel
from azmth_pipelines.media.checks import Findings, seconds
from azmth_pipelines.media.probe import MediaProbe
from azmth_pipelines.vocabulary import MediaKind, Platform

PLATFORM: Final = "instagram"

# Feed images: "JPEG only" (MPO/JPS are refused), 4:5 .. 1.91:1, 320-1440 px wide (Meta scales; not an error).
IMAGE_CONTAINERS: Final = frozenset({"jpeg"})
IMAGE_MAX_BYTES: Final = 8 * 1024**2
IMAGE_MIN_ASPECT: Final = 4 / 5
IMAGE_MAX_ASPECT: Final = 1.91
IMAGE_MIN_WIDTH_PX: Final = 320
IMAGE_MAX_WIDTH_PX: Final = 1440
IMAGE_COLOR_SPACE: Final = "sRGB"

# Reels.
REEL_CONTAINERS: Final = frozenset({"mp4", "mov"})
REEL_VIDEO_CODECS: Final = frozenset({"h264", "hevc"})
REEL_AUDIO_CODECS: Final = frozenset({"aac"})
REEL_MIN_FPS: Final = 23.0
REEL_MAX_FPS: Final = 60.0
REEL_MAX_WIDTH_PX: Final = 1920
REEL_MIN_ASPECT: Final = 0.01
REEL_MAX_ASPECT: Final = 10.0
REEL_MIN_DURATION_S: Final = 3.0
REEL_MAX_DURATION_S: Final = 15 * 60
# Current reference says 300 MB; older revisions said 1 GB. The stricter one is safe against both.
REEL_MAX_BYTES: Final = 300 * 1024**2
# Product rule, not Meta's: AZMTH trims Reels to under 90 s before publishing (media/trim.py).
PRODUCT_REEL_MAX_DURATION_S: Final = 90

# Stories: images as feed (9:16 recommended, any ratio accepted); videos as Reels but these bounds.
STORY_IMAGE_CONTAINERS: Final = frozenset({"jpeg"})
STORY_IMAGE_MAX_BYTES: Final = 8 * 1024**2
STORY_VIDEO_MIN_ASPECT: Final = 0.1
STORY_VIDEO_MAX_ASPECT: Final = 10.0
STORY_VIDEO_MIN_DURATION_S: Final = 3.0
STORY_VIDEO_MAX_DURATION_S: Final = 60.0
STORY_VIDEO_MAX_BYTES: Final = 100 * 1024**2

# Caption (content-publishing guide): characters, hashtags and @-mentions.
CAPTION_MAX_CHARS: Final = 2200
CAPTION_MAX_HASHTAGS: Final = 30
CAPTION_MAX_MENTIONS: Final = 20
ALT_TEXT_MAX_CHARS: Final = 1000
CAROUSEL_MAX_ITEMS: Final = 10


def caption_problem(caption: str, media_kinds: Sequence[MediaKind], fix: str) -> str | None:
    """Why Instagram would refuse the caption, worded with the fix; None when it is fine."""
    if len(caption) > CAPTION_MAX_CHARS:
        return f"Instagram: caption is {len(caption)} characters; at most {CAPTION_MAX_CHARS} - {fix}"
    hashtags = hashtag_count(caption)
    if hashtags > CAPTION_MAX_HASHTAGS:
        return f"Instagram: {hashtags} hashtags; at most {CAPTION_MAX_HASHTAGS} - remove some"
    mentions = mention_count(caption)
    if mentions > CAPTION_MAX_MENTIONS:
        return f"Instagram: {mentions} @mentions; at most {CAPTION_MAX_MENTIONS} - remove some"
    return None


def media_problems(
    found: Findings, probe: MediaProbe, *, placement: str, creator_max_s: int | None, premium: bool
) -> None:
    """Every way `probe` breaks Instagram's limits for `placement` (feed, reels or story)."""
    if probe.kind == "image":
        if placement == "reels":
            found.add("wrong_media_kind", "Reels must be videos - choose a video or post the image to the feed")
            return
        found.container(probe, IMAGE_CONTAINERS, "save it as JPEG", auto_fix="reencode_image")
        found.max_bytes(probe, IMAGE_MAX_BYTES, "save it as a JPEG at quality 85 or resize it")
        if probe.color_mode not in (None, "RGB", "L"):
            # Meta asks for sRGB; CMYK or alpha JPEG/PNG come out with wrong colours or are refused.
            found.add(
                "unsupported_color_mode",
                f"{probe.color_mode} images are not accepted (sRGB only) - save it as an RGB JPEG",
                auto_fix="reencode_image",
            )
        if placement == "feed":
            found.aspect(probe, IMAGE_MIN_ASPECT, IMAGE_MAX_ASPECT, "4:5", "1.91:1", "re-crop to 4:5 or 1:1")
            if probe.width < IMAGE_MIN_WIDTH_PX:
                found.add(
                    "image_too_small",
                    f"the image is {probe.width} px wide; Meta scales it up from under {IMAGE_MIN_WIDTH_PX} px "
                    "and it will look soft - use a larger original",
                    severity="warning",
                )
        return
    story = placement == "story"
    found.container(probe, REEL_CONTAINERS, "export it as MP4", auto_fix="transcode")
    found.codecs(probe, REEL_VIDEO_CODECS, REEL_AUDIO_CODECS)
    if not probe.has_audio:
        found.add(
            "missing_audio_track",
            "the video has no audio track, which Instagram refuses - AZMTH adds a silent track before publishing",
            auto_fix="add_silent_audio",
        )
    found.fps(probe, REEL_MIN_FPS, REEL_MAX_FPS)
    if probe.width > REEL_MAX_WIDTH_PX:
        found.add(
            "video_too_wide",
            f"the video is {probe.width} px wide, over {REEL_MAX_WIDTH_PX} px - export it at 1080x1920",
            auto_fix="transcode",
        )
    if story:
        found.aspect(probe, STORY_VIDEO_MIN_ASPECT, STORY_VIDEO_MAX_ASPECT, "1:10", "10:1", "re-crop to 9:16")
        found.duration(probe, STORY_VIDEO_MIN_DURATION_S, STORY_VIDEO_MAX_DURATION_S, "trim it to 60 seconds")
        found.max_bytes(probe, STORY_VIDEO_MAX_BYTES, "export it at a lower bitrate or trim it")
        return
    found.aspect(probe, REEL_MIN_ASPECT, REEL_MAX_ASPECT, "1:100", "10:1", "re-crop to 9:16")
    found.duration(probe, REEL_MIN_DURATION_S, REEL_MAX_DURATION_S, "trim it to under 90 seconds")
    if probe.duration_s is not None and PRODUCT_REEL_MAX_DURATION_S < probe.duration_s <= REEL_MAX_DURATION_S:
        found.add(
            "reel_will_be_trimmed",
            f"the video is {seconds(probe.duration_s)} long and AZMTH publishes Reels of at most "
            f"{PRODUCT_REEL_MAX_DURATION_S} s, so it will be cut there - trim it yourself to choose the cut",
            severity="warning",
            auto_fix="trim",
        )
    found.max_bytes(probe, REEL_MAX_BYTES, "export it at a lower bitrate (25 Mbps at most) or trim it")


RULES = Rules(
    Platform.INSTAGRAM,
    caption_problem,
    media_problems,
    carousel(CAROUSEL_MAX_ITEMS),
    media_needed="a photo or a video",
    # Reels over the product's length are trimmed when publishing (media/trim.py).
    fixed_when_publishing=frozenset({"reencode_image", "add_silent_audio", "trim"}),
)

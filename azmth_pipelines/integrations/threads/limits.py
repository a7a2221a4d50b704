"""Threads' documented media and text limits.

Sources: https://developers.facebook.com/docs/threads/create-posts (text, links) and Meta's Threads media
specifications (mirrored by https://www.ayrshare.com/docs/media-guidelines/threads).
"""

from collections.abc import Sequence
from typing import Final

from azmth_pipelines.integrations.common.rules import Rules, carousel
from azmth_pipelines.media.checks import Findings
from azmth_pipelines.media.probe import MediaProbe
from azmth_pipelines.vocabulary import MediaKind, Platform

PLATFORM: Final = "threads"

IMAGE_CONTAINERS: Final = frozenset({"jpeg", "png"})
IMAGE_MAX_BYTES: Final = 8 * 1024**2
IMAGE_MAX_ASPECT: Final = 10.0  # "ratio <= 10:1", read as either orientation
IMAGE_MIN_WIDTH_PX: Final = 320
IMAGE_MAX_WIDTH_PX: Final = 1440  # Meta scales wider images; not an error

VIDEO_CONTAINERS: Final = frozenset({"mp4", "mov"})
VIDEO_CODECS: Final = frozenset({"h264", "hevc"})
AUDIO_CODECS: Final = frozenset({"aac"})
VIDEO_MIN_FPS: Final = 23.0
VIDEO_MAX_FPS: Final = 60.0
VIDEO_MAX_WIDTH_PX: Final = 1920
VIDEO_MIN_ASPECT: Final = 0.01
VIDEO_MAX_ASPECT: Final = 10.0
VIDEO_MAX_DURATION_S: Final = 5 * 60
VIDEO_MAX_BYTES: Final = 1024**3

# Text: 500 characters, emoji counted by their UTF-8 bytes (create-posts); <= 5 links (third-party).
TEXT_MAX_CHARS: Final = 500
TEXT_MAX_LINKS: Final = 5
CAROUSEL_MAX_ITEMS: Final = 20  # 2-20 per third parties; older docs said 10 (UNCONFIRMED)


def caption_problem(caption: str, media_kinds: Sequence[MediaKind], fix: str) -> str | None:
    """Why Threads would refuse the caption, worded with the fix; None when it is fine."""
    # Threads counts emoji by their UTF-8 bytes (create-posts doc): count the same way.
    size = sum(len(ch.encode()) if ord(ch) > 0xFFFF else 1 for ch in caption)
    if size > TEXT_MAX_CHARS:
        return f"Threads: caption is {size} characters; at most {TEXT_MAX_CHARS} - {fix}"
    if not caption.strip() and not media_kinds:
        return "Threads: a text post needs text - write a body or a Threads caption"
    return None


def media_problems(
    found: Findings, probe: MediaProbe, *, placement: str, creator_max_s: int | None, premium: bool
) -> None:
    """Every way `probe` breaks Threads' limits."""
    if probe.kind == "image":
        found.container(probe, IMAGE_CONTAINERS, "save it as JPEG or PNG", auto_fix="reencode_image")
        found.max_bytes(probe, IMAGE_MAX_BYTES, "save it as a JPEG at quality 85 or resize it")
        found.aspect(probe, 1 / IMAGE_MAX_ASPECT, IMAGE_MAX_ASPECT, "1:10", "10:1", "re-crop to 4:5 or 1:1")
        return
    found.container(probe, VIDEO_CONTAINERS, "export it as MP4", auto_fix="transcode")
    found.codecs(probe, VIDEO_CODECS, AUDIO_CODECS)
    found.fps(probe, VIDEO_MIN_FPS, VIDEO_MAX_FPS)
    if probe.width > VIDEO_MAX_WIDTH_PX:
        found.add(
            "video_too_wide",
            f"the video is {probe.width} px wide, over {VIDEO_MAX_WIDTH_PX} px - export it at 1080 px wide",
            auto_fix="transcode",
        )
    found.aspect(probe, VIDEO_MIN_ASPECT, VIDEO_MAX_ASPECT, "1:100", "10:1", "re-crop to 9:16")
    found.duration(probe, None, VIDEO_MAX_DURATION_S, "trim it to 5 minutes")
    found.max_bytes(probe, VIDEO_MAX_BYTES, "export it at a lower bitrate or trim it")


RULES = Rules(Platform.THREADS, caption_problem, media_problems, carousel(CAROUSEL_MAX_ITEMS))

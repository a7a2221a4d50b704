"""Threads' documented media and text limits.

Sources: developers.facebook.com/docs/threads/create-posts (text, links) and Meta's Threads media
specifications (mirrored by ayrshare media-guidelines). See shared/platform-apis.md 3.2.
"""

from typing import Final

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

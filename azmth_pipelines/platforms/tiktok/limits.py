"""TikTok's documented media and text limits (Content Posting API).

Sources: developers.tiktok.com/doc/content-posting-api-media-transfer-guide (video/photo restrictions),
content-posting-api-reference-direct-post (title), content-posting-api-reference-photo-post (title/description),
content-posting-api-reference-query-creator-info (max_video_post_duration_sec). See shared/platform-apis.md 1.4.
"""

from typing import Final

PLATFORM: Final = "tiktok"

# Video (media transfer guide, "Video restrictions").
VIDEO_CONTAINERS: Final = frozenset({"mp4", "webm", "mov"})
VIDEO_CODECS: Final = frozenset({"h264", "hevc", "vp8", "vp9"})
VIDEO_MIN_FPS: Final = 23.0
VIDEO_MAX_FPS: Final = 60.0
VIDEO_MIN_SIDE_PX: Final = 360
VIDEO_MAX_SIDE_PX: Final = 4096
VIDEO_MAX_BYTES: Final = 4 * 1024**3
# The API allows up to 10 minutes, but each creator's own cap (creator_info.max_video_post_duration_sec:
# 180/300/600 s) governs; callers pass that live value, this is only the ceiling when they cannot.
VIDEO_MAX_DURATION_S: Final = 600
# No documented minimum; TikTok's app refuses clips under about 1 s (UNCONFIRMED), so we do not check one.

# Photo posts (photo-post reference; PNG rejected per third parties - UNCONFIRMED officially).
PHOTO_CONTAINERS: Final = frozenset({"jpeg", "webp"})
PHOTO_MAX_BYTES: Final = 20 * 1024**2
# "Maximum 1080p" (1080x1920 either way round): larger photos are scaled down, so we only warn.
PHOTO_MAX_SHORT_SIDE_PX: Final = 1080
PHOTO_MAX_LONG_SIDE_PX: Final = 1920
PHOTO_MAX_PER_POST: Final = 35

# Text, counted in UTF-16 code units.
VIDEO_TITLE_MAX_UTF16: Final = 2200
PHOTO_TITLE_MAX_UTF16: Final = 90
PHOTO_DESCRIPTION_MAX_UTF16: Final = 4000

"""Instagram's documented media and text limits (Instagram API with Facebook Login, content publishing).

Sources: developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media
("Image specifications", "Reel specifications", "Story specifications") and .../content-publishing (caption).
See shared/platform-apis.md 2.3-2.4.
"""

from typing import Final

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

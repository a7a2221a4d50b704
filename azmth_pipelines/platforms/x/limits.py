"""X's documented media and text limits (API v2).

Sources: docs.x.com/x-api/media/quickstart/best-practices ("Size and duration limits", "Image specifications",
"Video specifications"), docs.x.com/fundamentals/counting-characters. See shared/platform-apis.md 4.3, 4.8.
The older 512 MB / 140 s video cap now applies only to DM video; Post video is 20 min / 8 GB by default and
125 min / 16 GB for Premium/verified users (limits follow the posting user, not the developer plan).
"""

from typing import Final

PLATFORM: Final = "x"

IMAGE_CONTAINERS: Final = frozenset({"jpeg", "png", "webp", "gif"})
IMAGE_MAX_BYTES: Final = 5 * 1024**2
GIF_MAX_BYTES: Final = 15 * 1024**2
GIF_MAX_WIDTH_PX: Final = 1280  # recommendation (GIFs above may fail at post creation)
GIF_MAX_HEIGHT_PX: Final = 1080
IMAGES_MAX_PER_POST: Final = 4

VIDEO_CONTAINERS: Final = frozenset({"mp4", "mov"})
VIDEO_CODECS: Final = frozenset({"h264"})  # "H264 High Profile" recommended; HEVC not listed
AUDIO_CODECS: Final = frozenset({"aac"})  # AAC-LC only
VIDEO_MAX_FPS: Final = 60.0
VIDEO_MIN_SIDE_PX: Final = 32
# "between 32x32 and 1280x1024", read either way round since 720x1280 portrait is the recommended size;
# subscribers' 1080p uploads are accepted too, so exceeding it is only a warning.
VIDEO_MAX_LONG_SIDE_PX: Final = 1280
VIDEO_MAX_SHORT_SIDE_PX: Final = 1024
VIDEO_MIN_ASPECT: Final = 1 / 3
VIDEO_MAX_ASPECT: Final = 3.0
VIDEO_MIN_DURATION_S: Final = 0.5
VIDEO_MAX_DURATION_S: Final = 20 * 60
VIDEO_MAX_BYTES: Final = 8 * 1024**3
PREMIUM_VIDEO_MAX_DURATION_S: Final = 125 * 60
PREMIUM_VIDEO_MAX_BYTES: Final = 16 * 1024**3

# Text: 280 weighted characters; every URL counts 23 (t.co); CJK and emoji weigh 2 (counting-characters).
TEXT_MAX_WEIGHTED: Final = 280
URL_WEIGHT: Final = 23

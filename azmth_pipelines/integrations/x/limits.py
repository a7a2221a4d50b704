"""X's documented media and text limits (API v2).

Sources: https://docs.x.com/x-api/media/quickstart/best-practices ("Size and duration limits", "Image
specifications", "Video specifications"), https://docs.x.com/fundamentals/counting-characters.
The older 512 MB / 140 s video cap now applies only to DM video; Post video is 20 min / 8 GB by default and
125 min / 16 GB for Premium/verified users (limits follow the posting user, not the developer plan).
"""

from collections.abc import Sequence
from typing import Final

from twitter_text import parse_tweet

from azmth_pipelines.integrations.common.budget import BudgetRule
from azmth_pipelines.integrations.common.rules import Rules
from azmth_pipelines.media.checks import Findings, PostFile, seconds
from azmth_pipelines.media.probe import MediaProbe
from azmth_pipelines.vocabulary import MediaKind, Platform

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

# Requests the app may make, counted across every worker (budget.py). POST /2/tweets: 100 per user and 1,667 per app
# in any 24 hours on the Basic tier (https://docs.x.com/x-api/fundamentals/rate-limits); another tier sets its own
# numbers with AZMTH_REQUEST_BUDGETS.
REQUEST_BUDGETS: Final = (
    BudgetRule("create_post_per_app", "POST", "/2/tweets", "1667/day", "app"),
    BudgetRule("create_post_per_user", "POST", "/2/tweets", "100/day", "account"),
)

# Text: 280 weighted characters; every URL counts 23 (t.co); CJK and emoji weigh 2 (counting-characters).
TEXT_MAX_WEIGHTED: Final = 280
URL_WEIGHT: Final = 23


def caption_problem(caption: str, media_kinds: Sequence[MediaKind], fix: str) -> str | None:
    """Why X would refuse the caption, worded with the fix; None when it is fine."""
    weighted = parse_tweet(caption).weightedLength
    if weighted > TEXT_MAX_WEIGHTED:
        return (
            f"X: caption is {weighted} characters as X counts them (links 23, emoji 2); "
            f"at most {TEXT_MAX_WEIGHTED} - {fix}"
        )
    return None


def media_problems(
    found: Findings, probe: MediaProbe, *, placement: str, creator_max_s: int | None, premium: bool
) -> None:
    """Every way `probe` breaks X's limits; limits follow the posting user (`premium`: Premium/verified)."""
    if probe.kind == "image":
        found.container(probe, IMAGE_CONTAINERS, "save it as JPEG or PNG", auto_fix="reencode_image")
        if probe.container == "gif":
            found.max_bytes(probe, GIF_MAX_BYTES, "shorten the GIF or post it as an MP4 video")
        else:
            found.max_bytes(probe, IMAGE_MAX_BYTES, "save it as a JPEG at quality 85 or resize it")
        return
    found.container(probe, VIDEO_CONTAINERS, "export it as MP4", auto_fix="transcode")
    found.codecs(probe, VIDEO_CODECS, AUDIO_CODECS)
    found.fps(probe, None, VIDEO_MAX_FPS)
    if min(probe.width, probe.height) < VIDEO_MIN_SIDE_PX:
        found.add(
            "dimensions_out_of_range",
            f"the video is {probe.width}x{probe.height}, under the {VIDEO_MIN_SIDE_PX}x{VIDEO_MIN_SIDE_PX} "
            "minimum - export it at 720x1280",
        )
    elif max(probe.width, probe.height) > VIDEO_MAX_LONG_SIDE_PX or (
        min(probe.width, probe.height) > VIDEO_MAX_SHORT_SIDE_PX
    ):
        found.add(
            "video_larger_than_recommended",
            f"the video is {probe.width}x{probe.height}; X documents {VIDEO_MAX_LONG_SIDE_PX}x"
            f"{VIDEO_MAX_SHORT_SIDE_PX} as the maximum and may downscale it - 720x1280 is safest",
            severity="warning",
        )
    found.aspect(probe, VIDEO_MIN_ASPECT, VIDEO_MAX_ASPECT, "1:3", "3:1", "re-crop to 16:9, 1:1 or 9:16")
    max_s = PREMIUM_VIDEO_MAX_DURATION_S if premium else VIDEO_MAX_DURATION_S
    found.duration(probe, VIDEO_MIN_DURATION_S, max_s, f"trim it to {seconds(max_s)}")
    found.max_bytes(probe, PREMIUM_VIDEO_MAX_BYTES if premium else VIDEO_MAX_BYTES, "export it at a lower bitrate")


def post_media_problems(found: Findings, probes: Sequence[PostFile]) -> None:
    """Whether the files fit one post: how many and which kinds together."""
    count = len(probes)
    videos = sum(probe.kind == "video" for probe in probes)
    # X attaches up to 4 images, or exactly one video or animated GIF (media best practices).
    singles = videos + sum(probe.container == "gif" for probe in probes)
    if singles and count > 1:
        found.add(
            "too_many_media",
            f"a post takes one video or GIF on its own, or up to {IMAGES_MAX_PER_POST} images; "
            f"it has {count} files - keep the video or GIF alone, or post only images",
        )
    elif count > IMAGES_MAX_PER_POST:
        found.add(
            "too_many_media",
            f"a post takes up to {IMAGES_MAX_PER_POST} images; it has {count} - remove some",
        )


RULES = Rules(Platform.X, caption_problem, media_problems, post_media_problems)

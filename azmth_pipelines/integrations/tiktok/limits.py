"""TikTok's documented media and text limits (Content Posting API).

Sources: https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide (video/photo restrictions),
content-posting-api-reference-direct-post (title), content-posting-api-reference-photo-post (title/description),
content-posting-api-reference-query-creator-info (max_video_post_duration_sec).
"""

from collections.abc import Sequence
from typing import Final

from azmth_pipelines.integrations.common.budget import BudgetRule
from azmth_pipelines.integrations.common.captions import utf16_units
from azmth_pipelines.integrations.common.rules import Rules
from azmth_pipelines.media.checks import Findings, PostFile, seconds
from azmth_pipelines.media.probe import MediaProbe
from azmth_pipelines.vocabulary import MediaKind, Platform

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


def caption_problem(caption: str, media_kinds: Sequence[MediaKind], fix: str) -> str | None:
    """Why TikTok would refuse the caption, worded with the fix; None when it is fine."""
    photo = bool(media_kinds) and media_kinds[0] is MediaKind.IMAGE
    limit = PHOTO_DESCRIPTION_MAX_UTF16 if photo else VIDEO_TITLE_MAX_UTF16
    units = utf16_units(caption)
    if units > limit:
        return f"TikTok: caption is {units} characters; at most {limit} - {fix}"
    return None


def media_problems(
    found: Findings, probe: MediaProbe, *, placement: str, creator_max_s: int | None, premium: bool
) -> None:
    """Every way `probe` breaks TikTok's limits; `creator_max_s` is the creator's live max_video_post_duration_sec."""
    if probe.kind == "image":
        found.container(probe, PHOTO_CONTAINERS, "save it as JPEG or WebP", auto_fix="reencode_image")
        found.max_bytes(probe, PHOTO_MAX_BYTES, "save it as a JPEG at quality 85 or resize it")
        short_side, long_side = sorted((probe.width, probe.height))
        if short_side > PHOTO_MAX_SHORT_SIDE_PX or long_side > PHOTO_MAX_LONG_SIDE_PX:
            found.add(
                "image_too_large",
                f"the photo is {probe.width}x{probe.height}; TikTok shows photos at up to 1080p and "
                "will scale it down - export it at 1080x1920 or smaller for sharp results",
                severity="warning",
            )
        return
    found.container(probe, VIDEO_CONTAINERS, "export it as MP4", auto_fix="transcode")
    found.codecs(probe, VIDEO_CODECS, None)
    found.fps(probe, VIDEO_MIN_FPS, VIDEO_MAX_FPS)
    short, long = min(probe.width, probe.height), max(probe.width, probe.height)
    if short < VIDEO_MIN_SIDE_PX or long > VIDEO_MAX_SIDE_PX:
        found.add(
            "dimensions_out_of_range",
            f"the video is {probe.width}x{probe.height}; each side must be {VIDEO_MIN_SIDE_PX} to "
            f"{VIDEO_MAX_SIDE_PX} px - export it at 1080x1920",
            auto_fix="transcode",
        )
    limit = creator_max_s or VIDEO_MAX_DURATION_S
    whose = "this account's" if creator_max_s else "TikTok's"
    if probe.duration_s is not None and probe.duration_s > limit:
        found.add(
            "duration_too_long",
            f"the video is {seconds(probe.duration_s)}, longer than {whose} {seconds(limit)} maximum - "
            f"trim it to {seconds(limit)}",
            auto_fix="trim",
        )
    found.max_bytes(probe, VIDEO_MAX_BYTES, "export it at a lower bitrate or trim it")


def post_media_problems(found: Findings, probes: Sequence[PostFile]) -> None:
    """Whether the files fit one post: how many and which kinds together."""
    count = len(probes)
    videos = sum(probe.kind == "video" for probe in probes)
    if videos and count > 1:
        found.add(
            "too_many_media",
            f"a post is one video or up to {PHOTO_MAX_PER_POST} photos; it has {count} files with "
            f"{videos} video(s) - keep one video, or post only photos",
        )
    elif count > PHOTO_MAX_PER_POST:
        found.add(
            "too_many_media",
            f"a photo post takes up to {PHOTO_MAX_PER_POST} photos; it has {count} - remove some",
        )


# Requests the app may make, counted across every worker (budget.py): 600 a minute for each of these endpoints, over
# a one-minute sliding window (https://developers.tiktok.com/doc/tiktok-api-v2-rate-limit).
REQUEST_BUDGETS: Final = (
    BudgetRule("user_info_per_app", "GET", "/v2/user/info/", "600/minute", "app"),
    BudgetRule("video_list_per_app", "POST", "/v2/video/list/", "600/minute", "app"),
    BudgetRule("video_query_per_app", "POST", "/v2/video/query/", "600/minute", "app"),
)

RULES = Rules(Platform.TIKTOK, caption_problem, media_problems, post_media_problems, media_needed="a video or photos")

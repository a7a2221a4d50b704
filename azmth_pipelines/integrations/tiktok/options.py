"""What a TikTok post lets the artist choose: direct post or drafts inbox, privacy, and interactions."""

from typing import Final

from azmth_pipelines.integrations.common.options import YES_OR_NO, PostOptions
from azmth_pipelines.vocabulary import TikTokMode

# TikTok's privacy_level values (Content Posting API, query creator info).
PRIVACY_LEVELS: Final = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")

OPTIONS = PostOptions(
    choices={
        "mode": tuple(m.value for m in TikTokMode),
        "privacy_level": PRIVACY_LEVELS,
        "disable_comment": YES_OR_NO,
        "disable_duet": YES_OR_NO,
        "disable_stitch": YES_OR_NO,
    },
    defaults={"mode": TikTokMode.DIRECT.value},
    # Photo posts take no duet or stitch setting (photo-post reference: post_info has disable_comment only).
    video_only=("disable_duet", "disable_stitch"),
)

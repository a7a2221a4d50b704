"""Per-platform post options: what each platform lets the artist choose, with defaults.

Stored in `content_post.platform_options` as {platform: {option: value}}; only the keys below are accepted,
so a typo in the web app is an error at write time, not a silent default at publish time.
"""

from collections.abc import Sequence
from typing import Any

from azmth_pipelines.domain.errors import ValidationError
from azmth_pipelines.vocabulary import InstagramPath, MediaKind, Platform, TikTokMode

# TikTok's privacy_level values (Content Posting API, query creator info).
TIKTOK_PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
INSTAGRAM_PLACEMENTS = ("feed", "reels", "stories")

_CHOICES: dict[Platform, dict[str, tuple[Any, ...]]] = {
    Platform.TIKTOK: {
        "mode": tuple(m.value for m in TikTokMode),
        "privacy_level": TIKTOK_PRIVACY_LEVELS,
        "disable_comment": (True, False),
        "disable_duet": (True, False),
        "disable_stitch": (True, False),
    },
    Platform.INSTAGRAM: {
        "path": tuple(p.value for p in InstagramPath),
        "placement": INSTAGRAM_PLACEMENTS,
        "share_to_feed": (True, False),
    },
    Platform.THREADS: {},
    Platform.X: {},
}

DEFAULTS: dict[Platform, dict[str, Any]] = {
    Platform.TIKTOK: {"mode": TikTokMode.DIRECT.value},
    Platform.INSTAGRAM: {"path": InstagramPath.A.value},
    Platform.THREADS: {},
    Platform.X: {},
}


def validate(options: dict[str, Any] | None, platforms: list[Platform]) -> dict[str, dict[str, Any]]:
    """Check options against the allowed choices; options for an untargeted platform are refused."""
    checked: dict[str, dict[str, Any]] = {}
    for key, values in (options or {}).items():
        try:
            platform = Platform(key)
        except ValueError:
            raise ValidationError("platform_options", f"unknown platform {key!r}") from None
        if platform not in platforms:
            raise ValidationError("platform_options", f"options for {platform.label}, which the post doesn't target")
        if not isinstance(values, dict):
            raise ValidationError(f"platform_options.{platform.value}", "must be an object of option: value")
        allowed = _CHOICES[platform]
        for name, value in values.items():
            if name not in allowed:
                names = ", ".join(allowed) or "none"
                raise ValidationError(
                    f"platform_options.{platform.value}.{name}",
                    f"unknown option; {platform.label} takes {names}",
                )
            if value not in allowed[name]:
                choices = ", ".join(str(c) for c in allowed[name])
                raise ValidationError(f"platform_options.{platform.value}.{name}", f"{value!r} is not one of {choices}")
        checked[platform.value] = dict(values)
    return checked


def effective(options: dict[str, Any], platform: Platform) -> dict[str, Any]:
    """The options publishing uses: the post's choices over the platform's defaults."""
    return {**DEFAULTS[platform], **options.get(platform.value, {})}


def instagram_placement(options: dict[str, Any], first: MediaKind | None) -> str:
    """Where an Instagram post goes: the chosen placement, else a video is a Reel and a picture a feed post."""
    return options.get("placement") or ("reels" if first is MediaKind.VIDEO else "feed")


# TikTok photo posts take no duet or stitch setting (photo-post reference: post_info has disable_comment only).
_VIDEO_ONLY = {Platform.TIKTOK: ("disable_duet", "disable_stitch")}


def media_misfit(platform: Platform, options: dict[str, Any], kinds: Sequence[MediaKind]) -> ValidationError | None:
    """An option (as `effective` gives them) the post's media cannot take, which publishing would drop or refuse.

    A Reel on a still image is left to the media checks (media/checks.py), which word it as publishing does.
    """
    field = f"platform_options.{platform.value}"
    if kinds and MediaKind.VIDEO not in kinds:
        for name in _VIDEO_ONLY.get(platform, ()):
            if name in options:
                return ValidationError(
                    f"{field}.{name}", f"{platform.label}: {name} applies to videos; photo posts have no such setting"
                )
    if platform is not Platform.INSTAGRAM:
        return None
    placement = instagram_placement(options, kinds[0] if kinds else None)
    if placement in ("reels", "stories") and len(kinds) > 1:
        one = "a Reel is one video" if placement == "reels" else "a story is one photo or video"
        return ValidationError(
            f"{field}.placement", f"Instagram: {one}; this post has {len(kinds)} - keep one or post them to the feed"
        )
    if "share_to_feed" in options and (placement != "reels" or list(kinds) != [MediaKind.VIDEO]):
        return ValidationError(f"{field}.share_to_feed", "Instagram: share_to_feed applies to Reels only")
    return None

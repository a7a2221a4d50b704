"""Per-platform post options: what each platform lets the artist choose, with defaults.

Stored in `content_post.platform_options` as {platform: {option: value}}; only the keys below are accepted,
so a typo in the web app is an error at write time, not a silent default at publish time.
"""

from typing import Any

from azmth_pipelines.domain.errors import ValidationError
from azmth_pipelines.vocabulary import InstagramPath, Platform, TikTokMode

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

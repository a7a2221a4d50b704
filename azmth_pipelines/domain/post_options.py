"""Per-platform post options: what each platform lets the artist choose, with defaults.

Stored in `content_post.platform_options` as {platform: {option: value}}. Each platform declares its options in
its own folder (integrations/<platform>/options.py, found through the registry); only the keys declared there
are accepted, so a typo in the web app is an error at write time, not a silent default at publish time.
"""

from collections.abc import Sequence
from typing import Any

from azmth_pipelines.domain.errors import ValidationError
from azmth_pipelines.integrations.registry import integration
from azmth_pipelines.vocabulary import MediaKind, Platform


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
        allowed = integration(platform).options.choices
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
    return {**integration(platform).options.defaults, **options.get(platform.value, {})}


def media_misfit(platform: Platform, options: dict[str, Any], kinds: Sequence[MediaKind]) -> ValidationError | None:
    """An option (as `effective` gives them) the post's media cannot take, which publishing would drop or refuse."""
    spec = integration(platform).options
    field = f"platform_options.{platform.value}"
    if kinds and MediaKind.VIDEO not in kinds:
        for name in spec.video_only:
            if name in options:
                return ValidationError(
                    f"{field}.{name}", f"{platform.label}: {name} applies to videos; photo posts have no such setting"
                )
    misfit = spec.misfit(options, kinds)
    if misfit is None:
        return None
    return ValidationError(f"{field}.{misfit.option}", misfit.message)

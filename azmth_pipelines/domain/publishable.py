"""What publishing would refuse, found when a post is scheduled: everything knowable without calling a platform.

The rules and their words are publishing's own (integrations/*/limits.py and options.py, media/checks.py,
post_options), so the artist reads at write time what a failed publish would have said. Publishing checks again:
the web app writes rows directly.
"""

from collections.abc import Mapping

from azmth_pipelines.db.models import ContentPost, ContentPostMedia, MediaAsset
from azmth_pipelines.domain import post_options
from azmth_pipelines.domain.errors import ValidationError
from azmth_pipelines.integrations.registry import caption_problem, integration
from azmth_pipelines.media.checks import MediaProblem, blocking, check_media, check_post_media, fixed_when_publishing
from azmth_pipelines.media.crop import CropSpec, cropped_size
from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.media.probe import MediaProbe
from azmth_pipelines.vocabulary import MediaKind, Platform


def check_publishable(post: ContentPost, captions: Mapping[Platform, str]) -> None:
    """Raise the first thing one of the post's platforms would refuse; `captions` is what each platform gets."""
    media = sorted(post.media, key=lambda item: item.position)
    kinds = [item.asset.kind for item in media]
    probes = [_probe(item.asset) for item in media]
    known = [probe for probe in probes if probe is not None]
    for platform in (Platform(value) for value in post.platforms):
        problem = caption_problem(platform, captions[platform], media_kinds=kinds)
        if problem is not None:
            overridden = platform.value in (post.caption_overrides or {})
            raise ValidationError(f"caption_overrides.{platform.value}" if overridden else "body", problem)
        if len(known) == len(media):
            for found in check_post_media(platform.value, known):
                raise ValidationError("media", found.message)
        options = post_options.effective(post.platform_options, platform)
        misfit = post_options.media_misfit(platform, options, kinds)
        if misfit is not None:
            raise misfit
        spec = integration(platform).options
        if spec.handed_off(options):
            continue  # handed off to the artist, who posts it from the app: publishing checks no media for it
        placement = spec.placement(options, kinds)
        for item, probe in zip(media, probes, strict=True):
            if probe is None:
                continue
            problems = _artists_to_fix(platform, item, probe, placement)
            if problems:
                raise ValidationError(f"media.{item.position}", " ".join(p.message for p in problems))


def _artists_to_fix(
    platform: Platform, item: ContentPostMedia, probe: MediaProbe, placement: str
) -> list[MediaProblem]:
    """The media problems publishing would refuse after applying its own fixes."""
    crop = (item.crops or {}).get(platform.value)
    if crop and probe.kind == "image":
        # Publishing crops first, into an sRGB JPEG of the crop's shape.
        try:
            width, height = cropped_size((probe.width, probe.height), CropSpec.from_dict(crop))
        except (MediaError, ValueError, TypeError) as exc:  # a row the web app wrote with a bad crop
            raise ValidationError(f"crops.{platform.value}", str(exc)) from None
        probe = MediaProbe(kind="image", container="jpeg", bytes=probe.bytes, width=width, height=height)
    problems = blocking(check_media(platform.value, probe, placement=placement))
    if crop or any(fixed_when_publishing(p) for p in problems):
        # A cropped or fixed file's size is known only once it is made: publishing checks it then.
        problems = [p for p in problems if p.code != "file_too_large"]
    return [p for p in problems if not fixed_when_publishing(p)]


def _probe(asset: MediaAsset) -> MediaProbe | None:
    """The asset's probe as recorded when it was stored; None for a row written without one."""
    if not asset.width or not asset.height:
        return None
    return MediaProbe(
        kind="video" if asset.kind is MediaKind.VIDEO else "image",
        container=asset.container or "",
        bytes=asset.bytes,
        width=asset.width,
        height=asset.height,
        duration_s=asset.duration_s,
        fps=asset.fps,
        video_codec=asset.video_codec,
        audio_codec=asset.audio_codec,
        has_audio=asset.has_audio,
    )

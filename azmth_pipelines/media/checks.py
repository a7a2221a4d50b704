"""Does a probed file meet a platform's documented media limits? Pure functions, no I/O.

The numbers live in azmth_pipelines/integrations/<platform>/limits.py, each citing its doc. A problem's message is
shown to the artist, so it names the platform, what is off, and the fix. `auto_fix` names the step the
publishing flow can apply by itself ("add_silent_audio", "trim", "recrop", "reencode_image", "transcode").
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from azmth_pipelines.media.probe import MediaProbe
from azmth_pipelines.vocabulary import Platform

if TYPE_CHECKING:
    from azmth_pipelines.integrations.common.rules import Rules

Severity = Literal["error", "warning"]
PLATFORMS = tuple(sorted(platform.value for platform in Platform))
PLACEMENTS = ("feed", "reels", "story")
_CODEC_NAMES = {"h264": "H.264", "hevc": "HEVC (H.265)", "vp8": "VP8", "vp9": "VP9", "aac": "AAC"}


@dataclass(frozen=True)
class MediaProblem:
    platform: str
    code: str
    message: str
    severity: Severity = "error"
    auto_fix: str | None = None


def blocking(problems: list[MediaProblem]) -> list[MediaProblem]:
    """The problems that stop a publish (warnings do not)."""
    return [problem for problem in problems if problem.severity == "error"]


def fixed_when_publishing(problem: MediaProblem) -> bool:
    """Whether publishing applies the fix by itself (publishing/media_prep.py); any other error is the artist's."""
    return problem.auto_fix in _rules(problem.platform).fixed_when_publishing


def missing_media(platform: str) -> str | None:
    """Why `platform` refuses a post without media, with the fix; None where text alone makes a post."""
    return _rules(platform).missing_media()


def _rules(platform: str) -> "Rules":
    """The platform's rules (integrations/<platform>/limits.py), found through the registry."""
    # Imported here: the registry imports the publishers, which prepare media with these checks.
    from azmth_pipelines.integrations.registry import integration

    return integration(Platform(platform)).rules


class PostFile(Protocol):
    """What the count rules read of a file: its kind (image/video) and container (a GIF counts as a video on X).
    A probe has both; so has a publish job's media, read from the asset's recorded probe."""

    @property
    def kind(self) -> str: ...

    @property
    def container(self) -> str | None: ...


def check_post_media(platform: str, probes: Sequence[PostFile]) -> list[MediaProblem]:
    """Whether the files fit one post to `platform`: whether it needs any, how many and which kinds together."""
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}; expected one of {PLATFORMS}")
    found = Findings(platform)
    if not probes:
        message = missing_media(platform)
        if message is not None:
            found.problems.append(MediaProblem(platform, "no_media", message))
        return found.problems
    _rules(platform).post_media(found, probes)
    return found.problems


def check_media(
    platform: str,
    probe: MediaProbe,
    *,
    placement: str = "feed",
    creator_max_s: int | None = None,
    premium: bool = False,
) -> list[MediaProblem]:
    """Every way `probe` breaks `platform`'s documented limits for `placement`; empty when it is fine.

    `placement` is one of PLACEMENTS, for a platform whose limits differ by where the post goes. Where a
    platform's limits follow the posting account, pass what it says of the account: `creator_max_s`, the longest
    video it may post, and `premium` for a paid or verified account (integrations/<platform>/limits.py).
    """
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}; expected one of {PLATFORMS}")
    if placement not in PLACEMENTS:
        raise ValueError(f"unknown placement {placement!r}; expected one of {PLACEMENTS}")
    found = Findings(platform)
    _rules(platform).media(found, probe, placement=placement, creator_max_s=creator_max_s, premium=premium)
    return found.problems


class Findings:
    """The problems found so far, each worded with the platform's name; the checks every platform shares."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.name = Platform(platform).label
        self.problems: list[MediaProblem] = []

    def add(self, code: str, text: str, *, severity: Severity = "error", auto_fix: str | None = None) -> None:
        self.problems.append(MediaProblem(self.platform, code, f"{self.name}: {text}", severity, auto_fix))

    def container(self, probe: MediaProbe, allowed: frozenset[str], fix: str, auto_fix: str | None = None) -> None:
        if probe.container not in allowed:
            kind = "image" if probe.kind == "image" else "video"
            self.add(
                "unsupported_format",
                f"{probe.container.upper()} {kind}s are not accepted (use {_list(allowed)}) - {fix}",
                auto_fix=auto_fix,
            )

    def max_bytes(self, probe: MediaProbe, limit: int, fix: str) -> None:
        if probe.bytes > limit:
            self.add("file_too_large", f"the file is {_size(probe.bytes)}, over the {_size(limit)} limit - {fix}")

    def aspect(self, probe: MediaProbe, low: float, high: float, low_label: str, high_label: str, fix: str) -> None:
        if not low <= probe.aspect <= high:
            self.add(
                "aspect_out_of_range",
                f"{probe.kind} aspect {_ratio(probe.aspect)} is outside {low_label} to {high_label} - {fix}",
                auto_fix="recrop",
            )

    def fps(self, probe: MediaProbe, low: float | None, high: float) -> None:
        if probe.fps is None:
            return
        if (low is not None and probe.fps < low) or probe.fps > high:
            span = f"{low:g} to {high:g} fps" if low is not None else f"at most {high:g} fps"
            self.add(
                "frame_rate_out_of_range",
                f"the video runs at {probe.fps:g} fps; it must be {span} - export it at 30 fps",
                auto_fix="transcode",
            )

    def duration(self, probe: MediaProbe, low: float | None, high: float, high_fix: str) -> None:
        if probe.duration_s is None:
            return
        if low is not None and probe.duration_s < low:
            self.add(
                "duration_too_short",
                f"the video is {seconds(probe.duration_s)}, shorter than the {seconds(low)} minimum - "
                "use a longer clip",
            )
        elif probe.duration_s > high:
            self.add(
                "duration_too_long",
                f"the video is {seconds(probe.duration_s)}, longer than the {seconds(high)} maximum - {high_fix}",
                auto_fix="trim",
            )

    def codecs(self, probe: MediaProbe, video: frozenset[str], audio: frozenset[str] | None) -> None:
        if probe.video_codec not in video:
            self.add(
                "unsupported_video_codec",
                f"{_codec(probe.video_codec)} video is not accepted (use {_codecs(video)}) - export the video as H.264",
                auto_fix="transcode",
            )
        if audio is not None and probe.has_audio and probe.audio_codec not in audio:
            self.add(
                "unsupported_audio_codec",
                f"{_codec(probe.audio_codec)} audio is not accepted (use {_codecs(audio)}) - export the audio as AAC",
                auto_fix="transcode",
            )


def _ratio(aspect: float) -> str:
    return f"{aspect:.2f}:1"


def _size(count: int) -> str:
    unit, scale = ("GB", 1024**3) if count >= 1024**3 else ("MB", 1024**2)
    value = count / scale
    return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"


def seconds(value: float) -> str:
    if value >= 60 and value % 60 == 0:
        minutes = int(value // 60)
        return f"{minutes} minute" + ("s" if minutes != 1 else "")
    if value >= 60:
        return f"{int(value // 60)} min {value % 60:.0f} s"
    return f"{value:g} s"


def _codec(name: str | None) -> str:
    return _CODEC_NAMES.get(name or "", (name or "unknown").upper())


def _codecs(names: frozenset[str]) -> str:
    return ", ".join(sorted(_codec(name) for name in names))


def _list(names: frozenset[str]) -> str:
    return ", ".join(sorted(name.upper() for name in names))

"""Does a probed file meet a platform's documented media limits? Pure functions, no I/O.

The numbers live in azmth_pipelines/platforms/<platform>/limits.py, each citing its doc. A problem's message is
shown to the artist, so it names the platform, what is off, and the fix. `auto_fix` names the step the
publishing flow can apply by itself ("add_silent_audio", "trim", "recrop", "reencode_image", "transcode").
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from azmth_pipelines.media.probe import MediaProbe
from azmth_pipelines.platforms.instagram import limits as ig
from azmth_pipelines.platforms.threads import limits as th
from azmth_pipelines.platforms.tiktok import limits as tt
from azmth_pipelines.platforms.x import limits as xl

Severity = Literal["error", "warning"]
PLATFORMS = ("instagram", "threads", "tiktok", "x")
PLACEMENTS = ("feed", "reels", "story")
# Post options say "stories" (as the Graph API's STORIES); these checks say "story".
OPTION_PLACEMENTS = {"feed": "feed", "reels": "reels", "stories": "story"}
_NAMES = {"instagram": "Instagram", "threads": "Threads", "tiktok": "TikTok", "x": "X"}
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
    return problem.auto_fix in ("reencode_image", "add_silent_audio") or (
        problem.auto_fix == "trim" and problem.platform == "instagram"
    )


# What a platform that takes no text-only post asks for.
_MEDIA_NEEDED = {"instagram": "a photo or a video", "tiktok": "a video or photos"}


def missing_media(platform: str) -> str | None:
    """Why `platform` refuses a post without media, with the fix; None where text alone makes a post."""
    needed = _MEDIA_NEEDED.get(platform)
    if needed is None:
        return None
    name = _NAMES[platform]
    return f"{name} needs {needed}: add media or remove {name} from the post"


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
    found = _Findings(platform)
    if not probes:
        message = missing_media(platform)
        if message is not None:
            found.problems.append(MediaProblem(platform, "no_media", message))
        return found.problems
    count = len(probes)
    videos = sum(probe.kind == "video" for probe in probes)
    if platform == "x":
        # X attaches up to 4 images, or exactly one video or animated GIF (media best practices).
        singles = videos + sum(probe.container == "gif" for probe in probes)
        if singles and count > 1:
            found.add(
                "too_many_media",
                f"a post takes one video or GIF on its own, or up to {xl.IMAGES_MAX_PER_POST} images; "
                f"it has {count} files - keep the video or GIF alone, or post only images",
            )
        elif count > xl.IMAGES_MAX_PER_POST:
            found.add(
                "too_many_media",
                f"a post takes up to {xl.IMAGES_MAX_PER_POST} images; it has {count} - remove some",
            )
    elif platform == "tiktok":
        if videos and count > 1:
            found.add(
                "too_many_media",
                f"a post is one video or up to {tt.PHOTO_MAX_PER_POST} photos; it has {count} files with "
                f"{videos} video(s) - keep one video, or post only photos",
            )
        elif count > tt.PHOTO_MAX_PER_POST:
            found.add(
                "too_many_media",
                f"a photo post takes up to {tt.PHOTO_MAX_PER_POST} photos; it has {count} - remove some",
            )
    else:
        limit = ig.CAROUSEL_MAX_ITEMS if platform == "instagram" else th.CAROUSEL_MAX_ITEMS
        if count > limit:
            found.add(
                "too_many_media",
                f"a carousel holds up to {limit} photos and videos; it has {count} - remove some",
            )
    return found.problems


def check_media(
    platform: str,
    probe: MediaProbe,
    *,
    placement: str = "feed",
    tiktok_max_duration_s: int | None = None,
    x_premium: bool = False,
) -> list[MediaProblem]:
    """Every way `probe` breaks `platform`'s documented limits for `placement`; empty when it is fine.

    Instagram placement: "feed" (images; a video there is published as a Reel, since feed VIDEO was retired in
    Nov 2023), "reels" or "story". TikTok: pass the creator's live `max_video_post_duration_sec`.
    X: limits follow the posting user, so pass `x_premium` for Premium/verified accounts.
    """
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}; expected one of {PLATFORMS}")
    if placement not in PLACEMENTS:
        raise ValueError(f"unknown placement {placement!r}; expected one of {PLACEMENTS}")
    found = _Findings(platform)
    if platform == "instagram":
        _instagram(found, probe, placement)
    elif platform == "threads":
        _threads(found, probe)
    elif platform == "tiktok":
        _tiktok(found, probe, tiktok_max_duration_s)
    else:
        _x(found, probe, x_premium)
    return found.problems


class _Findings:
    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.name = _NAMES[platform]
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
                f"the video is {_seconds(probe.duration_s)}, shorter than the {_seconds(low)} minimum - "
                "use a longer clip",
            )
        elif probe.duration_s > high:
            self.add(
                "duration_too_long",
                f"the video is {_seconds(probe.duration_s)}, longer than the {_seconds(high)} maximum - {high_fix}",
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


def _instagram(found: _Findings, probe: MediaProbe, placement: str) -> None:
    if probe.kind == "image":
        if placement == "reels":
            found.add("wrong_media_kind", "Reels must be videos - choose a video or post the image to the feed")
            return
        found.container(probe, ig.IMAGE_CONTAINERS, "save it as JPEG", auto_fix="reencode_image")
        found.max_bytes(probe, ig.IMAGE_MAX_BYTES, "save it as a JPEG at quality 85 or resize it")
        if probe.color_mode not in (None, "RGB", "L"):
            # Meta asks for sRGB; CMYK or alpha JPEG/PNG come out with wrong colours or are refused.
            found.add(
                "unsupported_color_mode",
                f"{probe.color_mode} images are not accepted (sRGB only) - save it as an RGB JPEG",
                auto_fix="reencode_image",
            )
        if placement == "feed":
            found.aspect(probe, ig.IMAGE_MIN_ASPECT, ig.IMAGE_MAX_ASPECT, "4:5", "1.91:1", "re-crop to 4:5 or 1:1")
            if probe.width < ig.IMAGE_MIN_WIDTH_PX:
                found.add(
                    "image_too_small",
                    f"the image is {probe.width} px wide; Meta scales it up from under {ig.IMAGE_MIN_WIDTH_PX} px "
                    "and it will look soft - use a larger original",
                    severity="warning",
                )
        return
    story = placement == "story"
    found.container(probe, ig.REEL_CONTAINERS, "export it as MP4", auto_fix="transcode")
    found.codecs(probe, ig.REEL_VIDEO_CODECS, ig.REEL_AUDIO_CODECS)
    if not probe.has_audio:
        found.add(
            "missing_audio_track",
            "the video has no audio track, which Instagram refuses - AZMTH adds a silent track before publishing",
            auto_fix="add_silent_audio",
        )
    found.fps(probe, ig.REEL_MIN_FPS, ig.REEL_MAX_FPS)
    if probe.width > ig.REEL_MAX_WIDTH_PX:
        found.add(
            "video_too_wide",
            f"the video is {probe.width} px wide, over {ig.REEL_MAX_WIDTH_PX} px - export it at 1080x1920",
            auto_fix="transcode",
        )
    if story:
        found.aspect(probe, ig.STORY_VIDEO_MIN_ASPECT, ig.STORY_VIDEO_MAX_ASPECT, "1:10", "10:1", "re-crop to 9:16")
        found.duration(probe, ig.STORY_VIDEO_MIN_DURATION_S, ig.STORY_VIDEO_MAX_DURATION_S, "trim it to 60 seconds")
        found.max_bytes(probe, ig.STORY_VIDEO_MAX_BYTES, "export it at a lower bitrate or trim it")
        return
    found.aspect(probe, ig.REEL_MIN_ASPECT, ig.REEL_MAX_ASPECT, "1:100", "10:1", "re-crop to 9:16")
    found.duration(probe, ig.REEL_MIN_DURATION_S, ig.REEL_MAX_DURATION_S, "trim it to under 90 seconds")
    if probe.duration_s is not None and ig.PRODUCT_REEL_MAX_DURATION_S < probe.duration_s <= ig.REEL_MAX_DURATION_S:
        found.add(
            "reel_will_be_trimmed",
            f"the video is {_seconds(probe.duration_s)} long and AZMTH publishes Reels of at most "
            f"{ig.PRODUCT_REEL_MAX_DURATION_S} s, so it will be cut there - trim it yourself to choose the cut",
            severity="warning",
            auto_fix="trim",
        )
    found.max_bytes(probe, ig.REEL_MAX_BYTES, "export it at a lower bitrate (25 Mbps at most) or trim it")


def _threads(found: _Findings, probe: MediaProbe) -> None:
    if probe.kind == "image":
        found.container(probe, th.IMAGE_CONTAINERS, "save it as JPEG or PNG", auto_fix="reencode_image")
        found.max_bytes(probe, th.IMAGE_MAX_BYTES, "save it as a JPEG at quality 85 or resize it")
        found.aspect(probe, 1 / th.IMAGE_MAX_ASPECT, th.IMAGE_MAX_ASPECT, "1:10", "10:1", "re-crop to 4:5 or 1:1")
        return
    found.container(probe, th.VIDEO_CONTAINERS, "export it as MP4", auto_fix="transcode")
    found.codecs(probe, th.VIDEO_CODECS, th.AUDIO_CODECS)
    found.fps(probe, th.VIDEO_MIN_FPS, th.VIDEO_MAX_FPS)
    if probe.width > th.VIDEO_MAX_WIDTH_PX:
        found.add(
            "video_too_wide",
            f"the video is {probe.width} px wide, over {th.VIDEO_MAX_WIDTH_PX} px - export it at 1080 px wide",
            auto_fix="transcode",
        )
    found.aspect(probe, th.VIDEO_MIN_ASPECT, th.VIDEO_MAX_ASPECT, "1:100", "10:1", "re-crop to 9:16")
    found.duration(probe, None, th.VIDEO_MAX_DURATION_S, "trim it to 5 minutes")
    found.max_bytes(probe, th.VIDEO_MAX_BYTES, "export it at a lower bitrate or trim it")


def _tiktok(found: _Findings, probe: MediaProbe, creator_max_s: int | None) -> None:
    if probe.kind == "image":
        found.container(probe, tt.PHOTO_CONTAINERS, "save it as JPEG or WebP", auto_fix="reencode_image")
        found.max_bytes(probe, tt.PHOTO_MAX_BYTES, "save it as a JPEG at quality 85 or resize it")
        short_side, long_side = sorted((probe.width, probe.height))
        if short_side > tt.PHOTO_MAX_SHORT_SIDE_PX or long_side > tt.PHOTO_MAX_LONG_SIDE_PX:
            found.add(
                "image_too_large",
                f"the photo is {probe.width}x{probe.height}; TikTok shows photos at up to 1080p and "
                "will scale it down - export it at 1080x1920 or smaller for sharp results",
                severity="warning",
            )
        return
    found.container(probe, tt.VIDEO_CONTAINERS, "export it as MP4", auto_fix="transcode")
    found.codecs(probe, tt.VIDEO_CODECS, None)
    found.fps(probe, tt.VIDEO_MIN_FPS, tt.VIDEO_MAX_FPS)
    short, long = min(probe.width, probe.height), max(probe.width, probe.height)
    if short < tt.VIDEO_MIN_SIDE_PX or long > tt.VIDEO_MAX_SIDE_PX:
        found.add(
            "dimensions_out_of_range",
            f"the video is {probe.width}x{probe.height}; each side must be {tt.VIDEO_MIN_SIDE_PX} to "
            f"{tt.VIDEO_MAX_SIDE_PX} px - export it at 1080x1920",
            auto_fix="transcode",
        )
    limit = creator_max_s or tt.VIDEO_MAX_DURATION_S
    whose = "this account's" if creator_max_s else "TikTok's"
    if probe.duration_s is not None and probe.duration_s > limit:
        found.add(
            "duration_too_long",
            f"the video is {_seconds(probe.duration_s)}, longer than {whose} {_seconds(limit)} maximum - "
            f"trim it to {_seconds(limit)}",
            auto_fix="trim",
        )
    found.max_bytes(probe, tt.VIDEO_MAX_BYTES, "export it at a lower bitrate or trim it")


def _x(found: _Findings, probe: MediaProbe, premium: bool) -> None:
    if probe.kind == "image":
        found.container(probe, xl.IMAGE_CONTAINERS, "save it as JPEG or PNG", auto_fix="reencode_image")
        if probe.container == "gif":
            found.max_bytes(probe, xl.GIF_MAX_BYTES, "shorten the GIF or post it as an MP4 video")
        else:
            found.max_bytes(probe, xl.IMAGE_MAX_BYTES, "save it as a JPEG at quality 85 or resize it")
        return
    found.container(probe, xl.VIDEO_CONTAINERS, "export it as MP4", auto_fix="transcode")
    found.codecs(probe, xl.VIDEO_CODECS, xl.AUDIO_CODECS)
    found.fps(probe, None, xl.VIDEO_MAX_FPS)
    if min(probe.width, probe.height) < xl.VIDEO_MIN_SIDE_PX:
        found.add(
            "dimensions_out_of_range",
            f"the video is {probe.width}x{probe.height}, under the {xl.VIDEO_MIN_SIDE_PX}x{xl.VIDEO_MIN_SIDE_PX} "
            "minimum - export it at 720x1280",
        )
    elif max(probe.width, probe.height) > xl.VIDEO_MAX_LONG_SIDE_PX or (
        min(probe.width, probe.height) > xl.VIDEO_MAX_SHORT_SIDE_PX
    ):
        found.add(
            "video_larger_than_recommended",
            f"the video is {probe.width}x{probe.height}; X documents {xl.VIDEO_MAX_LONG_SIDE_PX}x"
            f"{xl.VIDEO_MAX_SHORT_SIDE_PX} as the maximum and may downscale it - 720x1280 is safest",
            severity="warning",
        )
    found.aspect(probe, xl.VIDEO_MIN_ASPECT, xl.VIDEO_MAX_ASPECT, "1:3", "3:1", "re-crop to 16:9, 1:1 or 9:16")
    max_s = xl.PREMIUM_VIDEO_MAX_DURATION_S if premium else xl.VIDEO_MAX_DURATION_S
    found.duration(probe, xl.VIDEO_MIN_DURATION_S, max_s, f"trim it to {_seconds(max_s)}")
    found.max_bytes(
        probe, xl.PREMIUM_VIDEO_MAX_BYTES if premium else xl.VIDEO_MAX_BYTES, "export it at a lower bitrate"
    )


def _ratio(aspect: float) -> str:
    return f"{aspect:.2f}:1"


def _size(count: int) -> str:
    unit, scale = ("GB", 1024**3) if count >= 1024**3 else ("MB", 1024**2)
    value = count / scale
    return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"


def _seconds(value: float) -> str:
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

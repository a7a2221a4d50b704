"""Trim a video to at most N seconds, for the product's 90-second Reels rule and platforms' duration caps.

Cutting from the start only needs the frames before the cut, so the streams are copied (no quality loss, about
as fast as copying the file); a later start point needs a keyframe there, so that case re-encodes.
"""

from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from azmth_pipelines.media.atomic import atomic_output
from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.media.ffmpeg_tool import run_ffmpeg
from azmth_pipelines.media.probe import MediaProbe, probe_file

# AAC frames are ~21 ms and end a stream slightly past the cut; aim this much early to land at or under it.
_AUDIO_FRAME_MARGIN_S = 0.05


@dataclass(frozen=True)
class TrimResult:
    path: Path
    duration_s: float
    trimmed: bool  # False: the source was already short enough and is returned as is
    stream_copied: bool


def trim_video(source: Path, max_seconds: float, output: Path | None = None, *, start_s: float = 0.0) -> TrimResult:
    """Keep at most `max_seconds` from `start_s`; the source is never modified."""
    source = Path(source)
    if max_seconds <= 0:
        raise MediaError(f"The maximum length must be above 0 seconds (got {max_seconds}).", code="bad_trim")
    probe = probe_file(source)
    if probe.kind != "video" or probe.duration_s is None:
        raise MediaError(
            f"{source.name} is not a video with a known length, so it cannot be trimmed.", code="not_video"
        )
    if start_s < 0 or start_s >= probe.duration_s:
        raise MediaError(
            f"The start point {start_s:g} s is outside the {probe.duration_s:g} s video; choose an earlier start.",
            code="bad_trim",
        )
    if start_s == 0 and probe.duration_s <= max_seconds:
        return TrimResult(path=source, duration_s=probe.duration_s, trimmed=False, stream_copied=False)
    output = (
        Path(output) if output is not None else source.with_name(f"{source.stem}.max{max_seconds:g}s{source.suffix}")
    )
    if output.resolve() == source.resolve():
        raise MediaError(
            f"Trimming would overwrite the original {source.name}; choose another output name.",
            code="would_overwrite_source",
        )
    copy = start_s == 0
    length = max_seconds - _AUDIO_FRAME_MARGIN_S if probe.has_audio else max_seconds
    result = _cut(source, probe, output, start_s, length, copy)
    if result.duration_s > max_seconds:
        # A container can still report a few ms over (e.g. a long last audio packet): cut once more, shorter.
        result = _cut(source, probe, output, start_s, length - (result.duration_s - max_seconds) - 0.02, copy)
    return result


def _cut(source: Path, probe: MediaProbe, output: Path, start_s: float, length: float, copy: bool) -> TrimResult:
    input_options = {"ss": f"{start_s:.3f}"} if start_s else {}
    options: dict[str, str | int] = {"t": f"{length:.3f}", "map_metadata": 0}
    if copy:
        options["c"] = "copy"
    else:
        options.update({"vcodec": "libx264", "preset": "veryfast", "crf": 20, "pix_fmt": "yuv420p"})
        if probe.has_audio:
            options.update({"acodec": "aac", "b:a": "128k"})
    if output.suffix.lower() in {".mp4", ".mov"}:
        options["movflags"] = "+faststart"
    with atomic_output(output) as temp:
        stream = ffmpeg.input(str(source), **input_options).output(str(temp), **options)
        run_ffmpeg(stream, what="Trimming the video", source=source)
        duration = probe_file(temp).duration_s or length
    return TrimResult(path=output, duration_s=duration, trimmed=True, stream_copied=copy)

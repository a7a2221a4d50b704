"""Instagram Path A: give a silent video a silent AAC track so Reels accepts it.

Reels' spec lists an AAC audio track (48 kHz max, mono/stereo, 128 kbps) (ig-user/media reference, "Reel
specifications"); videos without one are reported to fail container processing (third parties; UNCONFIRMED
in Meta's reference), and adding silence is harmless either way. The video stream is copied untouched when
its codec is one Reels takes (H.264/HEVC) and re-encoded to H.264 only when it is not; the moov atom goes to
the front (+faststart) and no edit list is written, both asked for by the same spec. A video that already
has audio is returned as is. The silence is a pre-encoded AAC file cached per machine and stream-copied
too, so the whole step is a remux.
"""

import os
import tempfile
from pathlib import Path

import ffmpeg

from azmth_pipelines.integrations.instagram import limits as ig
from azmth_pipelines.media.atomic import atomic_output
from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.media.ffmpeg_tool import run_ffmpeg
from azmth_pipelines.media.probe import MediaProbe, probe_file

# Mono is allowed (Reels: "mono or stereo", <= 48 kHz) and encodes half the samples of stereo silence.
SILENCE = "anullsrc=channel_layout=mono:sample_rate=48000"
_STREAM_COPY_CONTAINERS = frozenset({"mp4", "mov"})
# Cached silence lengths: Stories (60 s), short Reels, and the 15-minute Reels maximum with a margin.
_SILENCE_BUCKETS_S = (60, 300, 960)


def ensure_audio_track(source: Path, output: Path | None = None) -> Path:
    """`source` itself when it has audio; otherwise a new MP4 with a silent track (default: beside it)."""
    source = Path(source)
    probe = probe_file(source)
    if probe.kind != "video":
        raise MediaError(f"{source.name} is a picture, not a video; only videos need an audio track.", code="not_video")
    if probe.has_audio:
        return source
    output = Path(output) if output is not None else source.with_name(f"{source.stem}.with-audio.mp4")
    if output.resolve() == source.resolve():
        raise MediaError(
            f"Adding audio would overwrite the original {source.name}; choose another output name.",
            code="would_overwrite_source",
        )
    _mux(source, probe, output)
    return output


def mux_silent_audio(source: Path, probe: MediaProbe, output: Path) -> None:
    """Write `source` + a silent AAC track to `output`, whatever audio `source` has (used by the bench)."""
    _mux(source, probe, output)


def _mux(source: Path, probe: MediaProbe, output: Path) -> None:
    video = ffmpeg.input(str(source))
    cached = _cached_silence(probe.duration_s)
    if cached is not None:
        # Copying a pre-encoded silent AAC track keeps Path A a pure remux (see bench/media.py).
        silence = ffmpeg.input(str(cached))
        options: dict[str, str | int | None] = {"acodec": "copy", "t": f"{probe.duration_s:.3f}"}
    else:
        silence = ffmpeg.input(SILENCE, f="lavfi", **({"t": f"{probe.duration_s:.3f}"} if probe.duration_s else {}))
        options = {"acodec": "aac", "b:a": "128k"}
    options.update({"shortest": None, "movflags": "+faststart", "use_editlist": 0, "map_metadata": 0, "f": "mp4"})
    # Odd sides mean the stream is not 4:2:0 (which Reels requires), so it cannot be copied as is.
    even = probe.width % 2 == 0 and probe.height % 2 == 0
    copyable = probe.video_codec in ig.REEL_VIDEO_CODECS and probe.container in _STREAM_COPY_CONTAINERS and even
    if copyable:
        options["vcodec"] = "copy"
        if probe.video_codec == "hevc":
            options["tag:v"] = "hvc1"  # the HEVC sample entry Apple/Meta players read (hev1 is often refused)
        video_stream = video["v:0"]
    else:
        options.update({"vcodec": "libx264", "preset": "veryfast", "crf": 20, "pix_fmt": "yuv420p"})
        # yuv420p needs even sides; an odd source would make libx264 refuse to start.
        video_stream = video["v:0"].filter("scale", "trunc(iw/2)*2", "trunc(ih/2)*2")
    with atomic_output(output) as temp:
        stream = ffmpeg.output(video_stream, silence["a:0"], str(temp), **options)
        run_ffmpeg(stream, what="Adding a silent audio track", source=source)


def _cached_silence(duration_s: float | None) -> Path | None:
    """A silent AAC file at least `duration_s` long, encoded once per machine; None beyond the longest."""
    if not duration_s:
        return None
    bucket = next((seconds for seconds in _SILENCE_BUCKETS_S if seconds >= duration_s + 1), None)
    if bucket is None:
        return None
    cache = Path(tempfile.gettempdir()) / f"azmth-media-cache-{os.getuid()}"
    cache.mkdir(mode=0o700, exist_ok=True)
    path = cache / f"silence-aac-mono-48k-{bucket}s.m4a"
    if not path.exists():
        with atomic_output(path) as temp:
            encode = ffmpeg.input(SILENCE, f="lavfi", t=bucket).output(str(temp), acodec="aac", **{"b:a": "128k"})
            run_ffmpeg(encode, what="Preparing silent audio")
    return path

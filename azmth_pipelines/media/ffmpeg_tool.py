"""Where the ffmpeg binary is and how we run it.

imageio-ffmpeg ships a static ffmpeg (libx264, libx265, libvpx, aac, lavfi) but no ffprobe, so probing parses
`ffmpeg -i` output instead (see probe.py). Commands are built with ffmpeg-python and run with this binary.
"""

import functools
import subprocess
from pathlib import Path
from typing import Any

import ffmpeg
import imageio_ffmpeg

from azmth_pipelines.media.errors import MediaError

# Long enough for a 15-minute Reel re-encode on a small machine; a hung ffmpeg must not hang a publish run.
FFMPEG_TIMEOUT_S = 900


@functools.cache
def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(stream: Any, *, what: str, source: Path | None = None) -> None:
    """Run an ffmpeg-python output stream, turning a failure into a MediaError that says `what` failed."""
    args = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        *ffmpeg.get_args(stream, overwrite_output=True),
    ]
    try:
        result = subprocess.run(args, capture_output=True, timeout=FFMPEG_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(
            f"{what} took longer than {FFMPEG_TIMEOUT_S // 60} minutes and was stopped; "
            "try a shorter or smaller video.",
            code="ffmpeg_timeout",
        ) from exc
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        last = detail[-1] if detail else f"exit code {result.returncode}"
        name = f" for {source.name}" if source else ""
        raise MediaError(
            f"{what}{name} failed ({last}); export the video again as MP4 (H.264 + AAC) and retry.",
            code="ffmpeg_failed",
        )

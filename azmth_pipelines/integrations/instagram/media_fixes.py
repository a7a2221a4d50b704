"""What publishing fixes in a file by itself for Instagram (Path A), beyond the JPEG re-encode every platform
gets: the silent audio track a Reel needs, and the product's 90 s Reels trim (limits.py)."""

from collections.abc import Mapping
from pathlib import Path
from typing import Final

from azmth_pipelines.integrations.instagram.limits import PRODUCT_REEL_MAX_DURATION_S
from azmth_pipelines.integrations.instagram.silent_audio import ensure_audio_track
from azmth_pipelines.media.trim import trim_video
from azmth_pipelines.publishing.media_prep import MediaFix


def add_silent_audio(path: Path, workdir: Path) -> Path:
    return ensure_audio_track(path, workdir / f"{path.stem}-audio.mp4")


def trim_reel(path: Path, workdir: Path) -> Path:
    return trim_video(path, PRODUCT_REEL_MAX_DURATION_S, workdir / f"{path.stem}-trim.mp4").path


# By the auto_fix a media check names (limits.py `fixed_when_publishing`).
MEDIA_FIXES: Final[Mapping[str, MediaFix]] = {"add_silent_audio": add_silent_audio, "trim": trim_reel}

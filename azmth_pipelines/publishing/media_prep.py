"""Media made ready for one platform: its crop applied, checked against its limits, fixed where the product
fixes things itself (JPEG re-encode, Instagram's silent audio track, the 90 s Reels trim), given a URL.

A problem no automatic fix solves is a MediaError worded with the fix for the artist; it fails this platform
only (the runner records it as a permanent error) and the other platforms publish.
"""

import asyncio
import json
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from azmth_pipelines.integrations.instagram.limits import PRODUCT_REEL_MAX_DURATION_S
from azmth_pipelines.media.checks import OPTION_PLACEMENTS, MediaProblem, blocking, check_media, fixed_when_publishing
from azmth_pipelines.media.crop import CropSpec, crop_image
from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.media.handoff import Handoff, instagram_handoff
from azmth_pipelines.media.probe import MediaProbe, probe_file
from azmth_pipelines.media.silent_audio import ensure_audio_track
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.media.trim import trim_video
from azmth_pipelines.publishing.job import JobMedia
from azmth_pipelines.vocabulary import MediaKind, Platform


@dataclass(frozen=True)
class PreparedMedia:
    kind: MediaKind
    path: Path
    url: str
    probe: MediaProbe
    content_type: str

    @property
    def bytes(self) -> int:
        return self.probe.bytes


def _fix(path: Path, problem: MediaProblem, workdir: Path) -> Path | None:
    """Apply the product's own fix for a problem, or None when only the artist can fix it."""
    if not fixed_when_publishing(problem):
        return None
    match problem.auto_fix:
        case "reencode_image":
            return crop_image(path, CropSpec(), workdir / f"{path.stem}-jpeg.jpg").path
        case "add_silent_audio":
            return ensure_audio_track(path, workdir / f"{path.stem}-audio.mp4")
        case "trim":
            return trim_video(path, PRODUCT_REEL_MAX_DURATION_S, workdir / f"{path.stem}-trim.mp4").path
    return None


def _prepare(
    item: JobMedia, platform: Platform, store: MediaStore, placement: str, tiktok_max_duration_s: int | None
) -> PreparedMedia:
    with tempfile.TemporaryDirectory(prefix="azmth-prep-") as tmp:
        workdir = Path(tmp)
        path = item.path
        if item.kind is MediaKind.IMAGE and item.crop:
            path = crop_image(path, CropSpec.from_dict(item.crop), workdir / f"{path.stem}-crop.jpg").path
        check_placement = OPTION_PLACEMENTS.get(placement, placement)
        applied: set[str] = set()
        while True:
            probe = probe_file(path)
            problems = blocking(
                check_media(
                    platform.value, probe, placement=check_placement, tiktok_max_duration_s=tiktok_max_duration_s
                )
            )
            fixable = [p for p in problems if p.auto_fix and p.auto_fix not in applied]
            fixed = None
            for problem in fixable:
                fixed = _fix(path, problem, workdir)
                applied.add(problem.auto_fix or "")
                if fixed is not None:
                    break
            if fixed is None:
                break
            path = fixed
        if problems:
            raise MediaError(" ".join(p.message for p in problems), code=problems[0].code)
        stored = store.put_file(path)
    return PreparedMedia(item.kind, stored.path, stored.url, probe, stored.content_type)


@lru_cache(maxsize=4096)
def _prepared(key: tuple[Path, int, MediaKind, str, Platform, Path, str, str, int | None]) -> PreparedMedia:
    path, _mtime, kind, crop, platform, root, public_url, placement, max_duration_s = key
    item = JobMedia(kind, path, json.loads(crop))
    return _prepare(item, platform, MediaStore(root, public_url), placement, max_duration_s)


async def prepare_media(
    item: JobMedia,
    platform: Platform,
    store: MediaStore,
    *,
    placement: str = "feed",
    tiktok_max_duration_s: int | None = None,
) -> PreparedMedia:
    # The same file goes to many posts and platforms: prepared once per (file, platform, crop, placement), the
    # result lives in the content-addressed store. Pillow and ffmpeg run off the event loop meanwhile.
    key = (
        item.path,
        item.path.stat().st_mtime_ns,
        item.kind,
        json.dumps(item.crop, sort_keys=True),
        platform,
        store.root,
        store.public_url,
        placement,
        tiktok_max_duration_s,
    )
    prepared = await asyncio.to_thread(_prepared, key)
    if not prepared.path.exists():  # the store was cleaned since: prepare again
        _prepared.cache_clear()
        prepared = await asyncio.to_thread(_prepared, key)
    return prepared


async def handoff_for(item: JobMedia, store: MediaStore, *, placement: str, caption: str) -> Handoff:
    """Instagram Path B: the artist's own copy (with their crop) and the way into the app."""
    path = item.path
    with tempfile.TemporaryDirectory(prefix="azmth-handoff-") as tmp:
        if item.kind is MediaKind.IMAGE and item.crop:
            path = await asyncio.to_thread(
                lambda: crop_image(item.path, CropSpec.from_dict(item.crop or {}), Path(tmp) / "handoff.jpg").path
            )
        return await asyncio.to_thread(instagram_handoff, store, path, placement=placement, caption=caption)

"""Media made ready for one platform: its crop applied, checked against its limits, fixed where the product
fixes things itself (the JPEG re-encode here; a platform's own fixes from its integration's `media_fixes`, such
as a silent audio track or a trim), given a URL.

A problem no automatic fix solves is a MediaError worded with the fix for the artist; it fails this platform
only (the runner records it as a permanent error) and the other platforms publish.
"""

import asyncio
import json
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from azmth_pipelines.media.checks import MediaProblem, blocking, check_media, fixed_when_publishing
from azmth_pipelines.media.crop import CropSpec, crop_image
from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.media.probe import MediaProbe, probe_file
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.publishing.job import JobMedia
from azmth_pipelines.vocabulary import MediaKind, Platform

# A platform's own fix for a file (its integration's `media_fixes`, by auto_fix): the file and a work directory
# in, the fixed file out.
MediaFix = Callable[[Path, Path], Path]


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


def _fix(platform: Platform, path: Path, problem: MediaProblem, workdir: Path) -> Path | None:
    """Apply the product's own fix for a problem, or None when only the artist can fix it."""
    if not fixed_when_publishing(problem):
        return None
    if problem.auto_fix == "reencode_image":
        return crop_image(path, CropSpec(), workdir / f"{path.stem}-jpeg.jpg").path
    fix = _platform_fixes(platform).get(problem.auto_fix or "")
    return fix(path, workdir) if fix is not None else None


def _platform_fixes(platform: Platform) -> Mapping[str, MediaFix]:
    # Imported here: the registry imports the publishers, which prepare their media here.
    from azmth_pipelines.integrations.registry import integration

    return integration(platform).media_fixes


def _prepare(
    item: JobMedia, platform: Platform, store: MediaStore, placement: str, creator_max_s: int | None
) -> PreparedMedia:
    with tempfile.TemporaryDirectory(prefix="azmth-prep-") as tmp:
        workdir = Path(tmp)
        path = item.path
        if item.kind is MediaKind.IMAGE and item.crop:
            path = crop_image(path, CropSpec.from_dict(item.crop), workdir / f"{path.stem}-crop.jpg").path
        applied: set[str] = set()
        while True:
            probe = probe_file(path)
            problems = blocking(check_media(platform.value, probe, placement=placement, creator_max_s=creator_max_s))
            fixable = [p for p in problems if p.auto_fix and p.auto_fix not in applied]
            fixed = None
            for problem in fixable:
                fixed = _fix(platform, path, problem, workdir)
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
    path, _mtime, kind, crop, platform, root, public_url, placement, creator_max_s = key
    item = JobMedia(kind, path, json.loads(crop))
    return _prepare(item, platform, MediaStore(root, public_url), placement, creator_max_s)


async def prepare_media(
    item: JobMedia,
    platform: Platform,
    store: MediaStore,
    *,
    placement: str = "feed",
    creator_max_s: int | None = None,
) -> PreparedMedia:
    """`item` ready for `platform`: `placement` as media/checks.py names it, `creator_max_s` the longest video
    the posting account may publish where the platform says so per account (None: the platform's own limit)."""
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
        creator_max_s,
    )
    prepared = await asyncio.to_thread(_prepared, key)
    if not prepared.path.exists():  # the store was cleaned since: prepare again
        _prepared.cache_clear()
        prepared = await asyncio.to_thread(_prepared, key)
    return prepared

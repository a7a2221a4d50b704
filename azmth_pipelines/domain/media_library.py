"""An artist's uploaded media: stored content-addressed, probed once, recorded in `media_asset`."""

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from azmth_pipelines.db.models import MediaAsset
from azmth_pipelines.domain.errors import ValidationError
from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.media.probe import probe_file
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.vocabulary import MediaKind


def add_media(session: Session, *, artist_id: int, path: Path, store: MediaStore | None = None) -> MediaAsset:
    """Probe a file, copy it into the store and record it; the same file twice gives the same asset."""
    store = store or MediaStore.from_settings()
    try:
        probe = probe_file(path)
        stored = store.put_file(path)
    except MediaError as exc:
        raise ValidationError("media", f"{Path(path).name}: {exc}") from exc
    existing = session.scalar(
        select(MediaAsset).where(MediaAsset.artist_id == artist_id, MediaAsset.sha256 == stored.sha256)
    )
    if existing is not None:
        return existing
    asset = MediaAsset(
        artist_id=artist_id,
        kind=MediaKind(probe.kind),
        original_filename=Path(path).name,
        stored_path=str(stored.path.relative_to(store.root)),
        sha256=stored.sha256,
        container=probe.container,
        width=probe.width,
        height=probe.height,
        duration_s=probe.duration_s,
        fps=probe.fps,
        video_codec=probe.video_codec,
        audio_codec=probe.audio_codec,
        has_audio=probe.has_audio,
        bytes=probe.bytes,
    )
    session.add(asset)
    session.flush()
    return asset

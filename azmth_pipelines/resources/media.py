"""The media store as a Dagster resource: where media files live and the public URL platforms fetch them at."""

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from azmth_pipelines.config import settings
from azmth_pipelines.media.store import MediaStore


class MediaStoreResource(ConfigurableResource):
    """AZMTH's content-addressed media store; each field left empty comes from the environment (config.py)."""

    root: str | None = Field(default=None, description="Directory of the store; empty = AZMTH_MEDIA_DIR.")
    public_url: str | None = Field(
        default=None, description="Public base URL of the store; empty = AZMTH_PUBLIC_MEDIA_URL."
    )

    def store(self) -> MediaStore:
        current = settings()
        return MediaStore(
            Path(self.root) if self.root else current.media_dir, self.public_url or current.public_media_url
        )

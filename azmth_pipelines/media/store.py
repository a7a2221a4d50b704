"""Content-addressed media files: one file per distinct content, named by its SHA-256, served at a public URL.

Platforms that pull media (Instagram, Threads, TikTok PULL_FROM_URL) get `url`; platforms we upload to (TikTok
FILE_UPLOAD, X) get `path`. Putting the same content twice returns the same file, so re-runs are free.
Production points `public_url` at the bucket/CDN that mirrors `root`; the demo and tests use media/server.py.
"""

import hashlib
import mimetypes
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from azmth_pipelines.config import settings
from azmth_pipelines.media.errors import MediaError

_CHUNK = 1024 * 1024
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_SUFFIX_RE = re.compile(r"^\.[a-z0-9]{1,8}$")
# mimetypes is unreliable for some suffixes across platforms' mime.types files; these are the ones we publish.
_CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
}


@dataclass(frozen=True)
class StoredMedia:
    sha256: str
    path: Path
    url: str
    bytes: int

    @property
    def content_type(self) -> str:
        suffix = self.path.suffix.lower()
        return _CONTENT_TYPES.get(suffix) or mimetypes.guess_type(self.path.name)[0] or "application/octet-stream"


class MediaStore:
    """Files live at `root/<first two hex>/<sha256><suffix>` and are served at `public_url/<same>`."""

    def __init__(self, root: Path, public_url: str) -> None:
        self.root = Path(root)
        self.public_url = public_url.rstrip("/")

    @classmethod
    def from_settings(cls) -> "MediaStore":
        current = settings()
        return cls(current.media_dir, current.public_media_url)

    def put_file(self, path: Path) -> StoredMedia:
        """Copy a file into the store (the source is left untouched); idempotent."""
        path = Path(path)
        try:
            with path.open("rb") as source:
                return self._put_stream(source, path.suffix)
        except FileNotFoundError as exc:
            raise MediaError(
                f"The file {path} does not exist; check the path and try again.", code="not_found"
            ) from exc

    def put_bytes(self, data: bytes, suffix: str) -> StoredMedia:
        """Store bytes (e.g. a downloaded file) under their hash with a suffix ('.jpg', 'mp4', ...)."""
        digest = hashlib.sha256(data).hexdigest()
        existing = self._existing(digest)
        if existing is not None:
            return self._stored(existing)

        def write(handle: BinaryIO) -> str:
            handle.write(data)
            return digest

        return self._commit(write, suffix)

    def path_for(self, sha256: str) -> Path:
        """The stored file for a hash; MediaError when nothing with that hash is stored."""
        existing = self._existing(self._checked(sha256))
        if existing is None:
            raise MediaError(
                f"The media file {sha256[:12]}... is no longer in the media store; upload it again.",
                code="not_in_store",
            )
        return existing

    def url_for(self, sha256: str) -> str:
        return self._url(self.path_for(sha256))

    def get(self, sha256: str) -> StoredMedia:
        return self._stored(self.path_for(sha256))

    def __contains__(self, sha256: object) -> bool:
        return isinstance(sha256, str) and bool(_SHA256_RE.match(sha256)) and self._existing(sha256) is not None

    def _put_stream(self, source: BinaryIO, suffix: str) -> StoredMedia:
        def write(handle: BinaryIO) -> str:
            # One pass over the source: hash while copying, then decide whether the content is new.
            hasher = hashlib.sha256()
            while chunk := source.read(_CHUNK):
                hasher.update(chunk)
                handle.write(chunk)
            return hasher.hexdigest()

        return self._commit(write, suffix)

    def _commit(self, write: Callable[[BinaryIO], str], suffix: str) -> StoredMedia:
        """Write through a temp file beside the store, then rename it to its content address."""
        staging = self.root / ".staging"
        staging.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=staging, prefix="put-")
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                digest = write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            existing = self._existing(digest)
            if existing is not None:
                return self._stored(existing)
            final = self._shard(digest) / f"{digest}{_normal_suffix(suffix)}"
            final.parent.mkdir(parents=True, exist_ok=True)
            temp.chmod(0o644)
            # Rename within one filesystem is atomic: readers see no file or the whole file, never a part.
            os.replace(temp, final)
            return self._stored(final)
        finally:
            temp.unlink(missing_ok=True)

    def _existing(self, digest: str) -> Path | None:
        shard = self._shard(digest)
        if not shard.is_dir():
            return None
        return next(iter(sorted(shard.glob(f"{digest}*"))), None)

    def _shard(self, digest: str) -> Path:
        return self.root / digest[:2]

    def _stored(self, path: Path) -> StoredMedia:
        return StoredMedia(sha256=path.name[:64], path=path, url=self._url(path), bytes=path.stat().st_size)

    def _url(self, path: Path) -> str:
        return f"{self.public_url}/{path.parent.name}/{path.name}"

    @staticmethod
    def _checked(sha256: str) -> str:
        if not _SHA256_RE.match(sha256):
            raise MediaError(f"{sha256!r} is not a media id (a 64-character SHA-256 in hex).", code="bad_media_id")
        return sha256


def _normal_suffix(suffix: str) -> str:
    suffix = suffix.lower()
    if suffix and not suffix.startswith("."):
        suffix = f".{suffix}"
    if suffix == ".jpeg":
        suffix = ".jpg"
    return suffix if _SUFFIX_RE.match(suffix) else ""

"""The media store keeps one copy per content and serves it at a URL platforms can fetch."""

import threading
from pathlib import Path

import httpx
import pytest

from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.media.store import MediaStore


def test_stored_file_is_served_at_its_url(media_store: MediaStore, sample_jpeg: Path) -> None:
    stored = media_store.put_file(sample_jpeg)
    response = httpx.get(stored.url)
    assert response.status_code == 200
    assert response.content == sample_jpeg.read_bytes()
    assert response.headers["content-type"] == "image/jpeg"
    assert stored.bytes == sample_jpeg.stat().st_size and stored.content_type == "image/jpeg"


def test_server_answers_range_requests_for_resumable_fetchers(media_store: MediaStore, sample_video_with_audio: Path):
    stored = media_store.put_file(sample_video_with_audio)
    response = httpx.get(stored.url, headers={"Range": "bytes=0-99"})
    assert response.status_code == 206
    assert response.content == sample_video_with_audio.read_bytes()[:100]
    assert response.headers["content-type"] == "video/mp4"


def test_putting_the_same_content_twice_gives_the_same_file(media_store: MediaStore, sample_jpeg: Path) -> None:
    first = media_store.put_file(sample_jpeg)
    second = media_store.put_bytes(sample_jpeg.read_bytes(), ".jpeg")
    assert first == second
    assert media_store.path_for(first.sha256) == first.path
    assert media_store.url_for(first.sha256) == first.url
    files = [p for p in media_store.root.rglob("*") if p.is_file()]
    assert files == [first.path]


def test_concurrent_puts_of_one_file_leave_one_whole_copy(media_store: MediaStore, sample_video_with_audio: Path):
    data = sample_video_with_audio.read_bytes()
    results = []
    threads = [threading.Thread(target=lambda: results.append(media_store.put_bytes(data, "mp4"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r.path for r in results}) == 1
    assert results[0].path.read_bytes() == data
    assert [p for p in media_store.root.rglob("*") if p.is_file()] == [results[0].path]


def test_source_file_is_left_in_place(media_store: MediaStore, sample_jpeg: Path) -> None:
    before = sample_jpeg.read_bytes()
    media_store.put_file(sample_jpeg)
    assert sample_jpeg.read_bytes() == before


def test_unknown_or_malformed_ids_are_clear_errors(media_store: MediaStore) -> None:
    with pytest.raises(MediaError) as missing:
        media_store.path_for("0" * 64)
    assert missing.value.code == "not_in_store"
    with pytest.raises(MediaError) as malformed:
        media_store.path_for("../../etc/passwd")
    assert malformed.value.code == "bad_media_id"


def test_missing_files_are_not_served(media_server: str) -> None:
    assert httpx.get(f"{media_server}/ab/{'ab' * 32}.jpg").status_code == 404
    assert httpx.get(f"{media_server}/").status_code == 404  # no directory listing


def test_store_reads_its_place_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZMTH_MEDIA_DIR", str(tmp_path / "m"))
    monkeypatch.setenv("AZMTH_PUBLIC_MEDIA_URL", "https://cdn.example.com/media/")
    store = MediaStore.from_settings()
    assert (store.root, store.public_url) == (tmp_path / "m", "https://cdn.example.com/media")

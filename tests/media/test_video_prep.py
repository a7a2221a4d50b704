"""Preparing videos: a silent track for Instagram (Path A), a handoff to the app (Path B), trimming."""

from pathlib import Path

import httpx
import pytest

from azmth_pipelines.integrations.instagram.handoff import instagram_handoff
from azmth_pipelines.integrations.instagram.silent_audio import ensure_audio_track
from azmth_pipelines.media.checks import check_media
from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.media.probe import probe_file
from azmth_pipelines.media.samples import make_video
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.media.trim import trim_video


def _moov_before_mdat(path: Path) -> bool:
    data = path.read_bytes()
    return 0 <= data.find(b"moov") < data.find(b"mdat")


def test_silent_video_gets_a_silent_aac_track_and_passes_reels_checks(tmp_path: Path) -> None:
    source = make_video(tmp_path / "reel.mp4", 3.5, 320, 568, audio=False)  # Reels need at least 3 s
    before = source.read_bytes()
    assert [p.code for p in check_media("instagram", probe_file(source), placement="reels")] == ["missing_audio_track"]
    output = ensure_audio_track(source)
    probe = probe_file(output)
    assert (probe.video_codec, probe.audio_codec, probe.width, probe.height) == ("h264", "aac", 320, 568)
    assert probe.duration_s == pytest.approx(3.5, abs=0.1)
    assert _moov_before_mdat(output)
    assert check_media("instagram", probe, placement="reels") == []
    assert source.read_bytes() == before


def test_video_stream_is_copied_not_reencoded(sample_video_silent: Path, tmp_path: Path) -> None:
    output = ensure_audio_track(sample_video_silent, tmp_path / "with-audio.mp4")
    # A stream copy keeps the encoder's bytes, so the output holds the source's video payload almost whole.
    video_bytes = sample_video_silent.stat().st_size
    assert video_bytes < output.stat().st_size < video_bytes * 1.1


def test_video_that_has_audio_is_returned_as_is(sample_video_with_audio: Path) -> None:
    assert ensure_audio_track(sample_video_with_audio) == sample_video_with_audio
    assert sorted(p.name for p in sample_video_with_audio.parent.iterdir()) == [sample_video_with_audio.name]


def test_codec_reels_refuses_is_reencoded_to_h264(tmp_path: Path) -> None:
    source = make_video(tmp_path / "clip.webm", 1.0, 320, 568, audio=False, codec="vp9")
    probe = probe_file(ensure_audio_track(source, tmp_path / "clip.mp4"))
    assert (probe.container, probe.video_codec, probe.audio_codec) == ("mp4", "h264", "aac")


def test_picture_cannot_get_an_audio_track(sample_jpeg: Path) -> None:
    with pytest.raises(MediaError) as caught:
        ensure_audio_track(sample_jpeg)
    assert caught.value.code == "not_video"


def test_handoff_gives_a_working_download_link_and_the_instagram_app_link(
    media_store: MediaStore, sample_video_with_audio: Path
) -> None:
    handoff = instagram_handoff(media_store, sample_video_with_audio, caption="Out now #newmusic")
    assert httpx.get(handoff.download_url).content == sample_video_with_audio.read_bytes()
    assert handoff.deep_link.startswith("instagram://")
    assert handoff.download_url in handoff.instructions and "Out now #newmusic" in handoff.instructions
    assert instagram_handoff(media_store, sample_video_with_audio).download_url == handoff.download_url


def test_trim_cuts_to_at_most_the_limit_by_stream_copy(tmp_path: Path) -> None:
    source = make_video(tmp_path / "long.mp4", 4.0, 160, 284, fps=24)
    result = trim_video(source, 2.5)
    assert result.trimmed and result.stream_copied
    duration = probe_file(result.path).duration_s
    assert duration is not None and 2.0 <= duration <= 2.5


def test_short_video_is_not_trimmed(sample_video_with_audio: Path) -> None:
    result = trim_video(sample_video_with_audio, 90)
    assert (result.path, result.trimmed) == (sample_video_with_audio, False)


def test_trim_from_a_later_start_reencodes_for_an_exact_cut(sample_video_with_audio: Path, tmp_path: Path) -> None:
    result = trim_video(sample_video_with_audio, 1.0, tmp_path / "mid.mp4", start_s=0.5)
    assert result.trimmed and not result.stream_copied
    assert probe_file(result.path).duration_s <= 1.0  # type: ignore[operator]


def test_trim_refuses_pictures(sample_jpeg: Path) -> None:
    with pytest.raises(MediaError):
        trim_video(sample_jpeg, 10)


def test_silent_video_longer_than_the_cached_silence_still_gets_a_track(tmp_path: Path) -> None:
    import ffmpeg

    from azmth_pipelines.media.ffmpeg_tool import run_ffmpeg

    short = make_video(tmp_path / "ten.mp4", 10, 32, 32, fps=24, audio=False)
    long = tmp_path / "seventeen-minutes.mp4"
    run_ffmpeg(ffmpeg.input(str(short), stream_loop=101).output(str(long), c="copy"), what="Looping")
    probe = probe_file(ensure_audio_track(long, tmp_path / "with-audio.mp4"))
    assert probe.audio_codec == "aac"
    assert probe.duration_s == pytest.approx(1020, abs=1)

"""Every awkward file gives its own clear error or problem; nothing crashes; the source is never touched."""

import contextlib
import hashlib
from pathlib import Path

import pytest

from azmth_pipelines.integrations.instagram.silent_audio import ensure_audio_track
from azmth_pipelines.media.checks import PLATFORMS, check_media
from azmth_pipelines.media.crop import CropSpec, crop_image
from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.media.probe import probe_file
from azmth_pipelines.media.trim import trim_video
from tests.media import corpus


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bad-media")
    return {
        name: make(root)
        for name, make in {
            "zero_bytes": corpus.zero_bytes,
            "truncated_jpeg": corpus.truncated_jpeg,
            "png_with_alpha": corpus.png_with_alpha,
            "cmyk_jpeg": corpus.cmyk_jpeg,
            "decompression_bomb": corpus.decompression_bomb,
            "audio_only_mp4": corpus.audio_only_mp4,
            "odd_dimension_image": corpus.odd_dimension_image,
            "odd_dimension_video": corpus.odd_dimension_video,
            "variable_frame_rate_video": corpus.variable_frame_rate_video,
            "ten_minute_video": corpus.ten_minute_video,
            "hevc_video": corpus.hevc_video,
            "unknown_container": corpus.unknown_container,
            "text_named_jpg": corpus.text_named_jpg,
            "truncated_mp4": corpus.truncated_mp4,
            "truncated_mp4_index_last": corpus.truncated_mp4_index_last,
            "audio_only_mp3": corpus.audio_only_mp3,
        }.items()
    }


@pytest.mark.parametrize(
    ("name", "code", "words"),
    [
        ("zero_bytes", "empty_file", "is empty (0 bytes)"),
        ("truncated_jpeg", "corrupt_image", "looks like an image but is damaged or incomplete"),
        ("decompression_bomb", "image_too_large", "has too many pixels to open safely"),
        ("audio_only_mp4", "no_video_stream", "has only an audio track"),
        ("audio_only_mp3", "no_video_stream", "has only an audio track"),
        ("unknown_container", "unrecognised_format", "is not an image or a video we can read"),
        ("text_named_jpg", "unrecognised_format", "is not an image or a video we can read"),
        ("truncated_mp4", "truncated_video", "is an incomplete video"),
        ("truncated_mp4_index_last", "truncated_video", "is an incomplete video"),
    ],
)
def test_unreadable_media_is_refused_with_its_own_reason_naming_the_file(
    bad: dict[str, Path], name: str, code: str, words: str
) -> None:
    with pytest.raises(MediaError) as caught:
        probe_file(bad[name])
    assert caught.value.code == code
    assert str(caught.value).startswith(f"{bad[name].name} {words}")


def test_png_with_alpha_is_refused_by_instagram_and_tiktok_but_not_threads(bad: dict[str, Path]) -> None:
    probe = probe_file(bad["png_with_alpha"])
    assert (probe.container, probe.color_mode) == ("png", "RGBA")
    assert {p.code for p in check_media("instagram", probe)} == {"unsupported_format", "unsupported_color_mode"}
    assert [p.code for p in check_media("tiktok", probe)] == ["unsupported_format"]
    assert check_media("threads", probe) == []


def test_cmyk_jpeg_is_refused_by_instagram_and_cropping_makes_it_rgb(bad: dict[str, Path], tmp_path: Path) -> None:
    probe = probe_file(bad["cmyk_jpeg"])
    assert probe.color_mode == "CMYK"
    assert [p.code for p in check_media("instagram", probe)] == ["unsupported_color_mode"]
    fixed = crop_image(bad["cmyk_jpeg"], CropSpec(aspect="4:5"), tmp_path / "fixed.jpg")
    fixed_probe = probe_file(fixed.path)
    assert fixed_probe.color_mode == "RGB"
    assert check_media("instagram", fixed_probe) == []


def test_odd_dimension_image_crops_to_even_sides(bad: dict[str, Path], tmp_path: Path) -> None:
    result = crop_image(bad["odd_dimension_image"], CropSpec(), tmp_path / "even.jpg")
    assert (result.width, result.height) == (1080, 1350)


def test_odd_dimension_video_is_reencoded_to_even_sides_when_audio_is_added(
    bad: dict[str, Path], tmp_path: Path
) -> None:
    assert (probe_file(bad["odd_dimension_video"]).width, probe_file(bad["odd_dimension_video"]).height) == (321, 569)
    fixed = probe_file(ensure_audio_track(bad["odd_dimension_video"], tmp_path / "fixed.mp4"))
    assert (fixed.width, fixed.height, fixed.video_codec, fixed.has_audio) == (320, 568, "h264", True)


def test_variable_frame_rate_video_reports_its_average_rate_and_fails_the_23_fps_floor(bad: dict[str, Path]) -> None:
    probe = probe_file(bad["variable_frame_rate_video"])
    assert probe.fps is not None and 10 < probe.fps < 23
    for platform in ("instagram", "threads", "tiktok"):
        assert "frame_rate_out_of_range" in {
            p.code for p in check_media(platform, probe, placement="reels" if platform == "instagram" else "feed")
        }
    assert "frame_rate_out_of_range" not in {p.code for p in check_media("x", probe)}  # X only caps at 60


def test_ten_minute_video_is_too_long_for_threads_and_a_short_tiktok_account(bad: dict[str, Path]) -> None:
    probe = probe_file(bad["ten_minute_video"])
    assert probe.duration_s is not None and 599 < probe.duration_s < 602
    assert "duration_too_long" in {p.code for p in check_media("threads", probe)}
    tiktok = check_media("tiktok", probe, creator_max_s=180)
    assert any(p.code == "duration_too_long" and "3 minutes" in p.message for p in tiktok)
    reels = check_media("instagram", probe, placement="reels")
    assert any(p.code == "reel_will_be_trimmed" and p.severity == "warning" for p in reels)


def test_ten_minute_video_trims_to_90_seconds_by_stream_copy(bad: dict[str, Path], tmp_path: Path) -> None:
    result = trim_video(bad["ten_minute_video"], 90, tmp_path / "reel.mp4")
    assert result.trimmed and result.stream_copied
    assert 89 <= probe_file(result.path).duration_s <= 90  # type: ignore[operator]


def test_hevc_video_suits_instagram_but_not_x(bad: dict[str, Path], tmp_path: Path) -> None:
    # The static ffmpeg from imageio-ffmpeg has libx265, so this is a real HEVC stream.
    probe = probe_file(bad["hevc_video"])
    assert probe.video_codec == "hevc"
    assert "unsupported_video_codec" not in {p.code for p in check_media("instagram", probe, placement="reels")}
    assert "unsupported_video_codec" in {p.code for p in check_media("x", probe)}
    with_audio = probe_file(ensure_audio_track(bad["hevc_video"], tmp_path / "hevc-audio.mp4"))
    assert (with_audio.video_codec, with_audio.audio_codec) == ("hevc", "aac")


def test_nothing_in_the_corpus_crashes_or_changes_the_source(bad: dict[str, Path], tmp_path: Path) -> None:
    before = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in bad.items()}
    for name, path in bad.items():
        out = tmp_path / name
        try:
            probe = probe_file(path)
        except MediaError as error:
            assert error.message.endswith(".")
            probe = None
        if probe is not None:
            for platform in PLATFORMS:
                for problem in check_media(platform, probe, placement="story", creator_max_s=60):
                    assert problem.message
        operations = [lambda p=path, o=out: crop_image(p, CropSpec(aspect="1:1"), o / "c.jpg")]
        if probe is None or probe.kind == "video":
            operations += [
                lambda p=path, o=out: ensure_audio_track(p, o / "a.mp4"),
                lambda p=path, o=out: trim_video(p, 0.5, o / "t.mp4"),
            ]
        for operation in operations:
            with contextlib.suppress(MediaError):
                operation()
    after = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in bad.items()}
    assert after == before

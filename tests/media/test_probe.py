"""Probing tells the publishing step what a file really is, as the viewer will see it."""

from pathlib import Path

import ffmpeg
import pytest
from PIL import Image

from azmth_pipelines.media.ffmpeg_tool import run_ffmpeg
from azmth_pipelines.media.probe import probe_bytes, probe_file
from azmth_pipelines.media.samples import make_image, make_video


def test_jpeg_probe_reports_format_size_and_colour_mode(sample_jpeg: Path) -> None:
    probe = probe_file(sample_jpeg)
    assert (probe.kind, probe.container, probe.width, probe.height, probe.color_mode) == (
        "image",
        "jpeg",
        1080,
        1350,
        "RGB",
    )
    assert probe.bytes == sample_jpeg.stat().st_size
    assert probe.aspect == pytest.approx(0.8)
    assert probe.duration_s is None and not probe.has_audio


def test_phone_photo_taken_sideways_is_measured_upright(tmp_path: Path) -> None:
    path = tmp_path / "sideways.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display", as phones write it
    Image.new("RGB", (400, 300), "navy").save(path, exif=exif)
    probe = probe_file(path)
    assert (probe.width, probe.height) == (300, 400)


def test_video_probe_reports_duration_rate_codecs_and_audio(sample_video_with_audio: Path) -> None:
    probe = probe_file(sample_video_with_audio)
    assert (probe.kind, probe.container, probe.video_codec, probe.audio_codec) == ("video", "mp4", "h264", "aac")
    assert (probe.width, probe.height, probe.fps) == (320, 568, 30.0)
    assert probe.duration_s == pytest.approx(2.0, abs=0.05)
    assert probe.has_audio


def test_silent_video_has_no_audio(sample_video_silent: Path) -> None:
    probe = probe_file(sample_video_silent)
    assert not probe.has_audio and probe.audio_codec is None


def test_webm_and_mov_are_told_apart_from_mkv_and_mp4(tmp_path: Path) -> None:
    webm = probe_file(make_video(tmp_path / "clip.webm", 0.5, 160, 120, audio=True, codec="vp9"))
    assert (webm.container, webm.video_codec, webm.audio_codec) == ("webm", "vp9", "opus")
    mov = probe_file(make_video(tmp_path / "clip.mov", 0.5, 160, 120, audio=False))
    assert mov.container == "mov"


def test_phone_video_recorded_in_portrait_is_measured_upright(sample_video_with_audio: Path, tmp_path: Path) -> None:
    rotated = tmp_path / "rotated.mp4"
    stream = ffmpeg.input(str(sample_video_with_audio), display_rotation=90).output(str(rotated), c="copy")
    run_ffmpeg(stream, what="Rotating")
    probe = probe_file(rotated)
    assert (probe.width, probe.height) == (568, 320)


def test_downloaded_bytes_probe_like_the_file(sample_video_with_audio: Path, sample_jpeg: Path) -> None:
    assert probe_bytes(sample_video_with_audio.read_bytes()) == probe_file(sample_video_with_audio)
    assert probe_bytes(sample_jpeg.read_bytes()) == probe_file(sample_jpeg)


def test_animated_gif_is_an_image(tmp_path: Path) -> None:
    path = tmp_path / "loop.gif"
    frames = [Image.new("P", (64, 48), color) for color in (1, 2, 3)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    probe = probe_file(path)
    assert (probe.kind, probe.container) == ("image", "gif")


def test_webp_probe(tmp_path: Path) -> None:
    probe = probe_file(make_image(tmp_path / "cover.webp", 300, 200, "WEBP"))
    assert (probe.container, probe.width, probe.height) == ("webp", 300, 200)


def test_phone_video_with_a_trailer_after_its_boxes_is_not_taken_for_a_cut_off_one(
    sample_video_with_audio: Path, tmp_path: Path
) -> None:
    # Samsung phones append their own trailer (ending in "SEFT") after the last MP4 box.
    with_trailer = tmp_path / "phone.mp4"
    with_trailer.write_bytes(sample_video_with_audio.read_bytes() + b"\x00\x00\x10\x00sefd" + bytes(40) + b"SEFT")
    probe = probe_file(with_trailer)
    assert (probe.kind, probe.width, probe.height) == ("video", 320, 568)

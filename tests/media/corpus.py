"""The bad-media corpus: every awkward file an artist can hand us, generated on the spot."""

import struct
import zlib
from pathlib import Path

import ffmpeg
from PIL import Image

from azmth_pipelines.media.ffmpeg_tool import run_ffmpeg
from azmth_pipelines.media.samples import make_image, make_video


def zero_bytes(root: Path) -> Path:
    path = root / "empty.jpg"
    path.write_bytes(b"")
    return path


def truncated_jpeg(root: Path) -> Path:
    whole = make_image(root / "whole.jpg", 640, 480).read_bytes()
    path = root / "truncated.jpg"
    path.write_bytes(whole[: len(whole) // 2])
    return path


def text_named_jpg(root: Path) -> Path:
    """Notes saved under a picture's name: ffmpeg, going by the extension, "opens" it as a picture of no size."""
    path = root / "lyrics.jpg"
    path.write_text("Verse 1\nchorus x2\n", encoding="utf-8")
    return path


def truncated_mp4(root: Path) -> Path:
    """The first half of an MP4 whose index (moov) is at the front: ffmpeg still lists its tracks."""
    whole = make_video(root / "whole.mp4", 2.0, 160, 284, fps=24).read_bytes()
    path = root / "cut-off.mp4"
    path.write_bytes(whole[: len(whole) // 2])
    return path


def truncated_mp4_index_last(root: Path) -> Path:
    """The first half of an MP4 written with its index last, as most encoders do: the index never arrived."""
    whole = root / "index-last.mp4"
    front = make_video(root / "index-first.mp4", 2.0, 160, 284, fps=24)
    run_ffmpeg(ffmpeg.input(str(front)).output(str(whole), c="copy"), what="Moving the index last")
    data = whole.read_bytes()
    path = root / "cut-before-index.mp4"
    path.write_bytes(data[: len(data) // 2])
    return path


def audio_only_mp3(root: Path) -> Path:
    path = root / "demo-track.mp3"
    run_ffmpeg(ffmpeg.input("sine=duration=1", f="lavfi").output(str(path)), what="Making audio")
    return path


def png_with_alpha(root: Path) -> Path:
    return make_image(root / "alpha.png", 400, 400, "PNG", mode="RGBA")


def cmyk_jpeg(root: Path) -> Path:
    return make_image(root / "print-cmyk.jpg", 800, 1000, "JPEG", mode="CMYK")


def decompression_bomb(root: Path) -> Path:
    """A tiny PNG whose header claims 30000x30000 pixels (Pillow refuses past 2x MAX_IMAGE_PIXELS)."""
    small = root / "bomb-small.png"
    Image.new("L", (8, 8)).save(small)
    data = bytearray(small.read_bytes())
    ihdr = data[12:29]  # b"IHDR" + 13 bytes of fields
    ihdr[4:12] = struct.pack(">II", 30000, 30000)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    path = root / "bomb.png"
    path.write_bytes(bytes(data))
    return path


def audio_only_mp4(root: Path) -> Path:
    path = root / "audio-only.mp4"
    run_ffmpeg(ffmpeg.input("sine=duration=1", f="lavfi").output(str(path), acodec="aac"), what="Making audio")
    return path


def odd_dimension_image(root: Path) -> Path:
    return make_image(root / "odd.jpg", 1081, 1351)


def odd_dimension_video(root: Path) -> Path:
    """321x569: only possible outside 4:2:0, so the stream is 4:4:4 (which Reels does not take)."""
    path = root / "odd.mp4"
    stream = (
        ffmpeg.input("testsrc2=size=320x568:rate=30:duration=1", f="lavfi")
        .filter("scale", 321, 569)
        .output(str(path), vcodec="libx264", preset="ultrafast", pix_fmt="yuv444p")
    )
    run_ffmpeg(stream, what="Making an odd video")
    return path


def variable_frame_rate_video(root: Path) -> Path:
    """3 s: 30 fps for the first second, then every third frame (average ~17 fps)."""
    path = root / "vfr.mp4"
    stream = (
        ffmpeg.input("testsrc2=size=320x240:rate=30:duration=3", f="lavfi")
        .filter("select", "lt(n,30)+not(mod(n,3))")
        .output(str(path), vcodec="libx264", preset="ultrafast", pix_fmt="yuv420p", fps_mode="vfr")
    )
    run_ffmpeg(stream, what="Making a VFR video")
    return path


def ten_minute_video(root: Path) -> Path:
    """A 10 s 32x32 clip looped 60 times by stream copy: a 10-minute file in well under a second."""
    short = make_video(root / "ten-seconds.mp4", 10, 32, 32, fps=24, audio=True)
    path = root / "ten-minutes.mp4"
    run_ffmpeg(ffmpeg.input(str(short), stream_loop=59).output(str(path), c="copy"), what="Looping")
    short.unlink()
    return path


def hevc_video(root: Path) -> Path:
    return make_video(root / "hevc.mp4", 1.0, 320, 568, audio=False, codec="hevc")


def unknown_container(root: Path) -> Path:
    path = root / "mystery.mp4"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    return path

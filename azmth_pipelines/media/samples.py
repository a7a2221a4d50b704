"""Realistic sample media for the demo and tests: Pillow drawings and ffmpeg lavfi clips (testsrc2 + sine).

Defaults are small so a test suite can make dozens of files in a second or two.
"""

from pathlib import Path
from typing import Literal

import ffmpeg
from PIL import Image, ImageDraw

from azmth_pipelines.media.ffmpeg_tool import run_ffmpeg

VideoCodec = Literal["h264", "hevc", "vp8", "vp9"]

_ENCODER_ARGS: dict[str, dict[str, str | int]] = {
    "h264": {"vcodec": "libx264", "preset": "ultrafast", "pix_fmt": "yuv420p"},
    # hvc1 is the sample-entry tag Apple and Meta players expect for HEVC in MP4/MOV (hev1 is often refused).
    "hevc": {
        "vcodec": "libx265",
        "preset": "ultrafast",
        "pix_fmt": "yuv420p",
        "tag:v": "hvc1",
        "x265-params": "log-level=error",
    },
    "vp8": {"vcodec": "libvpx", "deadline": "realtime", "cpu-used": 8, "b:v": "500k"},
    "vp9": {"vcodec": "libvpx-vp9", "deadline": "realtime", "cpu-used": 8, "row-mt": 1, "b:v": "500k"},
}


def make_image(path: Path, width: int = 640, height: int = 480, fmt: str = "JPEG", *, mode: str = "RGB") -> Path:
    """Write a gradient-and-shapes picture (so crops and encoders see real detail) in `fmt` and `mode`."""
    path = Path(path)
    gradient = Image.linear_gradient("L").resize((width, height))
    picture = Image.merge(
        "RGB",
        (
            gradient,
            gradient.transpose(Image.Transpose.ROTATE_90).resize((width, height)),
            Image.new("L", (width, height), 140),
        ),
    )
    draw = ImageDraw.Draw(picture)
    step = max(8, min(width, height) // 6)
    for index, x in enumerate(range(0, width, step)):
        draw.ellipse((x, height // 3, x + step, height // 3 + step), fill=(255, (index * 40) % 256, 60))
    draw.rectangle(
        (width // 2 - step // 2, height // 2 - step // 2, width // 2 + step // 2, height // 2 + step // 2),
        outline=(255, 255, 255),
        width=max(1, step // 10),
    )
    if mode == "RGBA":
        image = picture.convert("RGBA")
        image.putalpha(Image.linear_gradient("L").resize((width, height)))
    else:
        image = picture.convert(mode)
    options = {"quality": 90} if fmt.upper() in {"JPEG", "WEBP"} else {}
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format=fmt, **options)
    return path


def make_video(
    path: Path,
    seconds: float = 2.0,
    width: int = 320,
    height: int = 568,
    fps: float = 30,
    audio: bool = True,
    codec: VideoCodec = "h264",
) -> Path:
    """Write a test-pattern clip with an optional 440 Hz tone; the container follows the file suffix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    video = ffmpeg.input(f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}", f="lavfi")
    streams = [video]
    options: dict[str, str | int | float] = {**_ENCODER_ARGS[codec], "t": seconds}
    if audio:
        streams.append(ffmpeg.input(f"sine=frequency=440:sample_rate=48000:duration={seconds}", f="lavfi"))
        options["acodec"] = "libopus" if path.suffix.lower() == ".webm" else "aac"
    if path.suffix.lower() in {".mp4", ".mov"}:
        options["movflags"] = "+faststart"
    run_ffmpeg(ffmpeg.output(*streams, str(path), **options), what="Making a sample video")
    return path

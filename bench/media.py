"""Media bench: are our media steps close to the cheapest thing that could do the same job?

1. Silent-audio mux (Instagram Path A) vs a plain stream-copy remux of the same file. Goal: ratio <= 1.3.
2. Crop (open, EXIF transpose, crop 4:5, sRGB JPEG q90) vs decode + encode of the same picture. Goal <= 1.3.

Run: .venv/bin/python bench/media.py [--repeat 7]. Prints medians of `repeat` runs, measured in this run.
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import ffmpeg
from PIL import Image

from azmth_pipelines.integrations.instagram.silent_audio import mux_silent_audio
from azmth_pipelines.media.crop import CropSpec, crop_image
from azmth_pipelines.media.ffmpeg_tool import run_ffmpeg
from azmth_pipelines.media.probe import probe_file
from azmth_pipelines.media.samples import make_image, make_video

GOAL = 1.3


def paired_medians(ours: Callable[[], object], baseline: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median seconds of each, run alternately so both see the same load from anything else on the machine."""
    ours()
    baseline()  # warm the page cache and imports
    ours_times, baseline_times = [], []
    for _ in range(repeat):
        for action, times in ((ours, ours_times), (baseline, baseline_times)):
            start = time.perf_counter()
            action()
            times.append(time.perf_counter() - start)
    return statistics.median(ours_times), statistics.median(baseline_times)


def report(name: str, ours: float, baseline: float, baseline_name: str) -> bool:
    ratio = ours / baseline
    verdict = "ok" if ratio <= GOAL else "OVER GOAL"
    print(
        f"{name:28} {ours * 1000:8.1f} ms   {baseline_name:28} {baseline * 1000:8.1f} ms   ratio {ratio:.2f} {verdict}"
    )
    return ratio <= GOAL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="azmth-bench-") as name:
        root = Path(name)
        video = make_video(root / "reel.mp4", 5.0, 1080, 1920, fps=30, audio=False)
        probe = probe_file(video)
        mux, remux = paired_medians(
            lambda: mux_silent_audio(video, probe, root / "muxed.mp4"),
            lambda: run_ffmpeg(
                ffmpeg.input(str(video)).output(str(root / "remux.mp4"), c="copy", movflags="+faststart"),
                what="Remux",
            ),
            args.repeat,
        )
        photo = make_image(root / "photo.jpg", 4000, 3000)

        def decode_encode() -> None:
            with Image.open(photo) as image:
                image.load()
                image.save(root / "plain.jpg", format="JPEG", quality=90)

        crop, plain = paired_medians(
            lambda: crop_image(photo, CropSpec(aspect="4:5"), root / "crop.jpg"), decode_encode, args.repeat
        )
        print(
            f"video: 5 s 1080x1920 H.264 ({video.stat().st_size / 1e6:.1f} MB); photo: 4000x3000 JPEG; "
            f"median of {args.repeat}"
        )
        ok = report("silent-audio mux", mux, remux, "stream-copy remux")
        ok &= report("crop 4:5 (sRGB JPEG q90)", crop, plain, "decode + encode q90")
        raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""`azmth media ...`: look at, crop, trim and check media files before they are scheduled."""

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from azmth_pipelines.cli.output import fail, one_line_errors
from azmth_pipelines.cli.ports import is_port_taken
from azmth_pipelines.config import settings
from azmth_pipelines.integrations.instagram.silent_audio import ensure_audio_track
from azmth_pipelines.media.checks import PLACEMENTS, PLATFORMS, check_media
from azmth_pipelines.media.crop import CropSpec, crop_image
from azmth_pipelines.media.probe import probe_file
from azmth_pipelines.media.trim import trim_video

media_app = typer.Typer(help="Inspect and prepare media files for publishing.", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help="The media file.", show_default=False)]
OutOption = Annotated[Path | None, typer.Option("--output", "-o", help="Where to write the result.")]


def _floats(text: str, count: int, what: str, example: str) -> tuple[float, ...]:
    parts = text.split(",")
    try:
        values = tuple(float(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != count:
        fail(f"{what} {text!r} is not valid; write it like {example}.")
    return values


@media_app.command()
def probe(file: FileArg, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show what a media file is: kind, format, size, dimensions, duration, frame rate, codecs."""
    with one_line_errors():
        found = probe_file(file)
    if as_json:
        typer.echo(json.dumps(found.to_dict(), indent=2))
        return
    for key, value in found.to_dict().items():
        if value is not None:
            typer.echo(f"{key:12} {value}")


@media_app.command()
def crop(
    file: FileArg,
    aspect: Annotated[str | None, typer.Option(help="1:1, 4:5, 9:16, 16:9 or W:H.")] = None,
    focus: Annotated[str | None, typer.Option(help="Point to keep centred, x,y in 0..1, e.g. 0.5,0.3.")] = None,
    box: Annotated[str | None, typer.Option(help="Pixel box x,y,width,height of the upright picture.")] = None,
    max_width: Annotated[int | None, typer.Option(help="Scale down to at most this width.")] = None,
    max_height: Annotated[int | None, typer.Option(help="Scale down to at most this height.")] = None,
    output: OutOption = None,
) -> None:
    """Crop a picture to an aspect ratio and/or box; writes an sRGB JPEG with even sides."""
    focus_point = _floats(focus, 2, "The focus point", "0.5,0.3") if focus else None
    pixel_box = _floats(box, 4, "The box", "100,0,1080,1350") if box else None
    if pixel_box is not None and any(value != int(value) for value in pixel_box):
        fail(f"The box {box!r} must be whole pixels, like 100,0,1080,1350.")
    with one_line_errors():
        spec = CropSpec(
            aspect=aspect,
            focus=(focus_point[0], focus_point[1]) if focus_point else None,
            box=tuple(int(value) for value in pixel_box) if pixel_box else None,  # type: ignore[arg-type]
        )
        result = crop_image(file, spec, output, max_width=max_width, max_height=max_height)
    typer.echo(f"{result.path} {result.width}x{result.height}")


@media_app.command()
def trim(
    file: FileArg,
    max_seconds: Annotated[float, typer.Option("--max", help="Keep at most this many seconds.")] = 90.0,
    start: Annotated[float, typer.Option(help="Start this many seconds in (re-encodes).")] = 0.0,
    output: OutOption = None,
) -> None:
    """Trim a video to at most --max seconds (stream copy when starting at 0)."""
    with one_line_errors():
        result = trim_video(file, max_seconds, output, start_s=start)
    note = "" if result.trimmed else " (already short enough, unchanged)"
    typer.echo(f"{result.path} {result.duration_s:.2f}s{note}")


@media_app.command("add-audio")
def add_audio(file: FileArg, output: OutOption = None) -> None:
    """Give a video without sound a silent AAC track (Instagram Reels refuses videos without audio)."""
    with one_line_errors():
        result = ensure_audio_track(file, output)
    note = " (already has audio, unchanged)" if result == file else ""
    typer.echo(f"{result}{note}")


@media_app.command()
def check(
    file: FileArg,
    platform: Annotated[list[str] | None, typer.Option(help=f"One of {', '.join(PLATFORMS)}; repeatable.")] = None,
    placement: Annotated[str, typer.Option(help=f"One of {', '.join(PLACEMENTS)}.")] = "feed",
    tiktok_max_duration: Annotated[int | None, typer.Option(help="The creator's max_video_post_duration_sec.")] = None,
    x_premium: Annotated[bool, typer.Option(help="The X account is Premium/verified.")] = False,
) -> None:
    """Check a file against each platform's documented limits; exit code 1 when any limit is broken."""
    chosen = platform or list(PLATFORMS)
    unknown = [name for name in chosen if name not in PLATFORMS]
    if unknown or placement not in PLACEMENTS:
        fail(f"Choose platforms from {', '.join(PLATFORMS)} and a placement from {', '.join(PLACEMENTS)}.")
    with one_line_errors():
        found = probe_file(file)
    errors = 0
    for name in chosen:
        problems = check_media(name, found, placement=placement, creator_max_s=tiktok_max_duration, premium=x_premium)
        if not problems:
            typer.echo(f"ok       {name}: meets the documented limits")
        for problem in problems:
            errors += problem.severity == "error"
            typer.echo(f"{problem.severity:8} {problem.message}")
    if errors:
        raise typer.Exit(code=1)


@media_app.command()
def serve(
    port: Annotated[int | None, typer.Option(help="Port (default: the one in AZMTH_PUBLIC_MEDIA_URL).")] = None,
) -> None:
    """Serve the media directory on 127.0.0.1 for the demo (production uses a bucket/CDN)."""
    from urllib.parse import urlsplit

    from azmth_pipelines.media.server import MediaServer

    current = settings()
    public = urlsplit(current.public_media_url)
    chosen = port if port is not None else public.port or 8701
    server = MediaServer(current.media_dir, port=chosen, path=public.path)
    try:
        url = server.start()
    except OSError as exc:
        if not is_port_taken(exc):
            raise
        # Platforms fetch media from AZMTH_PUBLIC_MEDIA_URL, so another port only helps when that says so too.
        fail(
            f"port {chosen} is in use on 127.0.0.1 (another media server?); pass --port with a free port "
            f"and point AZMTH_PUBLIC_MEDIA_URL at it, e.g. "
            f"AZMTH_PUBLIC_MEDIA_URL=http://127.0.0.1:8711{public.path} azmth media serve --port 8711"
        )
    if url.rstrip("/") != current.public_media_url.rstrip("/"):
        typer.echo(f"warning: platforms fetch media at AZMTH_PUBLIC_MEDIA_URL={current.public_media_url}", err=True)
    typer.echo(f"Serving {current.media_dir} at {url} (Ctrl+C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()

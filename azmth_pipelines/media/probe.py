"""What a media file is: kind, container, size, dimensions and, for video, duration, frame rate and codecs.

Images are read with Pillow; videos with the static ffmpeg's `-i` report (there is no ffprobe, and exit code 1
is how ffmpeg says "no output given"). A file that reads as neither is refused as such, whatever its name says:
ffmpeg picks its single-picture reader from the extension alone, so a text file named `.jpg` "opens" in ffmpeg as
a picture of no size. Width and height are as displayed: EXIF orientation on images and the display-matrix
rotation on phone videos are applied, because platforms check the shape the viewer sees.
"""

import os
import re
import struct
import subprocess
import tempfile
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from PIL import Image, UnidentifiedImageError

from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.media.ffmpeg_tool import ffmpeg_exe

PROBE_TIMEOUT_S = 60

# EXIF orientations 5-8 turn the picture by 90 degrees: the displayed width and height are swapped.
_EXIF_ORIENTATION_TAG = 0x0112
_SWAPPING_ORIENTATIONS = {5, 6, 7, 8}

# ffmpeg names demuxers by the list of formats they read; the file's own brand tells which one it is.
_QUICKTIME_BRANDS = {"qt": "mov", "m4a": "m4a", "m4v": "mp4", "3gp4": "3gp", "3gp5": "3gp", "3gp6": "3gp"}

_DURATION_RE = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_INPUT_RE = re.compile(r"^Input #0, ([^ ]+), from", re.MULTILINE)
_BRAND_RE = re.compile(r"major_brand\s*:\s*(\S+)")
_STREAM_RE = re.compile(r"^\s*Stream #0:\d+\S*: (Video|Audio|Subtitle|Data|Attachment): (\w+)(.*)$", re.MULTILINE)
_SIZE_RE = re.compile(r"(?:^|, )(\d{1,5})x(\d{1,5})(?=[\s,]|$)")
_FPS_RE = re.compile(r"(\d+(?:\.\d+)?)(k?) fps")
_TBR_RE = re.compile(r"(\d+(?:\.\d+)?)(k?) tbr")
_ROTATION_RE = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees", re.IGNORECASE)

# ffmpeg reads single pictures with `image2` (chosen by extension) or a `<codec>_pipe` demuxer (chosen by content).
_PICTURE_DEMUXER_RE = re.compile(r"^(image2|\w+_pipe)$")
# The top-level boxes that hold a video's frames or its index: one that runs past the end means lost data.
_MEDIA_BOXES = {b"mdat", b"moov", b"moof"}


@dataclass(frozen=True)
class MediaProbe:
    kind: Literal["image", "video"]
    container: str
    bytes: int
    width: int
    height: int
    duration_s: float | None = None
    fps: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    has_audio: bool = False
    color_mode: str | None = None

    @property
    def aspect(self) -> float:
        return self.width / self.height

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "aspect": round(self.aspect, 4)}


def probe_file(path: Path) -> MediaProbe:
    """Probe a file on disk; raises MediaError when it is missing, empty, corrupt or not image/video."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise MediaError(f"The file {path} does not exist; check the path and try again.", code="not_found") from exc
    except OSError as exc:
        raise MediaError(f"The file {path} cannot be read ({exc.strerror}); check its permissions.") from exc
    if not path.is_file():
        raise MediaError(f"{path} is not a file; choose an image or video file.", code="not_a_file")
    if size == 0:
        raise MediaError(
            f"{path.name} is empty (0 bytes); the upload or export did not finish - export it again.",
            code="empty_file",
        )
    image = _probe_image(path, size)
    if image is not None:
        return image
    if _mp4_cut_short(path, size):
        raise MediaError(
            f"{path.name} is an incomplete video: the file ends before its data does, so the upload, download or "
            "export did not finish; export or download it again.",
            code="truncated_video",
        )
    return _probe_video(path, size)


def probe_bytes(data: bytes) -> MediaProbe:
    """Probe media held in memory (e.g. a downloaded file); same rules as probe_file."""
    if not data:
        raise MediaError(
            "The media is empty (0 bytes); the upload did not finish - upload it again.", code="empty_file"
        )
    # ffmpeg needs a seekable file for MP4s whose index (moov atom) is at the end, so go through a temp file.
    fd, name = tempfile.mkstemp(prefix="azmth-probe-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return probe_file(Path(name))
    finally:
        os.unlink(name)


def _probe_image(path: Path, size: int) -> MediaProbe | None:
    """Probe with Pillow; None when Pillow does not recognise the file (it may be a video)."""
    try:
        with warnings.catch_warnings():
            # Between 1x and 2x MAX_IMAGE_PIXELS Pillow only warns; no platform takes such an image either.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                container = (img.format or "unknown").lower()
                width, height = img.size
                mode = img.mode
                orientation = img.getexif().get(_EXIF_ORIENTATION_TAG, 1)
                if container == "jpeg" or container == "mpo":
                    # Decoding at 1/8 scale still reads the whole entropy-coded stream, so truncation shows.
                    img.draft(None, (max(1, width // 8), max(1, height // 8)))
                img.load()
    except UnidentifiedImageError:
        return None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError(
            f"{path.name} has too many pixels to open safely (limit {Image.MAX_IMAGE_PIXELS:,} pixels); "
            "resize it to at most 4096 px on the long side and try again.",
            code="image_too_large",
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise MediaError(
            f"{path.name} looks like an image but is damaged or incomplete ({exc}); export or download it again.",
            code="corrupt_image",
        ) from exc
    if orientation in _SWAPPING_ORIENTATIONS:
        width, height = height, width
    return MediaProbe(kind="image", container=container, bytes=size, width=width, height=height, color_mode=mode)


def _probe_video(path: Path, size: int) -> MediaProbe:
    try:
        result = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
            capture_output=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaError(
            f"{path.name} could not be read within {PROBE_TIMEOUT_S} s; export it again as MP4 (H.264 + AAC).",
            code="probe_timeout",
        ) from exc
    report = result.stderr.decode("utf-8", "replace")
    input_match = _INPUT_RE.search(report)
    if input_match is None:
        raise _unreadable(path)
    streams = [(m.group(1), m.group(2), m.group(3), m.end()) for m in _STREAM_RE.finditer(report)]
    videos = [s for s in streams if s[0] == "Video" and "(attached pic)" not in s[2]]
    audios = [s for s in streams if s[0] == "Audio"]
    if not videos:
        what = "only an audio track" if audios else "no video track"
        raise MediaError(
            f"{path.name} has {what}; platforms need a video, so add the visuals and export it as MP4.",
            code="no_video_stream",
        )
    _, codec, details, end = videos[0]
    if _PICTURE_DEMUXER_RE.match(input_match.group(1)):
        # Pillow, which reads every picture format we take, did not recognise it.
        raise _unreadable(path)
    size_match = _SIZE_RE.search(details)
    if size_match is None:
        raise MediaError(
            f"{path.name} has a video track whose pictures cannot be read (damaged, or a codec we do not know); "
            "export it again as MP4 (H.264).",
            code="corrupt_video",
        )
    width, height = int(size_match.group(1)), int(size_match.group(2))
    if _rotation_after(report, end) in (90, 270):
        width, height = height, width
    duration_match = _DURATION_RE.search(report)
    duration = None
    if duration_match:
        hours, minutes, seconds = duration_match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    return MediaProbe(
        kind="video",
        container=_container_name(path, input_match.group(1), report),
        bytes=size,
        width=width,
        height=height,
        duration_s=duration,
        fps=_rate(_FPS_RE, details) or _rate(_TBR_RE, details),
        video_codec=codec.lower(),
        audio_codec=audios[0][1].lower() if audios else None,
        has_audio=bool(audios),
    )


def _unreadable(path: Path) -> MediaError:
    return MediaError(
        f"{path.name} is not an image or a video we can read; "
        "use JPEG, PNG or WebP for images and MP4 or MOV for videos.",
        code="unrecognised_format",
    )


def _mp4_cut_short(path: Path, size: int) -> bool:
    """An MP4/MOV (it starts with an `ftyp` box) cut off part way: its media data or index runs past the end of the
    file, or it has neither a `moov` box (a video's index, which encoders often write last) nor a `meta` one
    (HEIF/AVIF pictures have that instead). Anything else after the boxes (a camera's trailer) is left to ffmpeg."""
    boxes: list[bytes] = []
    offset = 0
    with path.open("rb") as handle:
        while offset + 8 <= size:
            handle.seek(offset)
            header = handle.read(16)
            box_size, box_type = struct.unpack(">I4s", header[:8])
            if not boxes and box_type != b"ftyp":
                return False
            boxes.append(box_type)
            if box_size == 1 and len(header) == 16:  # a 64-bit size follows the type
                box_size = struct.unpack(">Q", header[8:16])[0]
            elif box_size == 0:  # the last box runs to the end of the file
                offset = size
                break
            if box_size < 8:
                break  # not a box: bytes after the last one
            if offset + box_size > size:
                return box_type in _MEDIA_BOXES
            offset += box_size
    return bool(boxes) and not {b"moov", b"meta"} & set(boxes)


def _rotation_after(report: str, stream_end: int) -> int:
    """The display rotation (0/90/180/270) in the side data after a stream line, before the next stream."""
    following = report[stream_end:]
    next_stream = following.find("Stream #")
    block = following if next_stream < 0 else following[:next_stream]
    match = _ROTATION_RE.search(block)
    return round(float(match.group(1))) % 360 if match else 0


def _rate(pattern: re.Pattern[str], details: str) -> float | None:
    match = pattern.search(details)
    if match is None:
        return None
    value = float(match.group(1)) * (1000 if match.group(2) else 1)
    return value or None


def _container_name(path: Path, demuxer: str, report: str) -> str:
    names = demuxer.split(",")
    if "mov" in names:
        brand = _BRAND_RE.search(report)
        return _QUICKTIME_BRANDS.get(brand.group(1).lower(), "mp4") if brand else "mp4"
    if "matroska" in names:
        with path.open("rb") as handle:
            head = handle.read(64)
        return "webm" if b"webm" in head else "mkv"
    return names[0].lower()

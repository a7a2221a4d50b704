"""Crop a picture for a platform: an aspect preset and a focal point, or an explicit pixel box.

The output is always an sRGB JPEG with even width and height (H.264 4:2:0 needs even sides when the still
becomes a video cover) no larger than the given maximum (never upscaled), written atomically beside nothing
else: the source is only read. EXIF is dropped once its orientation is applied, which also removes GPS tags.
"""

import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from azmth_pipelines.media.atomic import atomic_output
from azmth_pipelines.media.errors import MediaError

PRESETS: dict[str, tuple[int, int]] = {"1:1": (1, 1), "4:5": (4, 5), "9:16": (9, 16), "16:9": (16, 9)}
JPEG_QUALITY = 90
_RATIO_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[:x/]\s*(\d+(?:\.\d+)?)\s*$")
_SRGB = ImageCms.createProfile("sRGB")
_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class CropSpec:
    """How to crop one picture for one platform; stored per platform as a small JSON dict.

    `box` (x, y, width, height in pixels of the upright picture) limits the region; `aspect` ("4:5", or any
    "W:H") then takes the largest such rectangle inside it, placed as near as possible to centre `focus`
    (x, y in 0..1 of the region; default the centre). With neither, the whole picture is kept.
    """

    aspect: str | None = None
    focus: tuple[float, float] | None = None
    box: tuple[int, int, int, int] | None = None

    def __post_init__(self) -> None:
        if self.aspect is not None:
            aspect_ratio(self.aspect)
        if self.focus is not None and (len(self.focus) != 2 or not all(0 <= v <= 1 for v in self.focus)):
            raise MediaError(
                f"The focus point {self.focus} is not valid; give x,y between 0 and 1 (0.5,0.5 is the centre).",
                code="bad_crop",
            )
        if self.box is not None and (len(self.box) != 4 or self.box[2] <= 0 or self.box[3] <= 0):
            raise MediaError(
                f"The crop box {self.box} is not valid; give x,y,width,height in whole pixels, "
                "with width and height above 0.",
                code="bad_crop",
            )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.aspect is not None:
            out["aspect"] = self.aspect
        if self.focus is not None:
            out["focus"] = list(self.focus)
        if self.box is not None:
            out["box"] = list(self.box)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CropSpec":
        unknown = set(data) - {"aspect", "focus", "box"}
        if unknown:
            raise MediaError(f"The crop settings have unknown keys {sorted(unknown)}.", code="bad_crop")
        focus, box = data.get("focus"), data.get("box")
        return cls(
            aspect=data.get("aspect"),
            focus=(float(focus[0]), float(focus[1])) if focus is not None else None,
            box=(int(box[0]), int(box[1]), int(box[2]), int(box[3])) if box is not None else None,
        )


@dataclass(frozen=True)
class CropResult:
    path: Path
    width: int
    height: int
    box: tuple[int, int, int, int]  # the region taken from the upright source, x, y, width, height


def aspect_ratio(aspect: str) -> float:
    """'4:5' -> 0.8; any positive 'W:H' is accepted beside the presets."""
    if aspect in PRESETS:
        width, height = PRESETS[aspect]
        return width / height
    match = _RATIO_RE.match(aspect)
    if match is None or float(match.group(1)) <= 0 or float(match.group(2)) <= 0:
        raise MediaError(
            f"The aspect ratio {aspect!r} is not valid; use one of {', '.join(PRESETS)} or W:H like 1.91:1.",
            code="bad_crop",
        )
    return float(match.group(1)) / float(match.group(2))


def crop_box(size: tuple[int, int], spec: CropSpec) -> tuple[int, int, int, int]:
    """The (x, y, width, height) region of an upright picture of `size` that `spec` selects."""
    image_w, image_h = size
    if spec.box is not None:
        x, y, w, h = spec.box
        if x < 0 or y < 0 or x + w > image_w or y + h > image_h:
            raise MediaError(
                f"The crop box {x},{y},{w},{h} reaches outside the {image_w}x{image_h} picture; "
                "choose a box inside it.",
                code="crop_outside_image",
            )
    else:
        x, y, w, h = 0, 0, image_w, image_h
    if spec.aspect is None:
        return x, y, w, h
    ratio = aspect_ratio(spec.aspect)
    crop_w, crop_h = (w, round(w / ratio)) if w / h <= ratio else (round(h * ratio), h)
    crop_w, crop_h = max(1, min(crop_w, w)), max(1, min(crop_h, h))
    focus_x, focus_y = spec.focus or (0.5, 0.5)
    left = min(max(round(focus_x * w - crop_w / 2), 0), w - crop_w)
    top = min(max(round(focus_y * h - crop_h / 2), 0), h - crop_h)
    return x + left, y + top, crop_w, crop_h


def output_size(width: int, height: int, max_width: int | None, max_height: int | None) -> tuple[int, int]:
    """Scale down (never up) to fit the maximum, then round each side down to even (at least 2)."""
    scale = min(1.0, (max_width or width) / width, (max_height or height) / height)
    out_w, out_h = max(1, int(width * scale)), max(1, int(height * scale))
    return max(2, out_w - out_w % 2), max(2, out_h - out_h % 2)


def cropped_size(size: tuple[int, int], spec: CropSpec) -> tuple[int, int]:
    """The width and height `crop_image` (no maximum) gives a picture of `size`, known before cropping it."""
    _, _, width, height = crop_box(size, spec)
    return output_size(width, height, None, None)


def crop_image(
    source: Path,
    spec: CropSpec,
    output: Path | None = None,
    *,
    max_width: int | None = None,
    max_height: int | None = None,
    quality: int = JPEG_QUALITY,
) -> CropResult:
    """Crop `source` by `spec` into an sRGB JPEG at `output` (default: beside the source, named by the aspect)."""
    source = Path(source)
    output = Path(output) if output is not None else default_output(source, spec)
    if output.resolve() == source.resolve():
        raise MediaError(
            f"The cropped picture would overwrite the original {source.name}; choose another output name.",
            code="would_overwrite_source",
        )
    upright = _open_upright(source)
    box = crop_box(upright.size, spec)
    x, y, w, h = box
    out_w, out_h = output_size(w, h, max_width, max_height)
    region = upright.crop((x, y, x + w, y + h))
    if (out_w, out_h) != (w, h):
        if out_w >= w - 1 and out_h >= h - 1:
            # Only the odd pixel row/column goes: cut it rather than resample the whole picture.
            region = region.crop((0, 0, out_w, out_h))
        else:
            region = region.resize((out_w, out_h), Image.Resampling.LANCZOS, reducing_gap=3.0)
    _write_jpeg(_to_srgb(region), output, quality)
    return CropResult(path=output, width=out_w, height=out_h, box=box)


def default_output(source: Path, spec: CropSpec) -> Path:
    label = spec.aspect.replace(":", "x").replace(".", "_") if spec.aspect else "crop"
    return source.with_name(f"{source.stem}.{label}.jpg")


def _open_upright(source: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as opened:
                opened.load()
                icc = opened.info.get("icc_profile")
                # exif_transpose copies the whole picture even when nothing turns; skip it for upright ones.
                turned = opened.getexif().get(_EXIF_ORIENTATION, 1) not in (0, 1)
                upright = ImageOps.exif_transpose(opened) if turned else opened
    except FileNotFoundError as exc:
        raise MediaError(f"The file {source} does not exist; check the path and try again.", code="not_found") from exc
    except UnidentifiedImageError as exc:
        raise MediaError(
            f"{source.name} is not a picture we can read; use a JPEG, PNG or WebP image.",
            code="unrecognised_format",
        ) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError(
            f"{source.name} has too many pixels to open safely (limit {Image.MAX_IMAGE_PIXELS:,} pixels); "
            "resize it to at most 4096 px on the long side and try again.",
            code="image_too_large",
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise MediaError(
            f"{source.name} is damaged or incomplete ({exc}); export or download it again.",
            code="corrupt_image",
        ) from exc
    if icc:
        upright.info["icc_profile"] = icc
    return upright


def _to_srgb(image: Image.Image) -> Image.Image:
    """RGB in sRGB: alpha flattened on white, palettes expanded, CMYK and wide-gamut converted by their profile."""
    icc = image.info.get("icc_profile")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "RGBa"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    if icc and image.mode in ("RGB", "CMYK", "L"):
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, profile, _SRGB, outputMode="RGB")
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken embedded profile: fall back to Pillow's plain conversion below
    return image if image.mode == "RGB" else image.convert("RGB")


def _write_jpeg(image: Image.Image, output: Path, quality: int) -> None:
    with atomic_output(output) as temp:
        image.save(temp, format="JPEG", quality=quality)

"""Cropping gives each platform the shape it wants, from the part of the picture the artist chose."""

import json
from pathlib import Path

import pytest
from PIL import Image

from azmth_pipelines.media.crop import CropSpec, crop_box, crop_image
from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.media.probe import probe_file
from azmth_pipelines.media.samples import make_image


@pytest.mark.parametrize(("aspect", "size"), [("1:1", (1080, 1080)), ("4:5", (1080, 1350)), ("9:16", (758, 1350))])
def test_aspect_presets_give_the_largest_even_crop(sample_jpeg: Path, tmp_path: Path, aspect: str, size: tuple) -> None:
    result = crop_image(sample_jpeg, CropSpec(aspect=aspect), tmp_path / "out.jpg")
    assert (result.width, result.height) == size
    probe = probe_file(result.path)
    assert (probe.container, probe.width, probe.height, probe.color_mode) == ("jpeg", *size, "RGB")


def test_landscape_16_9_from_portrait_keeps_full_width(sample_jpeg: Path, tmp_path: Path) -> None:
    result = crop_image(sample_jpeg, CropSpec(aspect="16:9"), tmp_path / "wide.jpg")
    assert (result.width, result.height) == (1080, 608)


def test_focus_point_moves_the_crop_towards_it_and_stays_inside() -> None:
    assert crop_box((1000, 2000), CropSpec(aspect="1:1")) == (0, 500, 1000, 1000)
    assert crop_box((1000, 2000), CropSpec(aspect="1:1", focus=(0.5, 0.3))) == (0, 100, 1000, 1000)
    assert crop_box((1000, 2000), CropSpec(aspect="1:1", focus=(0.5, 0.0))) == (0, 0, 1000, 1000)
    assert crop_box((1000, 2000), CropSpec(aspect="1:1", focus=(0.5, 1.0))) == (0, 1000, 1000, 1000)


def test_explicit_box_is_taken_exactly_and_aspect_fits_inside_it(tmp_path: Path) -> None:
    source = make_image(tmp_path / "src.jpg", 800, 600)
    result = crop_image(source, CropSpec(box=(100, 50, 400, 300)), tmp_path / "box.jpg")
    assert (result.box, result.width, result.height) == ((100, 50, 400, 300), 400, 300)
    assert crop_box((800, 600), CropSpec(aspect="1:1", box=(100, 50, 400, 300))) == (150, 50, 300, 300)


def test_box_outside_the_picture_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    source = make_image(tmp_path / "src.jpg", 800, 600)
    with pytest.raises(MediaError) as caught:
        crop_image(source, CropSpec(box=(700, 0, 200, 100)), tmp_path / "out.jpg")
    assert caught.value.code == "crop_outside_image"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.jpg"]


def test_output_is_scaled_down_to_the_maximum_but_never_up(sample_jpeg: Path, tmp_path: Path) -> None:
    small = crop_image(sample_jpeg, CropSpec(aspect="4:5"), tmp_path / "small.jpg", max_width=640)
    assert (small.width, small.height) == (640, 800)
    same = crop_image(sample_jpeg, CropSpec(aspect="4:5"), tmp_path / "same.jpg", max_width=4000)
    assert (same.width, same.height) == (1080, 1350)


def test_exif_orientation_is_applied_before_cropping(tmp_path: Path) -> None:
    source = tmp_path / "sideways.jpg"
    picture = Image.new("RGB", (400, 300), "white")
    picture.paste((255, 0, 0), (0, 0, 200, 300))  # left half red as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90 degrees clockwise: the stored left half ends up on top
    picture.save(source, exif=exif)
    result = crop_image(source, CropSpec(), tmp_path / "upright.jpg")
    assert (result.width, result.height) == (300, 400)
    with Image.open(result.path) as out:
        assert out.getpixel((150, 50))[0] > 200 and out.getpixel((150, 50))[1] < 60  # red on top
        assert out.getpixel((150, 350)) > (200, 200, 200)
        assert 0x0112 not in out.getexif()


def test_transparent_png_is_flattened_on_white(tmp_path: Path) -> None:
    source = tmp_path / "logo.png"
    Image.new("RGBA", (100, 100), (0, 0, 0, 0)).save(source)
    result = crop_image(source, CropSpec(aspect="1:1"), tmp_path / "logo.jpg")
    with Image.open(result.path) as out:
        assert out.mode == "RGB"
        assert out.getpixel((50, 50)) >= (250, 250, 250)


def test_crop_spec_round_trips_through_json() -> None:
    specs = {
        "instagram": CropSpec(aspect="4:5", focus=(0.5, 0.3)),
        "tiktok": CropSpec(aspect="9:16"),
        "x": CropSpec(box=(0, 0, 1200, 675)),
        "threads": CropSpec(),
    }
    stored = json.loads(json.dumps({platform: spec.to_dict() for platform, spec in specs.items()}))
    assert {platform: CropSpec.from_dict(data) for platform, data in stored.items()} == specs


@pytest.mark.parametrize(
    "data",
    [{"aspect": "wide"}, {"aspect": "0:5"}, {"focus": [1.5, 0.5]}, {"box": [0, 0, 0, 10]}, {"zoom": 2}],
)
def test_bad_crop_specs_are_refused_with_a_clear_message(data: dict) -> None:
    with pytest.raises(MediaError) as caught:
        CropSpec.from_dict(data)
    assert caught.value.code == "bad_crop"


def test_crop_never_overwrites_its_source(sample_jpeg: Path) -> None:
    before = sample_jpeg.read_bytes()
    with pytest.raises(MediaError):
        crop_image(sample_jpeg, CropSpec(aspect="1:1"), sample_jpeg)
    assert sample_jpeg.read_bytes() == before

"""`azmth media ...` prints what the artist needs and fails with a clear message and exit code 1."""

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from azmth_pipelines.cli.media import media_app

app = typer.Typer()
app.add_typer(media_app, name="media")
runner = CliRunner()


def test_probe_json(sample_video_with_audio: Path) -> None:
    result = runner.invoke(app, ["media", "probe", str(sample_video_with_audio), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["kind"], data["video_codec"], data["has_audio"]) == ("video", "h264", True)


def test_crop_prints_output_path_and_size(sample_jpeg: Path, tmp_path: Path) -> None:
    out = tmp_path / "square.jpg"
    result = runner.invoke(
        app, ["media", "crop", str(sample_jpeg), "--aspect", "1:1", "--focus", "0.5,0.3", "-o", str(out)]
    )
    assert result.exit_code == 0
    assert result.stdout.strip() == f"{out} 1080x1080"
    assert out.exists()


def test_crop_with_bad_input_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    for args in (
        [str(broken), "--aspect", "4:5"],
        [str(tmp_path / "missing.jpg"), "--aspect", "4:5"],
        [str(broken), "--focus", "half"],
        [str(broken), "--box", "1,2,3"],
    ):
        result = runner.invoke(app, ["media", "crop", *args])
        assert result.exit_code == 1, args
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, args
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.jpg"]


def test_a_text_file_named_jpg_is_reported_as_no_image_or_video(tmp_path: Path) -> None:
    notes = tmp_path / "lyrics.jpg"
    notes.write_text("Verse 1\n", encoding="utf-8")
    for command in ("probe", "check", "add-audio", "trim"):
        result = runner.invoke(app, ["media", command, str(notes)])
        assert result.exit_code == 1, command
        assert result.stderr.startswith("error: lyrics.jpg is not an image or a video we can read;"), command


def test_trim_and_check(tmp_path: Path) -> None:
    from azmth_pipelines.media.samples import make_video

    source = make_video(tmp_path / "clip.mp4", 3.0, 160, 284, fps=24)
    trimmed = runner.invoke(app, ["media", "trim", str(source), "--max", "2", "-o", str(tmp_path / "t.mp4")])
    assert trimmed.exit_code == 0 and str(tmp_path / "t.mp4") in trimmed.stdout
    checked = runner.invoke(
        app, ["media", "check", str(tmp_path / "t.mp4"), "--platform", "instagram", "--placement", "reels"]
    )
    assert checked.exit_code == 1
    assert "Instagram: the video is" in checked.stdout and "shorter than the 3 s minimum" in checked.stdout

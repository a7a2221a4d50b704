"""The `azmth` command line: what a person types, what they see, and that refusals write nothing."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from azmth_pipelines.cli import metrics as cli_metrics
from azmth_pipelines.cli.main import app
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import ContentPost, ContentPostMedia, MediaAsset, Release
from azmth_pipelines.domain.errors import ValidationError
from azmth_pipelines.errors import AzmthError, ConfigurationError
from azmth_pipelines.integrations.common.errors import AuthError, PermanentError
from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.media.samples import make_image

runner = CliRunner()


def azmth(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_artist_post_and_release_round_trip_as_json(database_url: str, sample_jpeg: Path) -> None:
    code, out, _ = azmth("artist", "create", "--name", "Nova", "--timezone", "Europe/Berlin", "--json")
    assert code == 0
    artist_id = json.loads(out)["id"]
    code, out, _ = azmth(
        "release",
        "create",
        "--artist",
        str(artist_id),
        "--title",
        "Night Drive",
        "--isrc",
        "US-S1Z-26-00001",
        "--checklist",
        "Master delivered@2026-11-01",
        "--json",
    )
    assert code == 0
    release = json.loads(out)
    assert release["isrc"] == "USS1Z2600001"
    assert release["checklist"] == [{"title": "Master delivered", "due_date": "2026-11-01", "done": False}]

    code, out, _ = azmth(
        "post",
        "create",
        "--artist",
        str(artist_id),
        "-p",
        "x",
        "-p",
        "tiktok",
        "--body",
        "Out Friday",
        "--caption",
        "x=Friday!",
        "--option",
        "tiktok.mode=inbox",
        "--media",
        str(sample_jpeg),
        "--at",
        "2026-07-03T18:00",
        "--release",
        str(release["id"]),
        "--json",
    )
    assert code == 0, out
    post = json.loads(out)
    # A naive time is read in the artist's timezone (Berlin, UTC+2 in July) and stored in UTC.
    assert post["scheduled_for"] == "2026-07-03T16:00:00+00:00"
    assert post["captions"] == {"x": "Friday!", "tiktok": "Out Friday"}
    assert post["platform_options"]["tiktok"]["mode"] == "inbox"

    code, out, _ = azmth("post", "show", str(post["id"]), "--json")
    shown = json.loads(out)
    assert code == 0 and {k: v for k, v in shown.items() if k != "per_platform"} == {
        k: v for k, v in post.items() if k != "per_platform"
    }
    assert shown["per_platform"]["x"] | {"state": "pending", "caption": "Friday!"} == shown["per_platform"]["x"]
    code, out, _ = azmth("post", "list", "--release", str(release["id"]), "--json")
    assert [p["id"] for p in json.loads(out)] == [post["id"]]
    code, out, _ = azmth("release", "show", str(release["id"]))
    assert code == 0 and f"post {post['id']} [scheduled]" in out


def test_a_bad_upc_exits_non_zero_names_the_rule_and_writes_nothing(database_url: str) -> None:
    azmth("artist", "create", "--name", "Nova")
    code, _, err = azmth("release", "create", "--artist", "1", "--title", "T", "--upc", "123456789013")
    assert code == 1
    assert "UPC 123456789013: check digit should be 2" in err
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Release)) == 0


def test_unknown_post_is_a_clear_error(database_url: str) -> None:
    code, _, err = azmth("post", "show", "42")
    assert code == 1 and "post 42 not found" in err


def test_refreshing_an_unknown_connection_is_a_clear_error(database_url: str) -> None:
    code, _, err = azmth("connections", "refresh", "--connection", "42")
    assert code == 1 and "connection 42 not found" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "error",
    [
        ValidationError("upc", "UPC 123456789013: check digit should be 2"),
        AuthError("the access token has expired", platform="x", http_status=401),
        PermanentError("the video is too long", platform="tiktok", http_status=400, code="invalid_params"),
        MediaError("The file is not a picture or a video we can read."),
        ConfigurationError("AZMTH_THREADS_CLIENT_ID is not set"),
    ],
    ids=["artist-fixable", "reconnect", "platform", "media", "configuration"],
)
def test_every_kind_of_error_is_one_line_on_stderr_and_exit_code_1(
    database_url: str, monkeypatch: pytest.MonkeyPatch, error: AzmthError
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(cli_metrics, "refresh_post_metrics", refuse)
    code, out, err = azmth("metrics", "refresh", "1")
    assert (code, out, err) == (1, "", f"error: {error}\n")


def test_a_csv_without_the_needed_columns_is_a_one_line_error(database_url: str, tmp_path: Path) -> None:
    report = tmp_path / "streams.csv"
    report.write_text("isrc,date,streams\nUSRC17607839,2026-12-01,10\n")
    code, _, err = azmth("release", "import-streams", str(report))
    assert code == 1
    assert err.startswith(f"error: {report}: missing column(s)") and err.count("\n") == 1


def test_a_secret_key_setting_without_a_key_is_a_one_line_error(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZMTH_SECRET_KEY", " , ")
    code, _, err = azmth("keys", "rotate")
    assert (code, err) == (1, "error: AZMTH_SECRET_KEY is set but holds no key\n")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-p", "x", "--body", "x" * 300], "error: body: X: caption is 300 characters as X counts them"),
        (["-p", "instagram", "--body", "Out Friday"], "error: media: Instagram needs a photo or a video"),
        (["-p", "x", "--body", "Out Friday", "--crop", "x=1:1"], "error: crops: --crop crops pictures"),
        (["-p", "instagram", "--media", "{panorama}"], "error: media.0: Instagram: image aspect 2.40:1 is outside"),
        (["-p", "x", *["--media", "{jpeg}"] * 5], "error: media: X: a post takes up to 4 images; it has 5"),
        (
            ["-p", "tiktok", "--media", "{jpeg}", "--option", "tiktok.disable_duet=true"],
            "error: platform_options.tiktok.disable_duet: TikTok: disable_duet applies to videos",
        ),
    ],
)
def test_post_create_refuses_what_publishing_would_and_writes_nothing(
    database_url: str, sample_jpeg: Path, tmp_path: Path, args: list[str], expected: str
) -> None:
    azmth("artist", "create", "--name", "Nova")
    files = {"jpeg": str(sample_jpeg), "panorama": str(make_image(tmp_path / "panorama.jpg", 1440, 600))}
    args = [arg.format(**files) for arg in args]
    code, _, err = azmth("post", "create", "--artist", "1", "--at", "2026-12-05T18:00", *args)
    assert code == 1
    assert err.startswith(expected)
    with session_scope() as session:
        for table in (ContentPost, ContentPostMedia, MediaAsset):
            assert session.scalar(select(func.count()).select_from(table)) == 0


def test_post_create_takes_a_past_time_and_says_it_is_due_now(database_url: str) -> None:
    azmth("artist", "create", "--name", "Nova")
    code, out, err = azmth(
        "post", "create", "--artist", "1", "-p", "x", "--body", "Out now", "--at", "2020-01-01T10:00"
    )
    assert code == 0
    assert "due now: publishes on the next tick" in err
    assert "[scheduled] scheduled for 2020-01-01T10:00:00+00:00" in out


def test_post_create_crops_the_pictures_and_leaves_the_video_alone(
    database_url: str, sample_jpeg: Path, sample_video_with_audio: Path
) -> None:
    azmth("artist", "create", "--name", "Nova")
    code, out, err = azmth(
        "post",
        "create",
        "--artist",
        "1",
        "-p",
        "threads",
        "--media",
        str(sample_jpeg),
        "--media",
        str(sample_video_with_audio),
        "--crop",
        "threads=1:1",
        "--at",
        "2026-12-05T18:00",
        "--json",
    )
    assert code == 0, err
    assert [m["crops"] for m in json.loads(out)["media"]] == [{"threads": {"aspect": "1:1"}}, {}]

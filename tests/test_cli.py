"""The `azmth` command line: what a person types, what they see, and that refusals write nothing."""

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from azmth_pipelines.cli.main import app
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import Release

runner = CliRunner()


def azmth(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_artist_post_and_release_round_trip_as_json(database_url: str) -> None:
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

"""Attribution inputs: tracked pre-save links, the pre-save and streams imports (bad rows reported by line,
good rows loaded, a re-import changes nothing) through the CLI a person uses."""

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from azmth_pipelines.cli.main import app
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import ContentPost, PresaveEvent, Release, ReleaseStreamDaily
from azmth_pipelines.releases.links import parse_source, presave_links_for_post, source_of_link, tracked_link
from azmth_pipelines.vocabulary import Platform
from tests.releases.conftest import ReleaseStudio, at, write_csv


def azmth(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def stream_rows() -> list[tuple[Any, ...]]:
    with session_scope() as session:
        rows = session.scalars(select(ReleaseStreamDaily).order_by(ReleaseStreamDaily.id))
        return [(r.id, r.isrc, r.day.isoformat(), r.store, r.country, r.streams, r.imported_at) for r in rows]


def presave_rows() -> list[tuple[Any, ...]]:
    with session_scope() as session:
        rows = session.scalars(select(PresaveEvent).order_by(PresaveEvent.id))
        return [(r.release_id, r.post_id, r.platform, r.kind, r.src, r.occurred_at.isoformat()) for r in rows]


def test_each_post_gets_its_own_presave_link_per_platform_keeping_the_services_parameters() -> None:
    link = tracked_link("https://presave.example/nd?ref=bio&src=old#top", 123, "instagram")
    assert link == "https://presave.example/nd?ref=bio&src=p123-instagram#top"
    assert parse_source(source_of_link(link)) is not None
    assert parse_source("p123-instagram").post_id == 123  # type: ignore[union-attr]
    assert parse_source("p123-myspace") is None and parse_source("newsletter") is None

    release = Release(id=7, presave_url="https://presave.example/nd")
    post = ContentPost(id=42, release_id=7, platforms=["x", "tiktok"])
    assert presave_links_for_post(post, release) == {
        Platform.X: "https://presave.example/nd?src=p42-x",
        Platform.TIKTOK: "https://presave.example/nd?src=p42-tiktok",
    }
    assert presave_links_for_post(post, Release(id=7, presave_url=None)) == {}


def test_streams_import_reports_bad_rows_by_line_loads_the_rest_and_a_reimport_changes_nothing(
    studio: ReleaseStudio, tmp_path: Path
) -> None:
    report = write_csv(
        tmp_path / "distributor.csv",
        """
ISRC,Reporting Date,Store,Country of Sale,Quantity
US-S1Z-26-00001,2026-12-02,Spotify,US,100
USS1Z2600001,2026-12-02,Spotify,us,"1,250"
NOT-AN-ISRC,2026-12-02,Spotify,US,10
USS1Z2600001,02/12/2026,Spotify,US,10
USS1Z2600001,2026-12-02,Apple Music,USA,10
USS1Z2600001,2026-12-02,Apple Music,US,-3
USS1Z2600001,2026-12-03,Deezer,,40
USS1Z2600001,2026-12-03,Deezer,FR,5
USS1Z2600001,2026-12-03,Deezer,FR,6
""",
    )
    code, out = azmth("release", "import-streams", str(report))

    assert code == 1  # some rows were bad; the good ones are loaded regardless
    for line, words in [(4, "ISRC"), (5, "not a date"), (6, "ISO 3166"), (7, "whole number")]:
        assert f"line {line}: " in out and words in out.split(f"line {line}: ")[1].splitlines()[0]
    loaded = stream_rows()
    # Same key twice in one file (a track on a single and an album) adds up: 100 + 1,250 and 5 + 6.
    assert [r[1:6] for r in loaded] == [
        ("USS1Z2600001", "2026-12-02", "Spotify", "US", 1350),
        ("USS1Z2600001", "2026-12-03", "Deezer", "ZZ", 40),
        ("USS1Z2600001", "2026-12-03", "Deezer", "FR", 11),
    ]

    code, out = azmth("release", "import-streams", str(report), "--json")
    assert json.loads(out)["written"] == 0 and json.loads(out)["unchanged"] == 3
    assert stream_rows() == loaded  # not even imported_at moved

    revised = write_csv(
        tmp_path / "revised.csv", "isrc,date,store,country,streams\nUSS1Z2600001,2026-12-03,Deezer,FR,12\n"
    )
    assert azmth("release", "import-streams", str(revised))[0] == 0
    assert [r[5] for r in stream_rows()] == [1350, 40, 12]


def test_presave_import_attributes_by_src_reports_bad_rows_and_a_reimport_adds_nothing(
    studio: ReleaseStudio, tmp_path: Path
) -> None:
    release = studio.release(presave_url="https://presave.example/nd")
    post = studio.post(release, [Platform.INSTAGRAM, Platform.X])
    export = write_csv(
        tmp_path / "presaves.csv",
        f"""
timestamp,type,url
2026-12-02T10:00:00Z,presave,https://presave.example/nd?src=p{post}-instagram
2026-12-02T10:00:00Z,presave,https://presave.example/nd?src=p{post}-instagram
2026-12-02 11:30:00,click,https://presave.example/nd?src=p{post}-x
yesterday,presave,https://presave.example/nd?src=p{post}-x
2026-12-02T12:00:00+01:00,presave,https://presave.example/nd
2026-12-02T12:00:00Z,unfollow,https://presave.example/nd?src=p{post}-x
2026-12-02T13:00:00Z,presave,https://presave.example/nd?src=p999999-x
""",
    )
    code, out = azmth("release", "import-presaves", str(export), "--json")

    result = json.loads(out)
    assert code == 1
    assert [b["line"] for b in result["bad_rows"]] == [5, 6, 7, 8]
    assert "occurred_at" in result["bad_rows"][0]["error"] and "kind" in result["bad_rows"][2]["error"]
    assert "no release" in result["bad_rows"][1]["error"]  # no src post and no --release: nowhere to put it
    rows = presave_rows()
    assert rows == [
        (release, post, Platform.INSTAGRAM, "presave", f"p{post}-instagram", "2026-12-02T10:00:00+00:00"),
        (release, post, Platform.INSTAGRAM, "presave", f"p{post}-instagram", "2026-12-02T10:00:00+00:00"),
        (release, post, Platform.X, "click", f"p{post}-x", "2026-12-02T11:30:00+00:00"),
    ]

    code, out = azmth("release", "import-presaves", str(export), "--release", str(release), "--json")
    result = json.loads(out)
    assert result["written"] == 2  # only the rows that lacked a release before, now under --release
    assert presave_rows()[:3] == rows
    assert presave_rows()[3:] == [
        (release, None, None, "presave", None, "2026-12-02T11:00:00+00:00"),
        (release, None, None, "presave", "p999999-x", "2026-12-02T13:00:00+00:00"),  # unknown post: unattributed
    ]
    code, out = azmth("release", "import-presaves", str(export), "--release", str(release), "--json")
    assert json.loads(out)["written"] == 0 and len(presave_rows()) == 5


def test_campaign_checklist_plan_and_ads_through_the_cli_and_show_prints_the_numbers(
    studio: ReleaseStudio, tmp_path: Path
) -> None:
    release = studio.release(presave_url="https://presave.example/nd")
    post = studio.post(release, [Platform.X])
    studio.snapshot(post, Platform.X, at(2), views=10, likes=4)
    code, _ = azmth(
        "release", "update", str(release),
        "--add-checklist", "Master delivered@2026-11-01", "--add-checklist", "Artwork",
        "--done", "1", "--plan", "Teasers: three clips", "--add-ad", "meta:Teaser push:250:2026-12-01:2026-12-14",
    )  # fmt: skip
    assert code == 0
    code, _ = azmth(
        "release", "ad", str(release), "1", "--status", "running", "--spend", "120.50", "--result", "clicks=40"
    )
    assert code == 0
    assert azmth("release", "update", str(release), "--plan", "teasers: four clips")[0] == 0

    code, out = azmth("release", "show", str(release), "--json")
    view = json.loads(out)
    assert [(i["title"], i["done"]) for i in view["checklist"]] == [("Master delivered", True), ("Artwork", False)]
    assert view["marketing_plan"] == [{"heading": "Teasers", "body": "four clips"}]
    [ad] = view["ad_campaigns"]
    assert (ad["status"], ad["spend"], ad["results"], ad["budget"]) == ("running", "120.50", {"clicks": 40}, "250.00")
    assert view["campaign"]["totals"]["views"] == 10 and view["campaign"]["totals"]["engagements"] == 4
    assert view["campaign"]["posts"][0]["post_id"] == post

    code, out = azmth("release", "show", str(release))
    assert code == 0 and "campaign" in out and "[x] Master delivered" in out
    code, out = azmth("release", "links", str(release))
    assert f"post {post} x: https://presave.example/nd?src=p{post}-x" in out
    assert azmth("release", "ad", str(release), "2", "--status", "running")[0] == 1

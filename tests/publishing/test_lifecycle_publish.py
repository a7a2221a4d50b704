"""Deleted posts stay unpublished; a restored post whose time passed goes out on the next tick; staff see errors."""

import json
from datetime import timedelta

from typer.testing import CliRunner

from azmth_pipelines.cli.main import app
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.domain.lifecycle import delete_posts, restore_posts
from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, Studio


def test_a_restored_post_whose_time_passed_is_published_on_the_next_tick(studio: Studio) -> None:
    post_id = studio.post(["threads"], body="Back again")
    with session_scope() as session:
        delete_posts(session, [post_id], now=AFTER_T0)
    assert studio.tick(AFTER_T0) == []
    later = AFTER_T0 + timedelta(days=2)
    with session_scope() as session:
        restore_posts(session, [post_id], now=later)
    [run] = studio.tick(later)
    assert run.success and studio.per_platform(post_id)["threads"]["state"] == "published"
    assert len(studio.published(Platform.THREADS)) == 1


def test_staff_errors_show_the_platforms_full_payload_newest_first(studio: Studio) -> None:
    studio.sandbox.set_fault("x", "status_5xx", 503, scope="publish")
    post_id = studio.post(["x"], body="Outage")
    studio.tick(AFTER_T0)
    studio.tick(AFTER_T0 + timedelta(minutes=15))
    result = CliRunner().invoke(app, ["staff", "errors", "--platform", "x", "--post", str(post_id), "--json"])
    rows = json.loads(result.stdout)
    assert [r["http_status"] for r in rows] == [503, 503]
    assert rows[0]["occurred_at"] > rows[1]["occurred_at"]
    assert rows[0]["payload"]["status"] == 503 and rows[0]["payload"]["request"].startswith("POST ")
    assert studio.accounts[Platform.X].access_token not in result.stdout

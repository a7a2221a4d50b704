"""Bulk soft delete in any status, 30-day restore, purge after that, and one view of a post that list and show share."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from azmth_pipelines.cli.main import app
from azmth_pipelines.db.engine import session_factory
from azmth_pipelines.db.models import ContentPost, PublishAttempt, SocialPostMetrics, StaffError
from azmth_pipelines.domain.artists import create_artist
from azmth_pipelines.domain.errors import ValidationError
from azmth_pipelines.domain.lifecycle import delete_posts, purge_expired, restore_posts
from azmth_pipelines.domain.posts import create_post, list_posts
from azmth_pipelines.vocabulary import MetricSource, Platform, PostStatus

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _post(session: Session, status: PostStatus, body: str = "hello") -> ContentPost:
    artist = create_artist(session, name="Nova")
    post = create_post(session, artist_id=artist.id, platforms=["x"], body=body, scheduled_for=NOW, status="scheduled")
    post.status = status
    session.flush()
    return post


@pytest.mark.parametrize("status", list(PostStatus))
def test_a_post_in_any_status_can_be_deleted_and_restored_as_it_was(session: Session, status: PostStatus) -> None:
    post = _post(session, status)
    post.per_platform = {"x": {"state": "published", "attempts": 1, "remote_id": "19"}}
    session.commit()
    delete_posts(session, [post.id], now=NOW)
    assert list_posts(session) == []
    assert [p.id for p in list_posts(session, deleted=True)] == [post.id]
    restore_posts(session, [post.id], now=NOW + timedelta(days=29))
    session.commit()
    restored = session.get(ContentPost, post.id)
    assert restored is not None and restored.deleted_at is None
    assert (restored.status, restored.per_platform["x"]["remote_id"]) == (status, "19")


def test_restore_after_30_days_is_refused(session: Session) -> None:
    post = _post(session, PostStatus.SCHEDULED)
    delete_posts(session, [post.id], now=NOW)
    with pytest.raises(ValidationError, match="over 30 days ago"):
        restore_posts(session, [post.id], now=NOW + timedelta(days=31))


def test_purge_removes_posts_deleted_over_30_days_ago_with_their_attempts_and_metrics(
    session: Session, database_url: str
) -> None:
    old = _post(session, PostStatus.POSTED, "old")
    recent = _post(session, PostStatus.FAILED, "recent")
    for post in (old, recent):
        session.add(PublishAttempt(post_id=post.id, platform=Platform.X, attempt_number=1, started_at=NOW))
        session.add(StaffError(occurred_at=NOW, platform=Platform.X, post_id=post.id, payload={}))
        session.add(
            SocialPostMetrics(
                post_id=post.id,
                platform=Platform.X,
                remote_post_id="1",
                captured_at=NOW,
                source=MetricSource.NIGHTLY,
                views=5,
                raw={},
            )
        )
    delete_posts(session, [old.id], now=NOW - timedelta(days=31))
    delete_posts(session, [recent.id], now=NOW - timedelta(days=2))
    session.commit()
    old_id, recent_id = old.id, recent.id
    report = purge_expired(session_factory(database_url), now=NOW)
    assert report.purged == [old_id]
    session.expunge_all()
    assert session.get(ContentPost, old_id) is None and session.get(ContentPost, recent_id) is not None
    for model in (PublishAttempt, SocialPostMetrics, StaffError):
        remaining = session.scalars(select(func.count()).select_from(model).where(model.post_id == old_id)).one()
        assert remaining == 0, model
    assert session.scalars(select(func.count()).select_from(PublishAttempt)).one() == 1


def test_list_and_show_report_the_same_engagement_and_its_freshness(session: Session) -> None:
    post = _post(session, PostStatus.POSTED)
    post.per_platform = {"x": {"state": "published", "attempts": 1, "remote_id": "19"}}
    captured = datetime.now(UTC) - timedelta(hours=3)
    for when, views in ((captured - timedelta(hours=21), 100), (captured, 180)):
        session.add(
            SocialPostMetrics(
                post_id=post.id,
                platform=Platform.X,
                remote_post_id="19",
                captured_at=when,
                source=MetricSource.NIGHTLY,
                views=views,
                likes=7,
                saves=None,
                raw={},
            )
        )
    session.commit()
    runner = CliRunner()
    shown = json.loads(runner.invoke(app, ["post", "show", str(post.id), "--json"]).stdout)
    listed = json.loads(runner.invoke(app, ["post", "list", "--json"]).stdout)
    engagement = shown["per_platform"]["x"]["engagement"]
    assert engagement == listed[0]["engagement"]["x"]
    assert (engagement["views"], engagement["saves"], engagement["age"]) == (180, None, "3 h")
    assert engagement["change_since_previous"]["views"] == 80
    text = runner.invoke(app, ["post", "show", str(post.id)]).stdout
    assert "metrics 3 h old: views 180, likes 7 (views +80 since previous pull)" in text


def test_cli_delete_and_restore_take_several_ids(session: Session) -> None:
    first, second = _post(session, PostStatus.DRAFT, "a"), _post(session, PostStatus.SCHEDULED, "b")
    session.commit()
    runner = CliRunner()
    result = runner.invoke(app, ["post", "delete", str(first.id), str(second.id)])
    assert result.exit_code == 0 and "deleted 2 post(s)" in result.stdout
    assert runner.invoke(app, ["post", "restore", str(first.id), "999"]).exit_code == 1
    assert runner.invoke(app, ["post", "restore", str(first.id), str(second.id)]).exit_code == 0

"""Posts and releases through the domain API, on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from azmth_pipelines.db.models import ContentPost, Release
from azmth_pipelines.domain.artists import create_artist
from azmth_pipelines.domain.errors import NotFound, ValidationError
from azmth_pipelines.domain.post_options import effective
from azmth_pipelines.domain.posts import (
    MediaInput,
    create_post,
    list_posts,
    post_view,
    resolved_caption,
    update_post,
)
from azmth_pipelines.domain.releases import ChecklistInput, content_schedule, create_release, release_view
from azmth_pipelines.vocabulary import Platform, PostStatus

SOON = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_caption_override_wins_and_the_body_falls_through(session: Session) -> None:
    artist = create_artist(session, name="Nova", timezone="Europe/Berlin")
    post = create_post(
        session,
        artist_id=artist.id,
        platforms=["x", "threads", "instagram"],
        body="New single out Friday",
        caption_overrides={"x": "Friday. #NightDrive"},
        scheduled_for=SOON,  # a draft: Instagram needs media before it can be scheduled
    )
    assert resolved_caption(post, Platform.X) == "Friday. #NightDrive"
    assert resolved_caption(post, Platform.THREADS) == "New single out Friday"
    assert resolved_caption(post, Platform.INSTAGRAM) == "New single out Friday"


def test_platform_options_default_and_reject_unknown_choices(session: Session) -> None:
    artist = create_artist(session, name="Nova")
    post = create_post(
        session,
        artist_id=artist.id,
        platforms=["tiktok", "instagram"],
        body="clip",
        platform_options={"tiktok": {"mode": "inbox"}},
    )
    assert effective(post.platform_options, Platform.TIKTOK)["mode"] == "inbox"
    assert effective(post.platform_options, Platform.INSTAGRAM)["path"] == "A"
    with pytest.raises(ValidationError, match=r"platform_options.tiktok.mode: 'drafts' is not one of direct, inbox"):
        create_post(
            session,
            artist_id=artist.id,
            platforms=["tiktok"],
            body="x",
            platform_options={"tiktok": {"mode": "drafts"}},
        )
    with pytest.raises(ValidationError, match="which the post doesn't target"):
        create_post(session, artist_id=artist.id, platforms=["x"], body="x", caption_overrides={"threads": "t"})


def test_a_scheduled_post_needs_an_aware_time(session: Session) -> None:
    artist = create_artist(session, name="Nova")
    with pytest.raises(ValidationError, match="scheduled_for: a scheduled post needs a time"):
        create_post(session, artist_id=artist.id, platforms=["x"], body="x", status="scheduled")
    with pytest.raises(ValidationError, match="has no timezone"):
        create_post(
            session,
            artist_id=artist.id,
            platforms=["x"],
            body="x",
            scheduled_for=datetime(2026, 12, 5, 17, 0),
        )


def test_a_refused_post_writes_nothing(session: Session) -> None:
    artist = create_artist(session, name="Nova")
    session.commit()
    with pytest.raises(ValidationError):
        create_post(session, artist_id=artist.id, platforms=["x", "myspace"], body="x")
    session.rollback()
    assert _count(session, ContentPost) == 0


def test_posts_cannot_be_written_as_posted_or_tagged_with_another_artists_release(session: Session) -> None:
    nova = create_artist(session, name="Nova")
    other = create_artist(session, name="Other")
    release = create_release(session, artist_id=other.id, title="Theirs", isrc="USS1Z2600001")
    with pytest.raises(ValidationError, match="status: a post is written as draft or scheduled, not posted"):
        create_post(session, artist_id=nova.id, platforms=["x"], body="x", status="posted")
    with pytest.raises(ValidationError, match="belongs to another artist"):
        create_post(session, artist_id=nova.id, platforms=["x"], body="x", release_id=release.id)
    with pytest.raises(NotFound, match="release 999 not found"):
        create_post(session, artist_id=nova.id, platforms=["x"], body="x", release_id=999)


def test_published_posts_are_not_rewritten(session: Session) -> None:
    artist = create_artist(session, name="Nova")
    post = create_post(session, artist_id=artist.id, platforms=["x"], body="x", scheduled_for=SOON, status="scheduled")
    post.status = PostStatus.POSTED
    session.flush()
    with pytest.raises(ValidationError, match="only drafts and scheduled posts change"):
        update_post(session, post.id, body="edited")


def test_list_filters_by_status_platform_and_release_in_schedule_order(session: Session, sample_jpeg: Path) -> None:
    artist = create_artist(session, name="Nova")
    release = create_release(session, artist_id=artist.id, title="Night Drive", upc="123456789012")
    later = create_post(
        session,
        artist_id=artist.id,
        platforms=["x"],
        body="b",
        scheduled_for=SOON + timedelta(days=1),
        status="scheduled",
        release_id=release.id,
    )
    sooner = create_post(
        session,
        artist_id=artist.id,
        platforms=["tiktok", "x"],
        body="a",
        media=[MediaInput(sample_jpeg)],
        scheduled_for=SOON,
        status="scheduled",
        release_id=release.id,
    )
    draft = create_post(session, artist_id=artist.id, platforms=["threads"], body="c")
    assert [p.id for p in list_posts(session)] == [sooner.id, later.id, draft.id]
    assert [p.id for p in list_posts(session, platform="tiktok")] == [sooner.id]
    assert [p.id for p in list_posts(session, status="draft")] == [draft.id]
    assert [p.id for p in content_schedule(session, release.id)] == [sooner.id, later.id]
    view = release_view(session, release)
    assert [row["post_id"] for row in view["content_schedule"]] == [sooner.id, later.id]
    assert post_view(sooner)["scheduled_for"] == "2026-12-05T17:00:00+00:00"


def test_release_carries_checklist_and_validated_identifiers(session: Session) -> None:
    artist = create_artist(session, name="Nova")
    release = create_release(
        session,
        artist_id=artist.id,
        title="Night Drive",
        isrc="us-s1z-26-00001",
        upc="4006381333931",
        release_date=date(2026, 12, 5),
        presave_url="https://presave.example/night-drive",
        checklist=[
            ChecklistInput("Master delivered", date(2026, 11, 1), done=True),
            ChecklistInput("Artwork"),
        ],
    )
    session.commit()
    session.expire_all()
    loaded = session.get(Release, release.id)
    assert loaded is not None
    assert (loaded.isrc, loaded.upc) == ("USS1Z2600001", "4006381333931")
    assert [(i.title, i.done) for i in loaded.checklist] == [("Master delivered", True), ("Artwork", False)]
    with pytest.raises(ValidationError, match="presave_url"):
        create_release(session, artist_id=artist.id, title="Bad", isrc="USS1Z2600002", presave_url="javascript:1")
    with pytest.raises(ValidationError, match="ISRC or a UPC"):
        create_release(session, artist_id=artist.id, title="No id")

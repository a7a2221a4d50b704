"""The database is a contract: migrations, models and docs/schema.md must say the same thing."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from azmth_pipelines.db.engine import engine
from azmth_pipelines.db.migrate import alembic_config, current_revision, upgrade
from azmth_pipelines.db.models import Artist, Base, ContentPost
from azmth_pipelines.db.schema_doc import render_schema_doc

REPO = Path(__file__).resolve().parents[2]


def test_migrations_create_exactly_the_models(database_url: str) -> None:
    with engine(database_url).connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    assert differences == []


def test_upgrade_is_idempotent_and_reports_head(database_url: str) -> None:
    upgrade(engine(database_url))
    head = ScriptDirectory.from_config(alembic_config(engine(database_url))).get_current_head()
    assert head is not None and current_revision(engine(database_url)) == head


@pytest.mark.postgres
def test_json_columns_are_jsonb_and_times_timestamptz_on_postgres(postgres_database_url: str) -> None:
    bind = engine(postgres_database_url)
    columns = {c["name"]: c for c in inspect(bind).get_columns("content_post")}
    assert str(columns["per_platform"]["type"]) == "JSONB"
    assert str(columns["scheduled_for"]["type"]) == "TIMESTAMP"
    with bind.connect() as connection:
        kind = connection.execute(
            text(
                "select data_type from information_schema.columns "
                "where table_name = 'content_post' and column_name = 'scheduled_for'"
            )
        ).scalar_one()
    assert kind == "timestamp with time zone"


def test_times_are_stored_in_utc_and_read_back_aware(session: Session) -> None:
    artist = Artist(name="Nova", timezone="Europe/Berlin")
    berlin_evening = datetime(2026, 12, 5, 18, 0, tzinfo=timezone(timedelta(hours=1)))
    session.add(artist)
    session.flush()
    post = ContentPost(artist_id=artist.id, body="hi", platforms=["x"], scheduled_for=berlin_evening)
    session.add(post)
    session.commit()
    session.expire_all()
    loaded = session.get(ContentPost, post.id)
    assert loaded is not None and loaded.scheduled_for is not None
    assert loaded.scheduled_for.tzinfo is not None
    assert loaded.scheduled_for == datetime(2026, 12, 5, 17, 0, tzinfo=UTC)


def test_naive_times_are_refused(session: Session) -> None:
    artist = Artist(name="Nova", timezone="UTC")
    session.add(artist)
    session.flush()
    session.add(ContentPost(artist_id=artist.id, body="hi", platforms=["x"], scheduled_for=datetime(2026, 1, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_unknown_status_is_refused_by_the_database(session: Session) -> None:
    artist = Artist(name="Nova", timezone="UTC")
    session.add(artist)
    session.flush()
    with pytest.raises(Exception, match=r"post_status|CHECK|check"):
        session.execute(
            text(
                "insert into content_post (artist_id, body, platforms, caption_overrides, platform_options, "
                "status, per_platform, created_at, updated_at) values "
                "(:a, 'x', '[]', '{}', '{}', 'publishing', '{}', :t, :t)"
            ),
            {"a": artist.id, "t": datetime(2026, 1, 1)},
        )


def test_schema_doc_matches_the_models() -> None:
    committed = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")
    assert committed == render_schema_doc(), "docs/schema.md is stale: run `azmth db schema-doc`"

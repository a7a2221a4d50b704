"""A release studio: a migrated database with one artist, releases, tagged posts published on some
platforms, and helpers that write metric snapshots, pre-save events and stream reports as the real
producers do (rows in the shared tables)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import ContentPost, SocialPostMetrics
from azmth_pipelines.domain.artists import create_artist
from azmth_pipelines.domain.releases import create_release
from azmth_pipelines.vocabulary import MetricSource, Platform, PostStatus


def at(day: int, hour: int = 12) -> datetime:
    """A time in December 2026 (UTC)."""
    return datetime(2026, 12, day, hour, tzinfo=UTC)


@dataclass
class ReleaseStudio:
    database_url: str
    artist_id: int
    _isrc_serial: int = 0

    def release(self, title: str = "Night Drive", *, presave_url: str | None = None, isrc: str | None = None) -> int:
        self._isrc_serial += 1
        with session_scope() as session:
            return create_release(
                session,
                artist_id=self.artist_id,
                title=title,
                isrc=isrc or f"USS1Z26{self._isrc_serial:05d}",
                release_date=date(2026, 12, 5),
                presave_url=presave_url,
            ).id

    def post(self, release_id: int | None, platforms: Iterable[Platform], *, published: datetime | None = None) -> int:
        published = published or at(1, 9)
        chosen = list(platforms)
        with session_scope() as session:
            post = ContentPost(
                artist_id=self.artist_id,
                body="Night Drive out Friday",
                platforms=[p.value for p in chosen],
                scheduled_for=published,
                status=PostStatus.POSTED,
                per_platform={
                    p.value: {"state": "published", "remote_id": f"{p.value}-{id(chosen)}-{i}"}
                    for i, p in enumerate(chosen)
                },
                release_id=release_id,
            )
            session.add(post)
            session.flush()
            return post.id

    def snapshot(
        self,
        post_id: int,
        platform: Platform,
        captured_at: datetime,
        *,
        source: MetricSource = MetricSource.NIGHTLY,
        **counts: int | None,
    ) -> None:
        with session_scope() as session:
            session.add(
                SocialPostMetrics(
                    post_id=post_id,
                    platform=platform,
                    remote_post_id=f"{platform.value}-{post_id}",
                    captured_at=captured_at,
                    source=source,
                    partition_date=captured_at.date() if source == MetricSource.NIGHTLY else None,
                    raw={},
                    **counts,
                )
            )


@pytest.fixture
def studio(database_url: str) -> ReleaseStudio:
    with session_scope() as session:
        artist_id = create_artist(session, name="Nova", timezone="Europe/Berlin").id
    return ReleaseStudio(database_url=database_url, artist_id=artist_id)


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


def session_on(database_url: str) -> Session:
    from azmth_pipelines.db.engine import session_factory

    return session_factory(database_url)()

"""Which releases' roll-ups are out of date since the last look: the release_rollup sensor's question.

A cursor remembers the newest social_post_metrics and presave_event ids and the newest content_post,
release and release_stream_daily change times seen. A release is out of date when one of its posts got a
new snapshot, when a pre-save for it arrived, when its ISRC got streams, when it changed (e.g. its ISRC),
or when one of its posts changed: a post moved to another release or deleted refreshes both the release it
is tagged with now and every release whose stored roll-up still lists it.
"""

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from azmth_pipelines.db.models import (
    ContentPost,
    PresaveEvent,
    Release,
    ReleasePostContribution,
    ReleaseStreamDaily,
    SocialPostMetrics,
)


@dataclass(frozen=True)
class RollupCursor:
    metrics_id: int = 0
    presave_id: int = 0
    posts_at: str | None = None
    releases_at: str | None = None
    streams_at: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "RollupCursor | None":
        return cls(**json.loads(text)) if text else None

    @property
    def token(self) -> str:
        """Short and unique per state: makes a run key that a re-evaluated tick cannot launch twice."""
        return f"m{self.metrics_id}-e{self.presave_id}-{self.posts_at}-{self.releases_at}-{self.streams_at}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _since(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def current_cursor(session: Session) -> RollupCursor:
    return RollupCursor(
        metrics_id=session.scalar(select(func.max(SocialPostMetrics.id))) or 0,
        presave_id=session.scalar(select(func.max(PresaveEvent.id))) or 0,
        posts_at=_iso(session.scalar(select(func.max(ContentPost.updated_at)))),
        releases_at=_iso(session.scalar(select(func.max(Release.updated_at)))),
        streams_at=_iso(session.scalar(select(func.max(ReleaseStreamDaily.imported_at)))),
    )


def release_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Release.id).order_by(Release.id)))


def releases_to_refresh(session: Session, cursor: RollupCursor | None) -> tuple[set[int], RollupCursor]:
    """(release ids whose roll-up is out of date, the cursor to store). With no cursor yet, every release."""
    now = current_cursor(session)
    if cursor is None:
        return set(release_ids(session)), now
    stale: set[int] = set()
    if now.metrics_id > cursor.metrics_id:
        stale |= set(
            session.scalars(
                select(ContentPost.release_id)
                .join(SocialPostMetrics, SocialPostMetrics.post_id == ContentPost.id)
                .where(
                    SocialPostMetrics.id > cursor.metrics_id,
                    SocialPostMetrics.id <= now.metrics_id,
                    ContentPost.release_id.is_not(None),
                )
                .distinct()
            )
        )
    if now.presave_id > cursor.presave_id:
        stale |= set(
            session.scalars(
                select(PresaveEvent.release_id)
                .where(PresaveEvent.id > cursor.presave_id, PresaveEvent.id <= now.presave_id)
                .distinct()
            )
        )
    posts_since = _since(cursor.posts_at)
    if now.posts_at and now.posts_at != cursor.posts_at:
        changed = select(ContentPost.id)
        if posts_since:
            changed = changed.where(ContentPost.updated_at > posts_since)
        stale |= set(
            session.scalars(
                select(ContentPost.release_id)
                .where(ContentPost.id.in_(changed), ContentPost.release_id.is_not(None))
                .distinct()
            )
        )
        stale |= set(
            session.scalars(
                select(ReleasePostContribution.release_id)
                .where(ReleasePostContribution.post_id.in_(changed))
                .distinct()
            )
        )
    releases_since = _since(cursor.releases_at)
    if now.releases_at and now.releases_at != cursor.releases_at:
        releases = select(Release.id)
        if releases_since:
            releases = releases.where(Release.updated_at > releases_since)
        stale |= set(session.scalars(releases))
    streams_since = _since(cursor.streams_at)
    if now.streams_at and now.streams_at != cursor.streams_at:
        isrcs = select(ReleaseStreamDaily.isrc).distinct()
        if streams_since:
            isrcs = isrcs.where(ReleaseStreamDaily.imported_at > streams_since)
        stale |= set(session.scalars(select(Release.id).where(Release.isrc.in_(isrcs))))
    return stale, now

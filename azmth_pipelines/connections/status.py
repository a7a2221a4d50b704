"""A connection's status: the one place that marks it needs_reconnect, whoever found out (a refresh refused, a
publish call refused for an expired token or a missing scope)."""

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from azmth_pipelines.db.models import SocialConnection
from azmth_pipelines.vocabulary import ConnectionStatus, Platform


def mark_needs_reconnect(session: Session, artist_id: int, platform: Platform, reason: str, *, now: datetime) -> None:
    """Mark the artist's connection to `platform` needs_reconnect with `reason`, the words the artist is shown,
    in the caller's transaction (a connection already loaded in the session is updated too)."""
    session.execute(
        update(SocialConnection)
        .where(SocialConnection.artist_id == artist_id, SocialConnection.platform == platform)
        .values(status=ConnectionStatus.NEEDS_RECONNECT, status_reason=reason, updated_at=now)
    )

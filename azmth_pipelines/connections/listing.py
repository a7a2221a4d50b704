"""Every connection's state for people and scripts: status, scopes, expiry; never a token."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from azmth_pipelines.db.models import SocialConnection


def connection_views(session: Session, *, artist_id: int | None = None) -> list[dict[str, Any]]:
    query = select(SocialConnection).order_by(SocialConnection.artist_id, SocialConnection.platform)
    if artist_id is not None:
        query = query.where(SocialConnection.artist_id == artist_id)
    return [
        {
            "id": c.id,
            "artist_id": c.artist_id,
            "platform": c.platform.value,
            "username": c.username,
            "external_account_id": c.external_account_id,
            "status": c.status.value,
            "status_reason": c.status_reason,
            "granted_scopes": list(c.granted_scopes or []),
            "access_token_expires_at": c.access_token_expires_at,
            "refresh_token_expires_at": c.refresh_token_expires_at,
            "has_refresh_token": c.refresh_token_ciphertext is not None,
            "updated_at": c.updated_at,
        }
        for c in session.scalars(query)
    ]

"""An artist's platform connections; tokens go in and out only through the cipher."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from azmth_pipelines.db.models import SocialConnection
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.domain import validation
from azmth_pipelines.domain.artists import get_artist
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import ConnectionStatus


def save_connection(
    session: Session,
    *,
    artist_id: int,
    platform: str,
    external_account_id: str,
    access_token: str,
    cipher: TokenCipher,
    username: str | None = None,
    refresh_token: str | None = None,
    access_token_expires_at: datetime | None = None,
    refresh_token_expires_at: datetime | None = None,
    granted_scopes: Iterable[str] = (),
    x_access_tier: str | None = None,
) -> SocialConnection:
    """Create or replace the artist's connection to `platform` (a reconnect replaces tokens and scopes)."""
    get_artist(session, artist_id)
    chosen = validation.platform(platform)
    connection = session.scalars(
        select(SocialConnection).where(SocialConnection.artist_id == artist_id, SocialConnection.platform == chosen)
    ).one_or_none()
    if connection is None:
        connection = SocialConnection(artist_id=artist_id, platform=chosen)
        session.add(connection)
    connection.external_account_id = validation.non_empty("external_account_id", external_account_id, 128)
    connection.username = username
    connection.access_token_ciphertext = cipher.encrypt(access_token)
    connection.refresh_token_ciphertext = cipher.encrypt(refresh_token)
    connection.access_token_expires_at = access_token_expires_at
    connection.refresh_token_expires_at = refresh_token_expires_at
    connection.granted_scopes = sorted(set(granted_scopes))
    connection.x_access_tier = x_access_tier
    connection.status = ConnectionStatus.CONNECTED
    connection.status_reason = None
    connection.updated_at = utcnow()
    session.flush()
    return connection

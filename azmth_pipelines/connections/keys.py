"""`azmth keys rotate`: re-encrypt every stored token under the newest key of AZMTH_SECRET_KEY.

Rotation: put the new key first in AZMTH_SECRET_KEY (keep the old one after it), run this, then drop the
old key. All or nothing: if any token cannot be opened with the configured keys, nothing is rewritten.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from azmth_pipelines.connections.errors import ConnectRefused
from azmth_pipelines.db.locking import locked
from azmth_pipelines.db.models import SocialConnection
from azmth_pipelines.token_cipher import TokenCipher, TokenDecryptionError


class KeyRotationRefused(ConnectRefused):
    pass


@dataclass(frozen=True)
class RotationReport:
    connections: int
    tokens: int


def rotate_token_keys(session: Session, cipher: TokenCipher) -> RotationReport:
    """Re-encrypt access and refresh tokens of every connection; raises (writing nothing) if one is unreadable."""
    connections = list(session.scalars(locked(session, select(SocialConnection).order_by(SocialConnection.id))))
    rotated: list[tuple[SocialConnection, str | None, str | None]] = []
    unreadable: list[int] = []
    for connection in connections:
        try:
            rotated.append(
                (
                    connection,
                    cipher.rotate(connection.access_token_ciphertext),
                    cipher.rotate(connection.refresh_token_ciphertext),
                )
            )
        except TokenDecryptionError:
            unreadable.append(connection.id)
    if unreadable:
        raise KeyRotationRefused(
            f"{len(unreadable)} connection(s) hold tokens no configured key opens (ids {unreadable[:20]}): "
            "keep the old key in AZMTH_SECRET_KEY (after the new one) and run the rotation again."
        )
    tokens = 0
    for connection, access, refresh in rotated:
        connection.access_token_ciphertext = access
        connection.refresh_token_ciphertext = refresh
        tokens += (access is not None) + (refresh is not None)
    session.flush()
    return RotationReport(connections=len(rotated), tokens=tokens)

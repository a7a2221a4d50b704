"""Access tokens for targets: each artist's connection per platform, decrypted once and cached per sync."""

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.models import SocialConnection
from azmth_pipelines.token_cipher import TokenCipher, TokenDecryptionError
from azmth_pipelines.vocabulary import ConnectionStatus, Platform

# Connections are few next to posts; the bound keeps a 100,000-artist sync flat all the same.
_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Credential:
    connection_id: int
    artist_id: int
    platform: Platform
    external_account_id: str
    token: str | None = field(repr=False)
    granted_scopes: tuple[str, ...] = ()
    x_access_tier: str | None = None
    # Why the token cannot be used (needs reconnect, undecryptable); None when usable.
    unusable: str | None = None


class CredentialBook:
    """Looks connections up by (artist, platform) for a page of targets at a time."""

    def __init__(self, sessions: sessionmaker[Session], cipher: TokenCipher) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._cache: OrderedDict[tuple[int, Platform], Credential | None] = OrderedDict()

    def load(self, keys: Iterable[tuple[int, Platform]]) -> None:
        missing = {key for key in keys if key not in self._cache}
        if not missing:
            return
        artist_ids = sorted({artist_id for artist_id, _ in missing})
        with self._sessions() as session:
            rows = session.scalars(select(SocialConnection).where(SocialConnection.artist_id.in_(artist_ids))).all()
            found = {(row.artist_id, Platform(row.platform)): self._credential(row) for row in rows}
        for key in missing:
            self._cache[key] = found.get(key)
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)

    def get(self, artist_id: int, platform: Platform) -> Credential | None:
        key = (artist_id, platform)
        if key not in self._cache:
            self.load([key])
        return self._cache.get(key)

    def _credential(self, row: SocialConnection) -> Credential:
        unusable = None
        token = None
        if row.status == ConnectionStatus.NEEDS_RECONNECT:
            unusable = f"connection needs a reconnect: {row.status_reason or 'token expired or revoked'}"
        else:
            try:
                token = self._cipher.decrypt(row.access_token_ciphertext)
            except TokenDecryptionError as exc:
                unusable = str(exc)
            if token is None and unusable is None:
                unusable = "connection has no access token"
        return Credential(
            connection_id=row.id,
            artist_id=row.artist_id,
            platform=Platform(row.platform),
            external_account_id=row.external_account_id,
            token=token,
            granted_scopes=tuple(row.granted_scopes or ()),
            x_access_tier=row.x_access_tier,
            unusable=unusable,
        )

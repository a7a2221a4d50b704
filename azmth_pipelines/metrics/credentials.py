"""Access tokens for targets: each artist's connection per platform, decrypted once per page and briefly cached.

A sync reads a page of targets at a time (metrics/targets.py). The book holds the credentials of the page last
loaded, whatever its size, plus at most CACHE_SIZE recently used ones from earlier pages, so an artist whose
posts run over several consecutive pages is read and decrypted once. What it holds depends on the page size,
never on how many artists the sync meets: a million posts by 20,000 artists hold what 10,000 posts do.
"""

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.models import SocialConnection
from azmth_pipelines.token_cipher import TokenCipher, TokenDecryptionError
from azmth_pipelines.vocabulary import ConnectionStatus, Platform

# Credentials kept from earlier pages. A page of 500 posts by few artists needs a handful; by 500 different
# artists it needs up to 2,000 (held apart from this bound), and the next page rarely shares many of them.
CACHE_SIZE = 512

CredentialKey = tuple[int, Platform]  # (artist id, platform)


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
        self._page: dict[CredentialKey, Credential | None] = {}
        self._recent: OrderedDict[CredentialKey, Credential | None] = OrderedDict()

    @property
    def held(self) -> int:
        """Credentials (and known absences) the book holds now: the page's and the recent ones."""
        return len(self._page) + len(self._recent)

    def load(self, keys: Iterable[CredentialKey]) -> Mapping[CredentialKey, Credential | None]:
        """The credentials of a page's keys (None: the artist has no such connection), those not recently used
        read in one query; they stay at hand for `get` until the next `load`."""
        self._page = self._lookup(set(keys))
        return self._page

    def get(self, artist_id: int, platform: Platform) -> Credential | None:
        key = (artist_id, platform)
        if key in self._page:
            return self._page[key]
        return self._lookup({key})[key]

    def _lookup(self, keys: set[CredentialKey]) -> dict[CredentialKey, Credential | None]:
        found: dict[CredentialKey, Credential | None] = {}
        missing = set()
        for key in keys:
            if key in self._page:
                found[key] = self._page[key]
            elif key in self._recent:
                self._recent.move_to_end(key)
                found[key] = self._recent[key]
            else:
                missing.add(key)
        if missing:
            read = self._read(missing)
            for key in missing:
                found[key] = read.get(key)
        # What this lookup read or used becomes the most recent; the oldest beyond the bound are forgotten.
        for key, credential in found.items():
            self._recent[key] = credential
            self._recent.move_to_end(key)
        while len(self._recent) > CACHE_SIZE:
            self._recent.popitem(last=False)
        return found

    def _read(self, keys: set[CredentialKey]) -> dict[CredentialKey, Credential]:
        artist_ids = sorted({artist_id for artist_id, _ in keys})
        platforms = list({platform for _, platform in keys})
        with self._sessions() as session:
            rows = session.scalars(
                select(SocialConnection).where(
                    SocialConnection.artist_id.in_(artist_ids), SocialConnection.platform.in_(platforms)
                )
            ).all()
            credentials = (self._credential(row) for row in rows)
            return {key: c for c in credentials if (key := (c.artist_id, c.platform)) in keys}

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

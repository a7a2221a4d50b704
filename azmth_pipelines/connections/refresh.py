"""Keep connections alive: refresh tokens ahead of expiry, and say plainly when only the artist can fix it.

Each refresh reads the connection (short transaction), calls the platform, then writes in one transaction
that locks the row: the new access token, the new refresh token (where a platform rotates them, the old one
is dead the moment the platform answers) and their expiries together, or nothing. If the row changed while
the call was out (the artist reconnected, another run refreshed), our answer is stale and is dropped, and a
failure caused by that race does not mark the connection.

A refusal that retrying cannot fix (revoked grant, expired token, dead refresh token) marks the connection
needs_reconnect with the reason, and files a staff_error (redacted) for support.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from azmth_pipelines.connections.apps import AppCredentials
from azmth_pipelines.connections.errors import AppNotConfigured
from azmth_pipelines.connections.providers import Provider, provider_for
from azmth_pipelines.connections.status import mark_needs_reconnect
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.locking import locked
from azmth_pipelines.db.models import SocialConnection, StaffError
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.domain.errors import NotFound
from azmth_pipelines.integrations.common.errors import PlatformError
from azmth_pipelines.integrations.registry import INTEGRATIONS, integration
from azmth_pipelines.token_cipher import TokenCipher, TokenDecryptionError
from azmth_pipelines.vocabulary import ConnectionStatus, Platform

log = logging.getLogger(__name__)


class RefreshOutcome(StrEnum):
    REFRESHED = "refreshed"
    NOT_DUE = "not_due"
    RETRY_LATER = "retry_later"  # transient failure or missing app credentials: the next run tries again
    NEEDS_RECONNECT = "needs_reconnect"
    SUPERSEDED = "superseded"  # the row changed while we were out; our answer was dropped


@dataclass(frozen=True)
class RefreshResult:
    connection_id: int
    artist_id: int
    platform: Platform
    outcome: RefreshOutcome
    detail: str | None = None
    access_token_expires_at: datetime | None = None


@dataclass(frozen=True)
class _Snapshot:
    id: int
    artist_id: int
    platform: Platform
    access_token: str | None
    refresh_token: str | None
    access_expires_at: datetime | None
    refresh_expires_at: datetime | None


def is_due(connection: SocialConnection, now: datetime) -> bool:
    """A connected row whose access token expires within its platform's lead time (its provider's refresh_lead)."""
    if connection.status is not ConnectionStatus.CONNECTED or connection.access_token_expires_at is None:
        return False
    return connection.access_token_expires_at - now <= integration(connection.platform).oauth.refresh_lead


def due_connection_ids(session: Session, now: datetime) -> list[int]:
    horizon = now + max(found.oauth.refresh_lead for found in INTEGRATIONS.values())
    rows = session.scalars(
        select(SocialConnection)
        .where(
            SocialConnection.status == ConnectionStatus.CONNECTED,
            SocialConnection.access_token_expires_at.is_not(None),
            SocialConnection.access_token_expires_at <= horizon,
        )
        .order_by(SocialConnection.access_token_expires_at)
    )
    return [row.id for row in rows if is_due(row, now)]


async def refresh_due_connections(
    *,
    now: datetime | None = None,
    database_url: str | None = None,
    cipher: TokenCipher | None = None,
    apps: Mapping[Platform, AppCredentials] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> list[RefreshResult]:
    """Refresh every connection due at `now` (default: the clock); one result per connection looked at."""
    now = now or clock()
    cipher = cipher or TokenCipher.from_settings()
    with session_scope(database_url) as session:
        due = due_connection_ids(session, now)
    providers: dict[Platform, Provider | AppNotConfigured] = {}
    results = []
    try:
        for connection_id in due:
            results.append(
                await refresh_connection(
                    connection_id,
                    now=now,
                    database_url=database_url,
                    cipher=cipher,
                    providers=providers,
                    apps=apps,
                    clock=clock,
                )
            )
    finally:
        for provider in providers.values():
            if isinstance(provider, Provider):
                await provider.aclose()
    return results


async def refresh_connection(
    connection_id: int,
    *,
    now: datetime | None = None,
    force: bool = False,
    database_url: str | None = None,
    cipher: TokenCipher | None = None,
    providers: dict[Platform, "Provider | AppNotConfigured"] | None = None,
    apps: Mapping[Platform, AppCredentials] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> RefreshResult:
    """Refresh one connection if due (or `force`); `providers` is a cache the caller owns and closes."""
    now = now or clock()
    cipher = cipher or TokenCipher.from_settings()
    with session_scope(database_url) as session:
        row = session.get(SocialConnection, connection_id)
        if row is None:
            raise NotFound("connection", connection_id)
        if not force and not is_due(row, now):
            return _result(row, RefreshOutcome.NOT_DUE)
        if row.status is not ConnectionStatus.CONNECTED and not force:
            return _result(row, RefreshOutcome.NOT_DUE)
        try:
            snapshot = _snapshot(row, cipher)
        except TokenDecryptionError:
            reason = "The stored token cannot be decrypted with the configured keys; reconnect the account."
            mark_needs_reconnect(session, row.artist_id, row.platform, reason, now=now)
            return _result(row, RefreshOutcome.NEEDS_RECONNECT, reason)

    own_providers = providers is None
    cache: dict[Platform, Provider | AppNotConfigured] = {} if providers is None else providers
    provider = _provider(cache, snapshot.platform, apps, clock)
    try:
        if isinstance(provider, AppNotConfigured):
            log.error("cannot refresh %s connection %s: %s", snapshot.platform.label, snapshot.id, provider)
            return _result_of(snapshot, RefreshOutcome.RETRY_LATER, str(provider))
        dead = _dead_without_call(snapshot, provider, now)
        if dead is not None:
            return _settle_failure(snapshot, dead, None, now, database_url, cipher)
        if provider.too_early_to_refresh(access_expires_at=snapshot.access_expires_at, now=now):
            return _result_of(snapshot, RefreshOutcome.NOT_DUE, "too recent to refresh; the platform would refuse")
        if not provider.can_refresh(refresh_token=snapshot.refresh_token):
            # Alive but not refreshable (X without offline.access): it is marked once it expires.
            return _result_of(snapshot, RefreshOutcome.NOT_DUE, "no refresh token: reconnect before it expires")
        assert snapshot.access_token is not None
        try:
            grant = await provider.refresh(access_token=snapshot.access_token, refresh_token=snapshot.refresh_token)
        except PlatformError as error:
            if error.retryable:
                log.warning("refreshing %s connection %s failed, will retry: %s", error.platform, snapshot.id, error)
                return _result_of(snapshot, RefreshOutcome.RETRY_LATER, str(error))
            reason = f"{snapshot.platform.label} refused to refresh the connection: {error.message}"
            return _settle_failure(snapshot, reason, error, now, database_url, cipher)
    finally:
        if own_providers:
            for item in cache.values():
                if isinstance(item, Provider):
                    await item.aclose()

    with session_scope(database_url) as session:
        row = _locked(session, snapshot.id)
        if row is None or not _unchanged(row, snapshot, cipher):
            log.info("connection %s changed while refreshing; dropped our refreshed token", snapshot.id)
            return _result_of(snapshot, RefreshOutcome.SUPERSEDED)
        # One transaction: with rotating refresh tokens, a new access token saved without its refresh token
        # (or the reverse) would strand the connection at the next refresh.
        row.access_token_ciphertext = cipher.encrypt(grant.access_token)
        row.access_token_expires_at = grant.access_expires_at
        if grant.refresh_token is not None:
            row.refresh_token_ciphertext = cipher.encrypt(grant.refresh_token)
            row.refresh_token_expires_at = grant.refresh_expires_at
        if grant.scopes:
            row.granted_scopes = sorted(grant.scopes)
        row.status = ConnectionStatus.CONNECTED
        row.status_reason = None
        row.updated_at = now
        log.info("refreshed %s connection %s until %s", snapshot.platform.label, snapshot.id, grant.access_expires_at)
        return _result(row, RefreshOutcome.REFRESHED)


def _provider(
    cache: dict[Platform, "Provider | AppNotConfigured"],
    platform: Platform,
    apps: Mapping[Platform, AppCredentials] | None,
    clock: Callable[[], datetime],
) -> "Provider | AppNotConfigured":
    if platform not in cache:
        try:
            cache[platform] = provider_for(platform, (apps or {}).get(platform), now=clock)
        except AppNotConfigured as missing:
            cache[platform] = missing
    return cache[platform]


def _dead_without_call(snapshot: _Snapshot, provider: Provider, now: datetime) -> str | None:
    """Why the connection cannot be refreshed at all (no call would help), or None."""
    label = snapshot.platform.label
    if snapshot.access_token is None:
        return f"No {label} token is stored; connect the account."
    if snapshot.refresh_expires_at is not None and snapshot.refresh_expires_at <= now:
        return f"The {label} refresh token expired on {snapshot.refresh_expires_at:%Y-%m-%d}; reconnect the account."
    if not provider.can_refresh(refresh_token=snapshot.refresh_token):
        if snapshot.access_expires_at is not None and snapshot.access_expires_at <= now:
            hint = provider.no_refresh_token_hint
            return f"The {label} access token expired and {label} issued no refresh token{hint}; reconnect."
        return None
    if not provider.refreshes_expired_token and (
        snapshot.access_expires_at is not None and snapshot.access_expires_at <= now
    ):
        return f"The {label} token expired on {snapshot.access_expires_at:%Y-%m-%d}; reconnect the account."
    return None


def _settle_failure(
    snapshot: _Snapshot,
    reason: str,
    error: PlatformError | None,
    now: datetime,
    database_url: str | None,
    cipher: TokenCipher,
) -> RefreshResult:
    with session_scope(database_url) as session:
        row = _locked(session, snapshot.id)
        if row is None or not _unchanged(row, snapshot, cipher):
            # Another run refreshed (spending the refresh token we just offered) or the artist reconnected.
            return _result_of(snapshot, RefreshOutcome.SUPERSEDED, reason)
        mark_needs_reconnect(session, row.artist_id, row.platform, reason, now=now)
        if error is not None:
            session.add(
                StaffError(
                    occurred_at=now,
                    platform=snapshot.platform,
                    http_status=error.http_status,
                    error_code=str(error.code)[:64] if error.code is not None else None,
                    message=f"token refresh for connection {snapshot.id}: {error.message}",
                    payload=error.payload,
                )
            )
    log.warning("%s connection %s needs a reconnect: %s", snapshot.platform.label, snapshot.id, reason)
    return _result_of(snapshot, RefreshOutcome.NEEDS_RECONNECT, reason)


def _locked(session: Session, connection_id: int) -> SocialConnection | None:
    return session.scalars(
        locked(session, select(SocialConnection).where(SocialConnection.id == connection_id))
    ).one_or_none()


def _snapshot(row: SocialConnection, cipher: TokenCipher) -> _Snapshot:
    return _Snapshot(
        id=row.id,
        artist_id=row.artist_id,
        platform=row.platform,
        access_token=cipher.decrypt(row.access_token_ciphertext),
        refresh_token=cipher.decrypt(row.refresh_token_ciphertext),
        access_expires_at=row.access_token_expires_at,
        refresh_expires_at=row.refresh_token_expires_at,
    )


def _unchanged(row: SocialConnection, snapshot: _Snapshot, cipher: TokenCipher) -> bool:
    # Compare plaintexts: `azmth keys rotate` changes every ciphertext without changing a token.
    try:
        current = _snapshot(row, cipher)
    except TokenDecryptionError:
        return False
    return (current.access_token, current.refresh_token) == (snapshot.access_token, snapshot.refresh_token)


def _result(row: SocialConnection, outcome: RefreshOutcome, detail: str | None = None) -> RefreshResult:
    return RefreshResult(row.id, row.artist_id, row.platform, outcome, detail, row.access_token_expires_at)


def _result_of(snapshot: _Snapshot, outcome: RefreshOutcome, detail: str | None = None) -> RefreshResult:
    return RefreshResult(
        snapshot.id, snapshot.artist_id, snapshot.platform, outcome, detail, snapshot.access_expires_at
    )

"""`azmth connect`: the authorization-code flow from a terminal, end to end.

Ask for the read scopes (plus the write scopes with publish=True), send the browser to the platform with
a fresh `state` (and PKCE where the platform takes it), take the one callback on a loopback listener,
check the state, exchange the code, upgrade the token, find the account, and store what was granted,
which may be less than what was asked. Nothing is stored unless every step succeeded.
"""

import asyncio
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

from azmth_pipelines.connections._authlib import MissingCodeException, parse_authorization_code_response
from azmth_pipelines.connections.apps import AppCredentials
from azmth_pipelines.connections.errors import (
    AuthorizationFailed,
    CallbackTimeout,
    ConnectRefused,
    ConsentDenied,
    StateMismatch,
)
from azmth_pipelines.connections.loopback import LoopbackCallback
from azmth_pipelines.connections.providers import provider_class, provider_for
from azmth_pipelines.connections.scopes import requested_scopes
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.domain.artists import get_artist
from azmth_pipelines.domain.connections import save_connection
from azmth_pipelines.integrations.common.errors import PlatformError
from azmth_pipelines.integrations.common.redaction import redact_text
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import Platform

log = logging.getLogger(__name__)

DEFAULT_CALLBACK_TIMEOUT_S = 300.0

OpenUrl = Callable[[str], None]


@dataclass(frozen=True)
class ConnectResult:
    connection_id: int
    artist_id: int
    platform: Platform
    external_account_id: str
    username: str | None
    granted_scopes: list[str]
    # Asked for but not granted: the artist unticked them on the consent screen.
    missing_scopes: list[str]
    access_token_expires_at: datetime | None


async def connect_account(
    *,
    artist_id: int,
    platform: Platform,
    open_url: OpenUrl,
    publish: bool = False,
    port: int = 0,
    timeout_s: float = DEFAULT_CALLBACK_TIMEOUT_S,
    app: AppCredentials | None = None,
    cipher: TokenCipher | None = None,
    database_url: str | None = None,
    now: Callable[[], datetime] = utcnow,
) -> ConnectResult:
    """Connect the artist's `platform` account; `open_url` sends a browser (or a test) to the authorize URL."""
    with session_scope(database_url) as session:
        get_artist(session, artist_id)  # refuse before the artist spends time on a consent screen
    cipher = cipher or TokenCipher.from_settings()
    scopes = requested_scopes(platform, publish=publish)
    state = secrets.token_urlsafe(32)
    async with provider_for(platform, app, now=now) as provider:
        pkce = provider.new_pkce()
        with LoopbackCallback(port) as callback:
            redirect_uri = callback.redirect_uri
            url = provider.authorization_url(redirect_uri=redirect_uri, state=state, scopes=scopes, pkce=pkce)
            await asyncio.to_thread(open_url, url)
            callback_url = await asyncio.to_thread(callback.wait, timeout_s)
        if callback_url is None:
            raise CallbackTimeout(
                f"No answer from {platform.label} within {timeout_s:.0f} s: the consent page was not completed. "
                "Run the command again."
            )
        code = read_callback(platform, callback_url, state)
        try:
            grant = await provider.exchange_code(code=code, redirect_uri=redirect_uri, pkce=pkce)
            identity = await provider.identify(grant)
            granted = await provider.granted_scopes(grant, scopes)
        except PlatformError as error:
            raise AuthorizationFailed(_refusal(platform, error), error) from None
    with session_scope(database_url) as session:
        connection = save_connection(
            session,
            artist_id=artist_id,
            platform=platform.value,
            external_account_id=identity.external_account_id,
            username=identity.username,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            access_token_expires_at=grant.access_expires_at,
            refresh_token_expires_at=grant.refresh_expires_at,
            granted_scopes=granted,
            cipher=cipher,
        )
        result = ConnectResult(
            connection_id=connection.id,
            artist_id=artist_id,
            platform=platform,
            external_account_id=identity.external_account_id,
            username=identity.username,
            granted_scopes=sorted(granted),
            missing_scopes=[scope for scope in scopes if scope not in set(granted)],
            access_token_expires_at=grant.access_expires_at,
        )
    log.info(
        "connected %s account %s for artist %s; granted %s",
        platform.label,
        identity.username or identity.external_account_id,
        artist_id,
        ",".join(result.granted_scopes),
    )
    return result


def read_callback(platform: Platform, callback_url: str, expected_state: str) -> str:
    """The authorization code from the callback, once its state is ours and it carries no error."""
    params = dict(parse_qsl(urlsplit(callback_url).query, keep_blank_values=True))
    # State first: an error redirect we did not ask for is as forged as a code we did not ask for.
    if not hmac.compare_digest(params.get("state", "").encode(), expected_state.encode()):
        raise StateMismatch(
            f"The answer from {platform.label} did not carry the state this command sent, so it was ignored "
            "(an old browser tab, or a forged redirect). Run the command again."
        )
    error = params.get("error")
    if error:
        raise _callback_refusal(platform, error, params.get("error_description") or params.get("error_reason"))
    try:
        return str(parse_authorization_code_response(callback_url, state=expected_state)["code"])
    except MissingCodeException:
        raise ConnectRefused(f"{platform.label} redirected back without an authorization code.") from None


def _callback_refusal(platform: Platform, error: str, description: str | None) -> ConnectRefused:
    said = f" ({platform.label} said: {redact_text(description)})" if description else ""
    if error == "access_denied":
        return ConsentDenied(f"Access was declined on the {platform.label} consent page; nothing was connected.")
    specific = provider_class(platform).callback_refusal(error, said)
    if specific is not None:
        return specific
    if error == "invalid_scope":
        return ConnectRefused(f"{platform.label} refused the requested permissions (invalid_scope).{said}")
    return ConnectRefused(f"{platform.label} refused the authorization: {error}.{said}")


def _refusal(platform: Platform, error: PlatformError) -> str:
    code = f" ({error.code})" if error.code else ""
    return f"{platform.label} refused to complete the connection{code}: {error.message}. Run the command again."

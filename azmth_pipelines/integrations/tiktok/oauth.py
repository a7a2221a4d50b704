"""TikTok Login Kit v2 for desktop: PKCE, `client_key` instead of client_id, comma-separated scopes,
rotating refresh tokens.

Sources: developers.tiktok.com/doc/login-kit-desktop, oauth-user-access-token-management,
https://developers.tiktok.com/doc/oauth-refresh-a-user-access-token (refresh tokens rotate).
"""

import os
from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from azmth_pipelines.connections._authlib import AsyncOAuth2Client, add_params_to_qs
from azmth_pipelines.connections.errors import ConnectRefused
from azmth_pipelines.connections.grants import Identity, TokenGrant, expires_at
from azmth_pipelines.connections.pkce import ChallengeEncoding, Pkce
from azmth_pipelines.connections.providers.base import Provider, require_account_id
from azmth_pipelines.connections.scopes import parse_scope_list
from azmth_pipelines.integrations.common.errors import PlatformError
from azmth_pipelines.integrations.common.hosts import Host, host_url
from azmth_pipelines.integrations.common.http import ApiResponse
from azmth_pipelines.integrations.tiktok.client import USER_FIELDS_BY_SCOPE, TikTokClient
from azmth_pipelines.integrations.tiktok.errors import tiktok_error
from azmth_pipelines.vocabulary import Platform, TikTokMode

_CLIENT_KEY_AUTH = "tiktok_client_key"


class AppNotApproved(ConnectRefused):
    """An app before TikTok's review serves only the test users registered in the developer portal."""


def _client_key_in_body(client: Any, method: str, uri: str, headers: Any, body: Any) -> tuple[Any, Any, Any]:
    # The token endpoint takes the app as form fields client_key + client_secret (not client_id, not Basic).
    body = add_params_to_qs(
        body.decode() if isinstance(body, bytes) else (body or ""),
        [("client_key", client.client_id), ("client_secret", client.client_secret or "")],
    )
    return uri, headers, body


# TikTok's desktop Login Kit asks for PKCE, and its samples are reported to hex-encode the SHA-256 digest instead
# of the RFC's base64url (unconfirmed; https://developers.tiktok.com/doc/login-kit-desktop), so the encoding is a
# setting: AZMTH_TIKTOK_PKCE_ENCODING = hex (default, as TikTok's desktop samples) | base64url.
def challenge_encoding() -> ChallengeEncoding:
    value = os.environ.get("AZMTH_TIKTOK_PKCE_ENCODING", "").strip().lower() or ChallengeEncoding.HEX.value
    try:
        return ChallengeEncoding(value)
    except ValueError:
        raise ValueError(f"AZMTH_TIKTOK_PKCE_ENCODING must be hex or base64url, not {value!r}") from None


class TikTokProvider(Provider):
    platform = Platform.TIKTOK
    token_endpoint_auth_method = _CLIENT_KEY_AUTH
    app_variables = ("AZMTH_TIKTOK_CLIENT_KEY", "AZMTH_TIKTOK_CLIENT_SECRET")
    # developers.tiktok.com/doc/tiktok-api-scopes
    read_scopes = ("user.info.basic", "user.info.profile", "user.info.stats", "video.list")
    # video.publish posts directly; video.upload sends to the drafts inbox (and photo MEDIA_UPLOAD).
    write_scopes = ("video.publish", "video.upload")
    # A 2-hour access token (the 2026 token doc) must be caught with more than an hour left: the job runs hourly.
    refresh_lead = timedelta(minutes=75)

    @classmethod
    def publish_scopes(cls, options: dict[str, Any], has_media: bool) -> list[str]:
        # Direct posts need video.publish; the drafts inbox (and photo MEDIA_UPLOAD) need video.upload.
        return ["video.upload"] if options.get("mode") == TikTokMode.INBOX.value else ["video.publish"]

    @classmethod
    def callback_refusal(cls, error: str, said: str) -> ConnectRefused | None:
        if error != "unauthorized_client":
            return None
        # login-kit / content-sharing-guidelines: until the app passes TikTok's review, only the target
        # (test) users registered for it in the developer portal can authorize it.
        return AppNotApproved(
            "TikTok refused this account: our TikTok app has not passed TikTok's app review yet, and until it "
            "does only the test users registered for it in the TikTok developer portal can connect. Ask the "
            f"AZMTH team to add this TikTok account as a target user, or connect again after the review.{said}"
        )

    def _configure(self, client: AsyncOAuth2Client) -> None:
        client.register_client_auth_method((_CLIENT_KEY_AUTH, _client_key_in_body))

    @property
    def _token_url(self) -> str:
        return f"{host_url(Host.TIKTOK_API)}/v2/oauth/token/"

    def new_pkce(self) -> Pkce:
        # Desktop apps must send a PKCE challenge (login-kit-desktop); the encoding is a setting (pkce.py).
        return Pkce.new(challenge_encoding())

    def authorization_url(self, *, redirect_uri: str, state: str, scopes: list[str], pkce: Pkce | None) -> str:
        extra = {"code_challenge": pkce.challenge, "code_challenge_method": pkce.method} if pkce else {}
        url, _ = self._oauth.create_authorization_url(
            f"{host_url(Host.TIKTOK_AUTH)}/v2/auth/authorize/",
            state=state,
            redirect_uri=redirect_uri,
            scope=",".join(scopes),
            **extra,
        )
        return _rename_query_param(url, "client_id", "client_key")

    async def exchange_code(self, *, code: str, redirect_uri: str, pkce: Pkce | None) -> TokenGrant:
        extra = {"code_verifier": pkce.verifier} if pkce else {}
        secrets = (code, *(extra.values()))
        token = await self._token_call(
            lambda: self._oauth.fetch_token(self._token_url, code=code, redirect_uri=redirect_uri, **extra), secrets
        )
        return self._grant(token)

    async def refresh(self, *, access_token: str, refresh_token: str | None) -> TokenGrant:
        if refresh_token is None:
            raise ValueError("a TikTok connection without a refresh token cannot be refreshed")
        token = await self._token_call(
            lambda: self._oauth.refresh_token(self._token_url, refresh_token=refresh_token),
            (access_token, refresh_token),
        )
        # The 2026 token doc: refresh tokens rotate, so the answer's refresh_token replaces ours.
        return self._grant(token)

    def _grant(self, token: dict[str, Any]) -> TokenGrant:
        now = self.now()
        return TokenGrant(
            access_token=str(token["access_token"]),
            access_expires_at=expires_at(now, token.get("expires_in")),
            refresh_token=token.get("refresh_token"),
            refresh_expires_at=expires_at(now, token.get("refresh_expires_in")),
            scopes=parse_scope_list(token.get("scope")),
            account_id=require_account_id(self.platform, token.get("open_id"), "open_id"),
        )

    async def identify(self, grant: TokenGrant) -> Identity:
        open_id = require_account_id(self.platform, grant.account_id, "open_id")
        username = None
        readable = [scope for scope in grant.scopes or [] if scope in USER_FIELDS_BY_SCOPE]
        if readable:
            async with TikTokClient() as client:
                user = await client.user_info(grant.access_token, readable)
            username = user.username or user.display_name
        return Identity(external_account_id=open_id, username=username)

    def token_error(self, answer: ApiResponse, secrets: Iterable[str]) -> PlatformError | None:
        return tiktok_error(answer, secrets=secrets)


def _rename_query_param(url: str, old: str, new: str) -> str:
    parts = urlsplit(url)
    query = [(new if key == old else key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))

"""X OAuth 2.0 authorization code with PKCE (S256), refresh with offline.access.

Sources: https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code and
.../oauth-2-0/user-access-token: confidential clients authenticate with HTTP Basic, public clients send client_id;
scopes are space-separated; refresh tokens are issued only for offline.access.
"""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any, ClassVar

from azmth_pipelines.connections.errors import oauth_error
from azmth_pipelines.connections.grants import Identity, TokenGrant, expires_at
from azmth_pipelines.connections.pkce import Pkce
from azmth_pipelines.connections.providers.base import Provider
from azmth_pipelines.connections.scopes import parse_scope_list
from azmth_pipelines.integrations.common.errors import PlatformError
from azmth_pipelines.integrations.common.hosts import Host, host_url
from azmth_pipelines.integrations.common.http import ApiResponse
from azmth_pipelines.integrations.x.client import XClient
from azmth_pipelines.vocabulary import Platform


class XProvider(Provider):
    platform = Platform.X
    token_endpoint_auth_method: ClassVar[str] = "client_secret_basic"
    app_variables = ("AZMTH_X_CLIENT_ID", "AZMTH_X_CLIENT_SECRET")
    # Public clients authenticate with PKCE alone (oauth-2-0/authorization-code).
    needs_app_secret = False
    # docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code: posting with media needs tweet.read
    # tweet.write users.read media.write. offline.access on the first connection too: without it X issues no
    # refresh token and the connection dies after two hours.
    read_scopes = ("tweet.read", "users.read", "offline.access")
    write_scopes = ("tweet.write", "media.write")
    # A 2-hour access token must be caught with more than an hour left: the refresh job runs hourly.
    refresh_lead = timedelta(minutes=75)
    no_refresh_token_hint = " (offline.access was not granted)"

    @classmethod
    def publish_scopes(cls, options: dict[str, Any], has_media: bool) -> list[str]:
        return ["tweet.write", "media.write"] if has_media else ["tweet.write"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.app.client_secret:
            # A public client (no secret) identifies itself with client_id in the form body.
            self._oauth.token_endpoint_auth_method = "none"
        self._oauth.code_challenge_method = "S256"

    @property
    def _token_url(self) -> str:
        return f"{host_url(Host.X_API)}/2/oauth2/token"

    def new_pkce(self) -> Pkce:
        return Pkce.new()

    def authorization_url(self, *, redirect_uri: str, state: str, scopes: list[str], pkce: Pkce | None) -> str:
        if pkce is None:
            raise ValueError("X requires PKCE")
        # Authlib derives the S256 challenge from the verifier (RFC 7636 base64url, which X expects).
        url, _ = self._oauth.create_authorization_url(
            f"{host_url(Host.X_AUTH)}/i/oauth2/authorize",
            state=state,
            redirect_uri=redirect_uri,
            scope=" ".join(scopes),
            code_verifier=pkce.verifier,
        )
        return str(url)

    async def exchange_code(self, *, code: str, redirect_uri: str, pkce: Pkce | None) -> TokenGrant:
        if pkce is None:
            raise ValueError("X requires PKCE")
        token = await self._token_call(
            lambda: self._oauth.fetch_token(
                self._token_url, code=code, redirect_uri=redirect_uri, code_verifier=pkce.verifier
            ),
            (code, pkce.verifier),
        )
        return self._grant(token)

    async def refresh(self, *, access_token: str, refresh_token: str | None) -> TokenGrant:
        if refresh_token is None:
            raise ValueError("an X connection without offline.access has no refresh token")
        token = await self._token_call(
            lambda: self._oauth.refresh_token(self._token_url, refresh_token=refresh_token),
            (access_token, refresh_token),
        )
        return self._grant(token)

    def _grant(self, token: dict[str, Any]) -> TokenGrant:
        now = self.now()
        return TokenGrant(
            access_token=str(token["access_token"]),
            access_expires_at=expires_at(now, token.get("expires_in")),
            # Refresh tokens are single-use in practice (UNCONFIRMED): always keep the newest one.
            refresh_token=token.get("refresh_token"),
            scopes=parse_scope_list(token.get("scope")),
        )

    async def identify(self, grant: TokenGrant) -> Identity:
        async with XClient() as client:
            user = await client.me(grant.access_token)
        return Identity(external_account_id=user.id, username=user.username or None)

    def token_error(self, answer: ApiResponse, secrets: Iterable[str]) -> PlatformError | None:
        return oauth_error(answer, platform=self.platform, secrets=secrets)

"""Threads: authorize on threads.net, exchange the code (POST), upgrade to the 60-day token
(th_exchange_token), refresh it (th_refresh_token).

Sources: https://developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions and
https://developers.facebook.com/docs/threads/get-started/long-lived-tokens. The token endpoints sit at the host
root, API calls under /v1.0. A token can be refreshed once it is 24 hours old and until it expires.
"""

from dataclasses import replace
from datetime import datetime, timedelta

from azmth_pipelines.connections.grants import Identity, TokenGrant
from azmth_pipelines.connections.pkce import Pkce
from azmth_pipelines.connections.providers.base import require_account_id
from azmth_pipelines.integrations.common.hosts import THREADS_API_VERSION, Host, host_url
from azmth_pipelines.integrations.meta.oauth import MetaProvider
from azmth_pipelines.integrations.threads.errors import threads_error
from azmth_pipelines.vocabulary import Platform

# get-started/long-lived-tokens: long-lived tokens are valid for 60 days.
LONG_LIVED_LIFETIME = timedelta(days=60)


class ThreadsProvider(MetaProvider):
    platform = Platform.THREADS
    graph_error = staticmethod(threads_error)
    token_endpoint_auth_method = "client_secret_post"
    app_variables = ("AZMTH_THREADS_APP_ID", "AZMTH_THREADS_APP_SECRET")
    # developers.facebook.com/docs/threads/get-started
    read_scopes = ("threads_basic", "threads_manage_insights")
    write_scopes = ("threads_content_publish",)

    def _dialog_url(self) -> str:
        return f"{host_url(Host.THREADS_AUTH)}/oauth/authorize"

    async def exchange_code(self, *, code: str, redirect_uri: str, pkce: Pkce | None) -> TokenGrant:
        short = await self._token_call(
            lambda: self._oauth.fetch_token(
                f"{host_url(Host.THREADS_API)}/oauth/access_token", code=code, redirect_uri=redirect_uri
            ),
            (code,),
        )
        # user_id is a JSON number here (the code exchange in
        # https://developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions);
        # the short-lived token lasts one hour.
        user_id = require_account_id(self.platform, short.get("user_id"), "user_id")
        short_token = str(short["access_token"])
        params = {
            "grant_type": "th_exchange_token",
            "client_secret": self.app.client_secret or "",
            "access_token": short_token,
        }
        grant = await self._exchange(f"{host_url(Host.THREADS_API)}/access_token", params, short_token)
        return replace(grant, account_id=user_id)

    async def refresh(self, *, access_token: str, refresh_token: str | None) -> TokenGrant:
        params = {"grant_type": "th_refresh_token", "access_token": access_token}
        return await self._exchange(f"{host_url(Host.THREADS_API)}/refresh_access_token", params, access_token)

    def too_early_to_refresh(self, *, access_expires_at: datetime | None, now: datetime) -> bool:
        # Refreshing a token younger than 24 hours is refused with code 190, which reads as a dead token;
        # more than 59 of its 60 days left means it is that young.
        return access_expires_at is not None and access_expires_at - now > LONG_LIVED_LIFETIME - timedelta(days=1)

    async def granted_scopes(self, grant: TokenGrant, requested: list[str]) -> list[str]:
        # Threads' token answers name no scopes and it documents no permissions edge: record what was asked;
        # a scope the artist withheld surfaces as a permission error (code 10) and a reconnect request.
        return sorted(requested)

    async def identify(self, grant: TokenGrant) -> Identity:
        body = await self._get_json(
            f"{host_url(Host.THREADS_API)}/{THREADS_API_VERSION}/me",
            params={"fields": "id,username", "access_token": grant.access_token},
            secrets=(grant.access_token,),
        )
        user_id = require_account_id(self.platform, body.get("id") or grant.account_id, "id")
        return Identity(external_account_id=user_id, username=body.get("username"))

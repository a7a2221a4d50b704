"""Instagram through Facebook Login: the dialog, the code exchange, the long-lived user token, and the
Instagram professional account found through the user's Facebook Pages.

Sources: https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow (dialog, code exchange
by GET, /me/permissions for what was granted), docs/facebook-login/guides/access-tokens/get-long-lived
(fb_exchange_token, about 60 days), docs/instagram-platform (Pages -> instagram_business_account).
"""

import logging
import re
from typing import ClassVar

from azmth_pipelines.connections.errors import ConnectRefused
from azmth_pipelines.connections.grants import Identity, TokenGrant
from azmth_pipelines.connections.pkce import Pkce
from azmth_pipelines.integrations.common.errors import PlatformError
from azmth_pipelines.integrations.common.hosts import Host, host_url
from azmth_pipelines.integrations.instagram.client import InstagramClient
from azmth_pipelines.integrations.instagram.errors import instagram_error
from azmth_pipelines.integrations.meta.oauth import MetaProvider
from azmth_pipelines.vocabulary import Platform

log = logging.getLogger(__name__)

_VERSION = re.compile(r"/(v\d+\.\d+)$")
DEFAULT_GRAPH_VERSION = "v25.0"

# Worded once, verbatim: support answers point artists at exactly this sentence.
NO_INSTAGRAM_BUSINESS_ACCOUNT = (
    "No Instagram Business account found: convert your Instagram to Business or Creator, link it to a "
    "Facebook Page in Meta Business Suite, then retry"
)


class NoInstagramBusinessAccount(ConnectRefused):
    def __init__(self) -> None:
        super().__init__(NO_INSTAGRAM_BUSINESS_ACCOUNT)


def graph_version() -> str:
    """The Graph version the API host is pinned to; the login dialog uses the same one."""
    found = _VERSION.search(host_url(Host.INSTAGRAM_API))
    return found.group(1) if found else DEFAULT_GRAPH_VERSION


class InstagramProvider(MetaProvider):
    platform = Platform.INSTAGRAM
    graph_error = staticmethod(instagram_error)
    # The code exchange is a GET with client_id and client_secret in the query (manual-flow guide);
    # "none" makes Authlib add client_id to the URL, the secret goes in as a parameter.
    token_endpoint_auth_method: ClassVar[str] = "none"
    # Instagram logs in through the Meta (Facebook) app.
    app_variables = ("AZMTH_META_APP_ID", "AZMTH_META_APP_SECRET")
    # developers.facebook.com/docs/instagram-platform/content-publishing (permissions). business_management:
    # needed when the artist's Page role comes through Business Manager.
    read_scopes = (
        "instagram_basic",
        "pages_show_list",
        "pages_read_engagement",
        "instagram_manage_insights",
        "business_management",
    )
    write_scopes = ("instagram_content_publish",)

    @property
    def _token_url(self) -> str:
        return f"{host_url(Host.INSTAGRAM_API)}/oauth/access_token"

    def _dialog_url(self) -> str:
        return f"{host_url(Host.FACEBOOK_AUTH)}/{graph_version()}/dialog/oauth"

    async def exchange_code(self, *, code: str, redirect_uri: str, pkce: Pkce | None) -> TokenGrant:
        short = await self._token_call(
            lambda: self._oauth.fetch_token(
                self._token_url,
                method="GET",
                code=code,
                redirect_uri=redirect_uri,
                client_secret=self.app.client_secret or "",
            ),
            (code,),
        )
        # The dialog's token lives one to two hours; publishing runs for weeks on the ~60-day one.
        return await self._long_lived(str(short["access_token"]))

    async def _long_lived(self, token: str) -> TokenGrant:
        params = {
            "grant_type": "fb_exchange_token",
            "client_id": self.app.client_id,
            "client_secret": self.app.client_secret or "",
            "fb_exchange_token": token,
        }
        return await self._exchange(self._token_url, params, token)

    async def refresh(self, *, access_token: str, refresh_token: str | None) -> TokenGrant:
        # A valid long-lived user token exchanges for a fresh ~60-day one; an expired one cannot (get-long-lived).
        return await self._long_lived(access_token)

    async def granted_scopes(self, grant: TokenGrant, requested: list[str]) -> list[str]:
        # Facebook Login lets the user untick permissions, and the token answer does not say which:
        # /me/permissions lists each with status granted or declined (manual-flow guide).
        try:
            body = await self._get_json(
                f"{host_url(Host.INSTAGRAM_API)}/me/permissions",
                params={"access_token": grant.access_token},
                secrets=(grant.access_token,),
            )
        except PlatformError as error:
            if error.needs_reconnect:
                raise
            # Unknown is better than a failed connect: a withheld permission still surfaces later as a
            # code 10 error asking for a reconnect. Logged, because the stored scopes are then the asked ones.
            log.warning("Instagram permissions lookup failed (%s); recording the requested scopes", error)
            return sorted(requested)
        return sorted(
            str(row["permission"])
            for row in body.get("data") or []
            if isinstance(row, dict) and row.get("status") == "granted" and row.get("permission")
        )

    async def identify(self, grant: TokenGrant) -> Identity:
        async with InstagramClient() as client:
            linked = [account for account in await client.linked_accounts(grant.access_token) if account.ig_user_id]
            if not linked:
                raise NoInstagramBusinessAccount()
            # One artist, one Instagram account: the first Page with a linked professional account.
            ig_user_id = str(linked[0].ig_user_id)
            info = await client.account(grant.access_token, ig_user_id)
        return Identity(external_account_id=ig_user_id, username=info.username)

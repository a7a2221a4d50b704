"""What the Instagram and Threads OAuth providers share: a login dialog taking comma-separated scopes, the GET
token exchanges that answer {access_token, expires_in} (the long-lived upgrade and its refresh), the Graph error
rules on token answers, and refresh without a refresh token (the long-lived token itself is exchanged).
"""

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import ClassVar

from azmth_pipelines.connections.grants import TokenGrant, expires_at
from azmth_pipelines.connections.pkce import Pkce
from azmth_pipelines.connections.providers.base import Provider
from azmth_pipelines.integrations.common.errors import PlatformError
from azmth_pipelines.integrations.common.http import ApiResponse


class MetaProvider(Provider):
    # The platform's Graph error rules (its errors.py), which sort token answers too.
    graph_error: ClassVar[Callable[..., PlatformError | None]]
    # The ~60-day long-lived tokens get a week of slack, which also keeps Threads' "at least 24 hours old"
    # refresh rule (long-lived-tokens) satisfied.
    refresh_lead = timedelta(days=7)
    # An expired long-lived token can neither be exchanged nor refreshed (get-long-lived).
    refreshes_expired_token = False

    def _dialog_url(self) -> str:
        raise NotImplementedError

    def authorization_url(self, *, redirect_uri: str, state: str, scopes: list[str], pkce: Pkce | None) -> str:
        url, _ = self._oauth.create_authorization_url(
            self._dialog_url(), state=state, redirect_uri=redirect_uri, scope=",".join(scopes)
        )
        return str(url)

    async def _exchange(self, url: str, params: dict[str, str], token: str) -> TokenGrant:
        """A GET token exchange (upgrade or refresh) answering a token and its lifetime in seconds."""
        body = await self._get_json(url, params=params, secrets=(token,))
        return TokenGrant(
            access_token=str(body["access_token"]),
            access_expires_at=expires_at(self.now(), body.get("expires_in")),
        )

    def can_refresh(self, *, refresh_token: str | None) -> bool:
        return True

    def token_error(self, answer: ApiResponse, secrets: Iterable[str]) -> PlatformError | None:
        return self.graph_error(answer, secrets=secrets)

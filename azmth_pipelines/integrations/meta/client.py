"""What the Instagram and Threads clients share: one Graph call (auth, usage headers, the error object), the
container edges (create, status, publish) and the publishing quota. Each platform says only where its token
goes, its path prefix, its edges' names and its error rules.
"""

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import httpx

from azmth_pipelines.integrations.common.budget import Hold
from azmth_pipelines.integrations.common.errors import PlatformError
from azmth_pipelines.integrations.common.hosts import Host, host_url
from azmth_pipelines.integrations.common.http import DEFAULT_TIMEOUT, ApiResponse, PlatformClient
from azmth_pipelines.integrations.meta.errors import MetaUsage, parse_usage
from azmth_pipelines.integrations.meta.models import ContainerStatus, PublishingLimit

T = TypeVar("T")
# How long the whole app stays off a Meta API once X-App-Usage reports 100 %: the allowance is a rolling hour and
# Meta names no reset, so the hold is a guess, long enough not to hammer a throttled app, short against the hour.
APP_THROTTLE_HOLD_S = 300.0


class MetaGraphClient(PlatformClient):
    host: ClassVar[Host]
    # The platform's error rules over the shared Graph error object (its errors.py).
    graph_error: ClassVar[Callable[..., PlatformError | None]]
    # Where the platform's container status says its state and why it failed.
    status_fields: ClassVar[tuple[str, str]]
    # The account edges: containers are created on the first, published on the second, the quota read on the third.
    container_edge: ClassVar[str]
    publish_edge: ClassVar[str]
    quota_edge: ClassVar[str]
    quota_fields: ClassVar[str]

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url or host_url(self.host), timeout=timeout, transport=transport)
        self.latest_usage: MetaUsage | None = None

    def _request(
        self, token: str, path: str, params: Mapping[str, str] | None, data: Mapping[str, str] | None
    ) -> tuple[str, dict[str, Any]]:
        """The URL path and the keyword arguments of `_send` that carry the token."""
        raise NotImplementedError

    async def _answer(
        self,
        token: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> ApiResponse:
        url, request = self._request(token, path, params, data)
        answer = await self._send(method, url, secrets=(token,), **request)
        usage = parse_usage(answer.headers)
        if usage is not None:
            self.latest_usage = usage
        return answer

    def budget_holds(self, answer: ApiResponse) -> list[Hold]:
        """Meta's usage headers: X-App-Usage at 100 % throttles the whole app (a rolling hour; Meta gives no reset,
        so it is held for APP_THROTTLE_HOLD_S), and a Business Use Case entry with an estimated time to regain
        access holds this account that long (https://developers.facebook.com/docs/graph-api/overview/rate-limiting)."""
        holds = super().budget_holds(answer)
        usage = parse_usage(answer.headers)
        if usage is None:
            return holds
        app = usage.app
        if app is not None and max(app.call_count, app.total_time, app.total_cputime) >= 100:
            holds.append(Hold("app", APP_THROTTLE_HOLD_S))
        if usage.regain_access_s is not None:
            holds.append(Hold("account", usage.regain_access_s))
        return holds

    async def _graph(
        self,
        token: str,
        method: str,
        path: str,
        *,
        parse: Callable[[Any], T],
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> T:
        answer = await self._answer(token, method, path, params=params, data=data)
        error = self.graph_error(answer, secrets=(token,))
        if error is not None:
            raise error
        return self._parse(answer, parse, secrets=(token,))

    async def _write(self, token: str, path: str, fields: Mapping[str, str | None]) -> str:
        """POST the set fields; returns the id the answer carries."""
        given = {name: value for name, value in fields.items() if value is not None}
        return await self._graph(token, "POST", path, data=given, parse=graph_id)

    async def _create_container(self, token: str, user_id: str, **fields: str | None) -> str:
        return await self._write(token, f"/{user_id}/{self.container_edge}", fields)

    async def container_status(self, token: str, container_id: str) -> ContainerStatus:
        state_field, detail_field = self.status_fields
        return await self._graph(
            token,
            "GET",
            f"/{container_id}",
            params={"fields": f"{state_field},{detail_field}"},
            parse=lambda body: ContainerStatus.from_json(body, state_field=state_field, detail_field=detail_field),
        )

    async def _publish_container(self, token: str, user_id: str, container_id: str) -> str:
        """The publish edge; returns the new media id."""
        return await self._write(token, f"/{user_id}/{self.publish_edge}", {"creation_id": container_id})

    async def publishing_limit(self, token: str, user_id: str = "me") -> PublishingLimit:
        return await self._graph(
            token,
            "GET",
            f"/{user_id}/{self.quota_edge}",
            params={"fields": self.quota_fields},
            parse=PublishingLimit.from_json,
        )

    async def graph_page(
        self, token: str, path: str, params: Mapping[str, str], *, after: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of an edge's objects and the cursor of the next (None on the last page: Graph API cursor-based
        paging gives `paging.next` only while there is one). Callers pass the cursor back, never follow
        `paging.next`: that URL embeds the token."""
        body = await self._graph(
            token, "GET", path, params={**params, **({"after": after} if after else {})}, parse=graph_object
        )
        data = [item for item in body.get("data") or [] if isinstance(item, dict) and item.get("id")]
        paging = body.get("paging") or {}
        next_after = (paging.get("cursors") or {}).get("after")
        if not data or not paging.get("next") or not next_after or next_after == after:
            return data, None
        return data, str(next_after)


def graph_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise TypeError("expected a JSON object")
    return body


def graph_id(body: Any) -> str:
    value = body["id"]
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value):
        raise ValueError("id missing")
    return str(value)

"""Threads API: containers (TEXT, IMAGE, VIDEO, CAROUSEL), publishing, quota and insights.

Base URL is the host WITHOUT version (AZMTH_THREADS_API_URL, default https://graph.threads.net): API calls
go to /v1.0/..., the token endpoints live at the host root. The token travels as the `access_token` query
parameter, the form every Threads doc example uses; errors redact it from URLs.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import httpx

from azmth_pipelines.platforms.hosts import THREADS_API_VERSION, Host, host_url
from azmth_pipelines.platforms.http import DEFAULT_TIMEOUT, PlatformClient
from azmth_pipelines.platforms.meta import MetaUsage, PublishingLimit, insight_values, parse_usage
from azmth_pipelines.platforms.threads.errors import PLATFORM, threads_error
from azmth_pipelines.platforms.threads.models import ThreadsContainerStatus, ThreadsMediaInsights, ThreadsPost

T = TypeVar("T")

MEDIA_INSIGHT_METRICS = ("views", "likes", "replies", "reposts", "quotes", "shares")
# Third parties report 2-20 carousel items, older docs 10 (UNCONFIRMED): the platform has the last word.
CAROUSEL_MIN_ITEMS = 2


class ThreadsClient(PlatformClient):
    platform = PLATFORM

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url or host_url(Host.THREADS_API), timeout=timeout, transport=transport)
        self.latest_usage: MetaUsage | None = None

    async def _graph(
        self,
        token: str,
        method: str,
        path: str,
        *,
        parse: Callable[[Any], T],
        params: Mapping[str, str] | None = None,
    ) -> T:
        answer = await self._send(
            method,
            f"/{THREADS_API_VERSION}{path}",
            params={**(params or {}), "access_token": token},
            secrets=(token,),
        )
        usage = parse_usage(answer.headers)
        if usage is not None:
            self.latest_usage = usage
        error = threads_error(answer, secrets=(token,))
        if error is not None:
            raise error
        return self._parse(answer, parse, secrets=(token,))

    # --- Publishing -----------------------------------------------------------------------------

    async def create_text_container(
        self, token: str, user_id: str = "me", *, text: str, reply_to_id: str | None = None
    ) -> str:
        if not text:
            raise ValueError("a TEXT post needs text")
        return await self._create(token, user_id, media_type="TEXT", text=text, reply_to_id=reply_to_id)

    async def create_image_container(
        self,
        token: str,
        user_id: str = "me",
        *,
        image_url: str,
        text: str | None = None,
        is_carousel_item: bool = False,
        alt_text: str | None = None,
    ) -> str:
        return await self._create(
            token,
            user_id,
            media_type="IMAGE",
            image_url=image_url,
            text=None if is_carousel_item else text,
            is_carousel_item="true" if is_carousel_item else None,
            alt_text=alt_text,
        )

    async def create_video_container(
        self,
        token: str,
        user_id: str = "me",
        *,
        video_url: str,
        text: str | None = None,
        is_carousel_item: bool = False,
        alt_text: str | None = None,
    ) -> str:
        return await self._create(
            token,
            user_id,
            media_type="VIDEO",
            video_url=video_url,
            text=None if is_carousel_item else text,
            is_carousel_item="true" if is_carousel_item else None,
            alt_text=alt_text,
        )

    async def create_carousel_container(
        self, token: str, user_id: str = "me", *, children: Sequence[str], text: str | None = None
    ) -> str:
        if len(children) < CAROUSEL_MIN_ITEMS:
            raise ValueError(f"a Threads carousel holds at least {CAROUSEL_MIN_ITEMS} items")
        return await self._create(token, user_id, media_type="CAROUSEL", children=",".join(children), text=text)

    async def _create(self, token: str, user_id: str, **fields: str | None) -> str:
        params = {name: value for name, value in fields.items() if value is not None}
        return await self._graph(token, "POST", f"/{user_id}/threads", params=params, parse=_id)

    async def container_status(self, token: str, container_id: str) -> ThreadsContainerStatus:
        return await self._graph(
            token,
            "GET",
            f"/{container_id}",
            params={"fields": "status,error_message"},
            parse=ThreadsContainerStatus.from_json,
        )

    async def publish(self, token: str, container_id: str, user_id: str = "me") -> str:
        """threads_publish; returns the new Threads media id."""
        return await self._graph(
            token, "POST", f"/{user_id}/threads_publish", params={"creation_id": container_id}, parse=_id
        )

    async def recent_threads(self, token: str, user_id: str = "me", *, limit: int = 25) -> list[ThreadsPost]:
        """The account's latest posts, newest first (GET /{threads-user-id}/threads; posts doc: limit up to 100)."""
        return await self._graph(
            token,
            "GET",
            f"/{user_id}/threads",
            params={"fields": "id,text,timestamp,permalink", "limit": str(limit)},
            parse=_threads_posts,
        )

    async def publishing_limit(self, token: str, user_id: str = "me") -> PublishingLimit:
        return await self._graph(
            token,
            "GET",
            f"/{user_id}/threads_publishing_limit",
            params={"fields": "quota_usage,config,reply_quota_usage,reply_config"},
            parse=PublishingLimit.from_json,
        )

    # --- Insights -------------------------------------------------------------------------------

    async def media_insights(self, token: str, media_id: str) -> ThreadsMediaInsights:
        values = await self._graph(
            token,
            "GET",
            f"/{media_id}/insights",
            params={"metric": ",".join(MEDIA_INSIGHT_METRICS)},
            parse=insight_values,
        )
        return ThreadsMediaInsights(**{name: values.get(name) for name in MEDIA_INSIGHT_METRICS})

    async def followers_count(self, token: str, user_id: str = "me") -> int | None:
        """The account's current follower total (threads_insights followers_count, total_value)."""
        values = await self._graph(
            token,
            "GET",
            f"/{user_id}/threads_insights",
            params={"metric": "followers_count"},
            parse=insight_values,
        )
        return values.get("followers_count")


def _threads_posts(body: Any) -> list[ThreadsPost]:
    return [ThreadsPost.from_json(item) for item in body.get("data") or []]


def _id(body: Any) -> str:
    value = body["id"]
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value):
        raise ValueError("id missing")
    return str(value)

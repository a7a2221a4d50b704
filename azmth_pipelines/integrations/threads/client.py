"""Threads API: containers (TEXT, IMAGE, VIDEO, CAROUSEL), publishing, quota and insights.

Base URL is the host WITHOUT version (AZMTH_THREADS_API_URL, default https://graph.threads.net): API calls
go to /v1.0/..., the token endpoints live at the host root. The token travels as the `access_token` query
parameter, the form every Threads doc example uses; errors redact it from URLs.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from azmth_pipelines.integrations.common.hosts import THREADS_API_VERSION, Host
from azmth_pipelines.integrations.meta.client import MetaGraphClient
from azmth_pipelines.integrations.meta.models import insight_values
from azmth_pipelines.integrations.threads.errors import PLATFORM, threads_error
from azmth_pipelines.integrations.threads.models import ThreadsMediaInsights, ThreadsPost

MEDIA_INSIGHT_METRICS = ("views", "likes", "replies", "reposts", "quotes", "shares")
# Third parties report 2-20 carousel items, older docs 10 (UNCONFIRMED): the platform has the last word.
CAROUSEL_MIN_ITEMS = 2
MAX_POSTS_PER_PAGE = 100  # GET /{threads-user-id}/threads: limit up to 100 (Threads posts doc)


class ThreadsClient(MetaGraphClient):
    platform = PLATFORM
    host = Host.THREADS_API
    status_fields = ("status", "error_message")
    container_edge = "threads"
    publish_edge = "threads_publish"
    quota_edge = "threads_publishing_limit"
    quota_fields = "quota_usage,config,reply_quota_usage,reply_config"

    graph_error = staticmethod(threads_error)

    def _request(
        self, token: str, path: str, params: Mapping[str, str] | None, data: Mapping[str, str] | None
    ) -> tuple[str, dict[str, Any]]:
        # Every Threads doc example sends the token, and a write's fields, as query parameters; errors redact
        # the token from URLs.
        return f"/{THREADS_API_VERSION}{path}", {"params": {**(params or {}), **(data or {}), "access_token": token}}

    # --- Publishing -----------------------------------------------------------------------------

    async def create_text_container(
        self, token: str, user_id: str = "me", *, text: str, reply_to_id: str | None = None
    ) -> str:
        if not text:
            raise ValueError("a TEXT post needs text")
        return await self._create_container(token, user_id, media_type="TEXT", text=text, reply_to_id=reply_to_id)

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
        return await self._create_container(
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
        return await self._create_container(
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
        return await self._create_container(
            token, user_id, media_type="CAROUSEL", children=",".join(children), text=text
        )

    async def publish(self, token: str, container_id: str, user_id: str = "me") -> str:
        """threads_publish; returns the new Threads media id."""
        return await self._publish_container(token, user_id, container_id)

    async def recent_threads(self, token: str, user_id: str = "me", *, limit: int = 25) -> list[ThreadsPost]:
        """The account's latest posts, newest first (GET /{threads-user-id}/threads; posts doc: limit up to 100)."""
        return await self._graph(
            token,
            "GET",
            f"/{user_id}/threads",
            params={"fields": "id,text,timestamp,permalink", "limit": str(limit)},
            parse=_threads_posts,
        )

    async def post_page(
        self, token: str, user_id: str = "me", *, after: str | None = None, limit: int = MAX_POSTS_PER_PAGE
    ) -> tuple[list[ThreadsPost], str | None]:
        """One page of the account's posts, newest first, and the next page's cursor
        (GET /{threads-user-id}/threads)."""
        params = {"fields": "id,media_type,text,timestamp,permalink", "limit": str(limit)}
        items, next_after = await self.graph_page(token, f"/{user_id}/threads", params, after=after)
        return [ThreadsPost.from_json(item) for item in items], next_after

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

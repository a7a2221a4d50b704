"""Instagram Graph API with Facebook Login: account lookup, content publishing, media and insights.

Base URL is the Graph host WITH its version (AZMTH_INSTAGRAM_API_URL, default
https://graph.facebook.com/v25.0); paths below it are the documented ones (/me/accounts,
/{ig-user-id}/media...).
The user access token goes in the Authorization header (Graph API accepts `Bearer`), so it never sits
in a URL that could be logged.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from azmth_pipelines.integrations.common.hosts import Host
from azmth_pipelines.integrations.instagram.errors import PLATFORM, instagram_error
from azmth_pipelines.integrations.instagram.models import (
    AccountInfo,
    LinkedAccount,
    MediaInfo,
    MediaInsights,
    MediaProductType,
)
from azmth_pipelines.integrations.meta.client import MetaGraphClient, graph_object
from azmth_pipelines.integrations.meta.models import insight_values

# instagram-media/insights: metrics valid per media_product_type. Asking one that does not apply fails the
# whole call, so only these are asked. Stories have no likes/comments/saved; carousel children and ads none.
_FEED_METRICS = ("views", "reach", "likes", "comments", "shares", "saved", "total_interactions")
INSIGHT_METRICS: dict[str, tuple[str, ...]] = {
    MediaProductType.FEED: _FEED_METRICS,
    MediaProductType.REELS: _FEED_METRICS,
    MediaProductType.STORY: ("views", "reach", "shares", "total_interactions"),
}
MEDIA_FIELDS = "id,caption,media_type,media_product_type,permalink,shortcode,timestamp,like_count,comments_count"
# Media per page of the media edge: Graph API edges default to 25; 100 is the largest page the Graph docs show.
MEDIA_PAGE_SIZE = 100
ACCOUNT_FIELDS = "id,username,name,followers_count,follows_count,media_count"
# Insights on a story with too few viewers answer code 10 (insights doc: "values < 5 -> error"): no data.
_STORY_TOO_FEW_VIEWERS_CODE = 10
CAROUSEL_MIN_ITEMS, CAROUSEL_MAX_ITEMS = 2, 10


class InstagramClient(MetaGraphClient):
    platform = PLATFORM
    host = Host.INSTAGRAM_API
    status_fields = ("status_code", "status")
    container_edge = "media"
    publish_edge = "media_publish"
    quota_edge = "content_publishing_limit"
    quota_fields = "quota_usage,config"

    graph_error = staticmethod(instagram_error)

    def _request(
        self, token: str, path: str, params: Mapping[str, str] | None, data: Mapping[str, str] | None
    ) -> tuple[str, dict[str, Any]]:
        # The Graph API takes the token as a Bearer header: it never sits in a URL that could be logged.
        return path, {"params": params, "data": data, "headers": {"Authorization": f"Bearer {token}"}}

    # --- Locate the professional account ---------------------------------------------------------

    async def linked_accounts(self, token: str) -> list[LinkedAccount]:
        """Every Page the user manages, each with its linked Instagram account id (None if not linked)."""
        pages: list[dict[str, Any]] = []
        after: str | None = ""
        while after is not None:
            found, after = await self.graph_page(
                token, "/me/accounts", {"fields": "id,name,access_token", "limit": "100"}, after=after or None
            )
            pages.extend(found)
        accounts = []
        for page in pages:
            linked = await self._graph(
                token, "GET", f"/{page['id']}", params={"fields": "instagram_business_account"}, parse=graph_object
            )
            ig_account = linked.get("instagram_business_account") or {}
            accounts.append(
                LinkedAccount(
                    page_id=str(page["id"]),
                    page_name=str(page.get("name") or ""),
                    ig_user_id=str(ig_account["id"]) if ig_account.get("id") else None,
                    page_access_token=page.get("access_token"),
                )
            )
        return accounts

    # --- Publishing: container -> (poll) -> media_publish -----------------------------------------

    async def create_image_container(
        self,
        token: str,
        ig_user_id: str,
        *,
        image_url: str,
        caption: str | None = None,
        alt_text: str | None = None,
        location_id: str | None = None,
        collaborators: Sequence[str] = (),
    ) -> str:
        """A feed photo (JPEG only)."""
        return await self._create_container(
            token,
            ig_user_id,
            image_url=image_url,
            caption=caption,
            alt_text=alt_text,
            location_id=location_id,
            collaborators=_json_list(collaborators),
        )

    async def create_reel_container(
        self,
        token: str,
        ig_user_id: str,
        *,
        video_url: str,
        caption: str | None = None,
        share_to_feed: bool | None = None,
        cover_url: str | None = None,
        thumb_offset_ms: int | None = None,
        audio_name: str | None = None,
        collaborators: Sequence[str] = (),
    ) -> str:
        """A reel (feed VIDEO was retired in Nov 2023: every single video is REELS)."""
        return await self._create_container(
            token,
            ig_user_id,
            media_type="REELS",
            video_url=video_url,
            caption=caption,
            share_to_feed=_bool(share_to_feed),
            cover_url=cover_url,
            thumb_offset=str(thumb_offset_ms) if thumb_offset_ms is not None else None,
            audio_name=audio_name,
            collaborators=_json_list(collaborators),
        )

    async def create_story_container(
        self, token: str, ig_user_id: str, *, image_url: str | None = None, video_url: str | None = None
    ) -> str:
        _exactly_one(image_url, video_url)
        return await self._create_container(
            token, ig_user_id, media_type="STORIES", image_url=image_url, video_url=video_url
        )

    async def create_carousel_item(
        self, token: str, ig_user_id: str, *, image_url: str | None = None, video_url: str | None = None
    ) -> str:
        """One carousel child (no caption: the carousel carries it); a video child is media_type VIDEO."""
        _exactly_one(image_url, video_url)
        return await self._create_container(
            token,
            ig_user_id,
            is_carousel_item="true",
            image_url=image_url,
            video_url=video_url,
            media_type="VIDEO" if video_url else None,
        )

    async def create_carousel_container(
        self, token: str, ig_user_id: str, *, children: Sequence[str], caption: str | None = None
    ) -> str:
        if not CAROUSEL_MIN_ITEMS <= len(children) <= CAROUSEL_MAX_ITEMS:
            raise ValueError(f"an Instagram carousel holds {CAROUSEL_MIN_ITEMS}-{CAROUSEL_MAX_ITEMS} items")
        return await self._create_container(
            token, ig_user_id, media_type="CAROUSEL", children=",".join(children), caption=caption
        )

    async def publish(self, token: str, ig_user_id: str, container_id: str) -> str:
        """media_publish; returns the new IG media id."""
        return await self._publish_container(token, ig_user_id, container_id)

    # --- Reading --------------------------------------------------------------------------------

    async def media(self, token: str, media_id: str) -> MediaInfo:
        return await self._graph(
            token, "GET", f"/{media_id}", params={"fields": MEDIA_FIELDS}, parse=MediaInfo.from_json
        )

    async def recent_media(self, token: str, ig_user_id: str, *, limit: int = 25) -> list[MediaInfo]:
        """The account's latest media, newest first (GET /{ig-user-id}/media; stories are not listed)."""
        body = await self._graph(
            token,
            "GET",
            f"/{ig_user_id}/media",
            params={"fields": MEDIA_FIELDS, "limit": str(limit)},
            parse=graph_object,
        )
        return [MediaInfo.from_json(item) for item in body.get("data") or []]

    async def media_page(
        self, token: str, ig_user_id: str, *, after: str | None = None, limit: int = MEDIA_PAGE_SIZE
    ) -> tuple[list[MediaInfo], str | None]:
        """One page of the account's media, newest first, and the next page's cursor (GET /{ig-user-id}/media;
        stories are not listed by this edge)."""
        params = {"fields": MEDIA_FIELDS, "limit": str(limit)}
        items, next_after = await self.graph_page(token, f"/{ig_user_id}/media", params, after=after)
        return [MediaInfo.from_json(item) for item in items], next_after

    async def account(self, token: str, ig_user_id: str) -> AccountInfo:
        return await self._graph(
            token, "GET", f"/{ig_user_id}", params={"fields": ACCOUNT_FIELDS}, parse=AccountInfo.from_json
        )

    async def media_insights(
        self, token: str, media_id: str, *, media_product_type: str | None = None
    ) -> MediaInsights:
        """Lifetime metrics, asking only those valid for the media's product type; missing ones are None."""
        if media_product_type is None:
            media_product_type = (await self.media(token, media_id)).media_product_type
        metrics = INSIGHT_METRICS.get(media_product_type or "", ())
        if not metrics:
            return MediaInsights()
        answer = await self._answer(token, "GET", f"/{media_id}/insights", params={"metric": ",".join(metrics)})
        error = self.graph_error(answer, secrets=(token,))
        if error is not None:
            if media_product_type == MediaProductType.STORY and error.code == _STORY_TOO_FEW_VIEWERS_CODE:
                return MediaInsights()
            raise error
        values = self._parse(answer, insight_values, secrets=(token,))
        return MediaInsights(**{name: values.get(name) for name in metrics})


def _bool(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


def _json_list(values: Sequence[str]) -> str | None:
    if not values:
        return None
    return json.dumps(list(values))


def _exactly_one(image_url: str | None, video_url: str | None) -> None:
    if (image_url is None) == (video_url is None):
        raise ValueError("give exactly one of image_url or video_url")

"""TikTok Content Posting API (direct post, inbox upload, photo post, status) and Display API (metrics).

One client serves every account: the user access token is passed per call. Paths are the documented
ones under AZMTH_TIKTOK_API_URL; upload URLs returned by the init calls are used verbatim.
"""

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from azmth_pipelines.integrations.common.budget import Hold
from azmth_pipelines.integrations.common.errors import (
    Disposition,
    MalformedResponse,
    PermanentError,
    TransientError,
    error_for,
)
from azmth_pipelines.integrations.common.hosts import Host, host_url
from azmth_pipelines.integrations.common.http import (
    DEFAULT_TIMEOUT,
    UPLOAD_TIMEOUT,
    ApiResponse,
    PlatformClient,
    retry_after_seconds,
)
from azmth_pipelines.integrations.tiktok.chunks import Chunk, ChunkPlan
from azmth_pipelines.integrations.tiktok.errors import PLATFORM, tiktok_error
from azmth_pipelines.integrations.tiktok.models import (
    CreatorInfo,
    PhotoPostInfo,
    PostMode,
    PublishInit,
    PublishStatus,
    UserInfo,
    Video,
    VideoPage,
    VideoPostInfo,
)

SCOPE_PUBLISH = "video.publish"
SCOPE_UPLOAD = "video.upload"
SCOPE_VIDEO_LIST = "video.list"

# tiktok-api-v2-get-user-info: which fields each scope unlocks. Asking for a field outside the granted
# scopes fails the whole call, so the field list is derived from what the user actually granted.
USER_FIELDS_BY_SCOPE: dict[str, tuple[str, ...]] = {
    "user.info.basic": ("open_id", "union_id", "avatar_url", "display_name"),
    "user.info.profile": ("bio_description", "profile_deep_link", "is_verified", "username"),
    "user.info.stats": ("follower_count", "following_count", "likes_count", "video_count"),
}
VIDEO_FIELDS = (
    "id",
    "create_time",
    "title",
    "video_description",
    "duration",
    "cover_image_url",
    "share_url",
    "embed_link",
    "view_count",
    "like_count",
    "comment_count",
    "share_count",
)
MAX_VIDEOS_PER_PAGE = 20  # video/list max_count
MAX_IDS_PER_QUERY = 20  # video/query filters.video_ids
VIDEO_CONTENT_TYPES = ("video/mp4", "video/quicktime", "video/webm")

T = TypeVar("T")
# TikTok's per-endpoint limits are counted over a one-minute sliding window.
ENDPOINT_WINDOW_S = 60.0

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class TikTokClient(PlatformClient):
    platform = PLATFORM

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        upload_timeout: httpx.Timeout = UPLOAD_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        chunk_attempts: int = 3,
        chunk_retry_delay_s: float = 2.0,
    ) -> None:
        super().__init__(base_url or host_url(Host.TIKTOK_API), timeout=timeout, transport=transport)
        self.upload_timeout = upload_timeout
        self.chunk_attempts = chunk_attempts
        self.chunk_retry_delay_s = chunk_retry_delay_s

    def budget_holds(self, answer: ApiResponse) -> list[Hold]:
        """TikTok counts each endpoint's calls over a one-minute sliding window and answers 429
        `rate_limit_exceeded` past it, naming no reset: the endpoint is held a minute for every worker
        (https://developers.tiktok.com/doc/tiktok-api-v2-rate-limit)."""
        if answer.status == 429:
            wait = retry_after_seconds(answer.headers) or ENDPOINT_WINDOW_S
            return [Hold("app", wait, self.endpoint(answer.raw_url))]
        return []

    async def _call(
        self,
        token: str,
        path: str,
        *,
        scope: str | None,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        method: str = "POST",
        parse: Callable[[dict[str, Any]], T],
    ) -> T:
        """One v2 API call: the envelope's `data` run through `parse`, or the error the answer carries."""
        headers = {"Authorization": f"Bearer {token}"}
        content = None
        if method == "POST":
            headers["Content-Type"] = "application/json; charset=UTF-8"
            content = json.dumps(body).encode() if body is not None else None
        answer = await self._send(method, path, params=params, headers=headers, content=content, secrets=(token,))
        error = tiktok_error(answer, required_scope=scope, secrets=(token,))
        if error is not None:
            raise error
        return self._parse(answer, lambda body: parse(_envelope_data(body)), secrets=(token,))

    # --- Content Posting API -------------------------------------------------------------------

    async def creator_info(self, token: str) -> CreatorInfo:
        return await self._call(
            token, "/v2/post/publish/creator_info/query/", scope=SCOPE_PUBLISH, parse=CreatorInfo.from_data
        )

    async def init_direct_video(self, token: str, post_info: VideoPostInfo, source: ChunkPlan | str) -> PublishInit:
        """Direct post: `source` is a ChunkPlan (FILE_UPLOAD, then `upload_video`) or a verified https URL."""
        body = {"post_info": post_info.to_json(), "source_info": _source_info(source)}
        init = await self._call(
            token, "/v2/post/publish/video/init/", scope=SCOPE_PUBLISH, body=body, parse=PublishInit.from_data
        )
        return _require_upload_url(init, source)

    async def init_inbox_video(self, token: str, source: ChunkPlan | str) -> PublishInit:
        """Upload to the creator's inbox as a draft; they finish the post in the TikTok app."""
        body = {"source_info": _source_info(source)}
        init = await self._call(
            token,
            "/v2/post/publish/inbox/video/init/",
            scope=SCOPE_UPLOAD,
            body=body,
            parse=PublishInit.from_data,
        )
        return _require_upload_url(init, source)

    async def init_photo_post(
        self,
        token: str,
        *,
        mode: PostMode,
        post_info: PhotoPostInfo,
        photo_urls: Sequence[str],
        cover_index: int = 0,
        is_aigc: bool = False,
    ) -> PublishInit:
        """Photo post (PULL_FROM_URL only); DIRECT_POST needs video.publish, MEDIA_UPLOAD video.upload."""
        if not photo_urls:
            raise ValueError("a photo post needs at least one image URL")
        if not 0 <= cover_index < len(photo_urls):
            raise ValueError("photo_cover_index must point at one of the images")
        body = {
            "media_type": "PHOTO",
            "post_mode": mode.value,
            "post_info": post_info.to_json(mode),
            "source_info": {
                "source": "PULL_FROM_URL",
                "photo_images": list(photo_urls),
                "photo_cover_index": cover_index,
            },
            "is_aigc": is_aigc,
        }
        scope = SCOPE_PUBLISH if mode is PostMode.DIRECT_POST else SCOPE_UPLOAD
        return await self._call(
            token, "/v2/post/publish/content/init/", scope=scope, body=body, parse=PublishInit.from_data
        )

    async def publish_status(self, token: str, publish_id: str) -> PublishStatus:
        # Either video.upload or video.publish grants this, so a scope error names no single scope.
        return await self._call(
            token,
            "/v2/post/publish/status/fetch/",
            scope=None,
            body={"publish_id": publish_id},
            parse=PublishStatus.from_data,
        )

    # --- Chunked transfer (content-posting-api-media-transfer-guide) -------------------------------

    async def upload_video(
        self, upload_url: str, video: Path, plan: ChunkPlan, *, content_type: str = "video/mp4"
    ) -> None:
        """PUT the file's chunks in order to the init's upload_url; returns once TikTok answers 201."""
        if content_type not in VIDEO_CONTENT_TYPES:
            raise ValueError(f"TikTok accepts {', '.join(VIDEO_CONTENT_TYPES)}, not {content_type}")
        chunks = plan.chunks()
        index, resumes = 0, 0
        while index < len(chunks):
            chunk = chunks[index]
            data = await asyncio.to_thread(_read_chunk, video, chunk)
            answer = await self._put_chunk(upload_url, chunk, data, content_type)
            if answer.status == 201:
                return
            if answer.status == 206:
                index += 1
                continue
            # 416: our range does not match TikTok's progress; its Content-Range says how far it got.
            resumes += 1
            next_first = _uploaded_through(answer) + 1
            if next_first >= plan.video_size:
                return
            # Resume at the chunk holding the first missing byte ("bytes 0-0/N" may mean nothing yet).
            index = max(c.index for c in chunks if c.first_byte <= max(next_first, 0))
            if resumes > len(chunks):
                raise PermanentError(
                    f"TikTok keeps refusing the upload's ranges (progress {next_first} B)",
                    platform=PLATFORM,
                    http_status=answer.status,
                    payload=answer.payload(),
                    secrets=(upload_url,),
                )
        raise TransientError(
            "TikTok never confirmed the upload (no 201 after the last chunk)",
            platform=PLATFORM,
            payload={"chunks": len(chunks)},
        )

    async def _put_chunk(self, upload_url: str, chunk: Chunk, data: bytes, content_type: str) -> ApiResponse:
        headers = {
            "Content-Type": content_type,
            "Content-Length": str(len(data)),
            "Content-Range": chunk.content_range,
        }
        for attempt in range(1, self.chunk_attempts + 1):
            try:
                answer = await self._send(
                    "PUT",
                    upload_url,
                    content=data,
                    headers=headers,
                    timeout=self.upload_timeout,
                    expect_json=False,
                    secrets=(upload_url,),
                )
            except TransientError:
                if attempt == self.chunk_attempts:
                    raise
                await asyncio.sleep(self.chunk_retry_delay_s * attempt)
                continue
            if answer.status in (201, 206, 416):
                return answer
            if answer.status >= 500 and attempt < self.chunk_attempts:
                await asyncio.sleep(self.chunk_retry_delay_s * attempt)  # media-transfer guide: retry chunk
                continue
            raise _upload_error(answer, chunk, upload_url)
        raise AssertionError("unreachable: the loop returns or raises")

    # --- Display API ---------------------------------------------------------------------------

    async def user_info(self, token: str, granted_scopes: Iterable[str] = ("user.info.basic",)) -> UserInfo:
        fields = [f for scope in granted_scopes for f in USER_FIELDS_BY_SCOPE.get(scope, ())]
        if not fields:
            raise ValueError("user info needs at least one user.info.* scope")
        return await self._call(
            token,
            "/v2/user/info/",
            scope="user.info.basic",
            params={"fields": ",".join(dict.fromkeys(fields))},
            method="GET",
            parse=UserInfo.from_data,
        )

    async def list_videos_page(
        self,
        token: str,
        *,
        cursor: int | None = None,
        max_count: int = MAX_VIDEOS_PER_PAGE,
        fields: Sequence[str] = VIDEO_FIELDS,
    ) -> VideoPage:
        body: dict[str, Any] = {"max_count": max(1, min(max_count, MAX_VIDEOS_PER_PAGE))}
        if cursor is not None:
            body["cursor"] = cursor
        return await self._call(
            token,
            "/v2/video/list/",
            scope=SCOPE_VIDEO_LIST,
            body=body,
            params={"fields": ",".join(fields)},
            parse=VideoPage.from_data,
        )

    async def iter_videos(
        self, token: str, *, fields: Sequence[str] = VIDEO_FIELDS, max_pages: int = 1000
    ) -> AsyncIterator[Video]:
        """Every video of the account, newest first, following the cursor until has_more is false."""
        cursor: int | None = None
        for _ in range(max_pages):
            page = await self.list_videos_page(token, cursor=cursor, fields=fields)
            for video in page.videos:
                yield video
            # A page may hold fewer than max_count videos while has_more is still true (video-list doc).
            if not page.has_more or page.cursor is None or page.cursor == cursor:
                return
            cursor = page.cursor

    async def query_videos(
        self, token: str, video_ids: Sequence[str], *, fields: Sequence[str] = VIDEO_FIELDS
    ) -> list[Video]:
        """The caller's own videos among `video_ids` (others are silently absent), 20 ids per request."""
        videos: list[Video] = []
        unique_ids = list(dict.fromkeys(str(video_id) for video_id in video_ids))
        for start in range(0, len(unique_ids), MAX_IDS_PER_QUERY):
            batch = unique_ids[start : start + MAX_IDS_PER_QUERY]
            page = await self._call(
                token,
                "/v2/video/query/",
                scope=SCOPE_VIDEO_LIST,
                body={"filters": {"video_ids": batch}},
                params={"fields": ",".join(fields)},
                parse=VideoPage.from_data,
            )
            videos.extend(page.videos)
        return videos


def _require_upload_url(init: PublishInit, source: ChunkPlan | str) -> PublishInit:
    if isinstance(source, ChunkPlan) and not init.upload_url:
        raise MalformedResponse(
            "TikTok accepted a FILE_UPLOAD init without an upload_url",
            platform=PLATFORM,
            payload={"publish_id": init.publish_id},
        )
    return init


def _envelope_data(body: Any) -> dict[str, Any]:
    data = body.get("data") if isinstance(body, dict) else None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TypeError("data is not an object")
    return data


def _source_info(source: ChunkPlan | str) -> dict[str, Any]:
    if isinstance(source, ChunkPlan):
        return source.source_info()
    if not source.startswith("https://") and not source.startswith("http://"):
        raise ValueError("PULL_FROM_URL needs the URL of a verified domain")
    return {"source": "PULL_FROM_URL", "video_url": source}


def _read_chunk(path: Path, chunk: Chunk) -> bytes:
    with path.open("rb") as file:
        file.seek(chunk.first_byte)
        data = file.read(chunk.size)
    if len(data) != chunk.size:
        raise ValueError(f"{path} is shorter than the upload plan ({chunk.content_range})")
    return data


def _uploaded_through(answer: ApiResponse) -> int:
    """The last byte TikTok holds, from `Content-Range: bytes 0-{last}/{total}` (-1 if none yet)."""
    match = _CONTENT_RANGE.search(answer.headers.get("content-range", ""))
    if match is None:
        return -1
    return int(match.group(2))


def _upload_error(answer: ApiResponse, chunk: Chunk, upload_url: str) -> Exception:
    # media-transfer guide: 400 bad headers/length (our bug: permanent); 403 upload_url expired and 404 no
    # upload task mean this publish_id is dead, so the publish is retried from a new init.
    if answer.status in (403, 404) or answer.status >= 500:
        disposition = Disposition.RETRY
    elif answer.status == 429:
        disposition = Disposition.RATE_LIMITED
    else:
        disposition = Disposition.PERMANENT
    return error_for(
        disposition,
        f"chunk {chunk.index} ({chunk.content_range}) rejected with HTTP {answer.status}",
        platform=PLATFORM,
        http_status=answer.status,
        payload=answer.payload(),
        secrets=(upload_url,),
    )

"""TikTok: Login Kit v2 OAuth, Content Posting API (direct, inbox, photo; FILE_UPLOAD and PULL_FROM_URL),
status polling and the Display API reads, at open.tiktokapis.com / www.tiktok.com / the upload host.

Sources: https://developers.tiktok.com/doc/ + content-posting-api-reference-*, content-posting-api-media-transfer-guide,
tiktok-api-v2-rate-limit, oauth-*.
"""

import re
import secrets
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from azmth_pipelines.media.errors import MediaError
from azmth_sandbox.common import (
    authorizing_account,
    bearer,
    json_body,
    new_job,
    pkce_matches,
    redirect_with,
    start_job,
)
from azmth_sandbox.errors import (
    JSONBody,
    PlatformError,
    tiktok_error,
    tiktok_oauth_error,
    tiktok_ok,
)
from azmth_sandbox.media import FetchFailed, is_loopback
from azmth_sandbox.metrics import follower_count, post_metrics
from azmth_sandbox.routing import endpoint
from azmth_sandbox.state import Account, AuthCode, Post, SandboxState, TikTokPublish, Token

PLATFORM = "tiktok"
MINUTE = 60.0
DAY = 86400.0

# Chunk rules (content-posting-api-media-transfer-guide). The guide says "5 MB" and "64 MB" without saying
# MiB or MB, so the sandbox takes the stricter end of each: a client that passes here passes either way.
MIN_CHUNK = 5 * 1024 * 1024
MAX_CHUNK = 64_000_000
MAX_LAST_CHUNK = 128_000_000
MAX_CHUNKS = 1000
UPLOAD_URL_TTL_S = 3600
VIDEO_CONTENT_TYPES = ("video/mp4", "video/quicktime", "video/webm")
VIDEO_CONTAINERS = ("mp4", "mov", "webm", "m4v")
VIDEO_CODECS = ("h264", "hevc", "h265", "vp8", "vp9")
PHOTO_CONTAINERS = ("jpeg", "webp")
PUBLIC_OPTIONS = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
PRIVATE_OPTIONS = ["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
KNOWN_SCOPES = {
    "user.info.basic",
    "user.info.profile",
    "user.info.stats",
    "video.list",
    "video.upload",
    "video.publish",
}
USER_FIELD_SCOPES = {
    "open_id": "user.info.basic",
    "union_id": "user.info.basic",
    "avatar_url": "user.info.basic",
    "avatar_url_100": "user.info.basic",
    "avatar_large_url": "user.info.basic",
    "display_name": "user.info.basic",
    "bio_description": "user.info.profile",
    "profile_deep_link": "user.info.profile",
    "is_verified": "user.info.profile",
    "username": "user.info.profile",
    "follower_count": "user.info.stats",
    "following_count": "user.info.stats",
    "likes_count": "user.info.stats",
    "video_count": "user.info.stats",
}
VIDEO_FIELDS = {
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_html",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
}
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
GUIDELINES = "Please review our integration guidelines at https://developers.tiktok.com/doc/content-sharing-guidelines/"


def _invalid_params(message: str) -> PlatformError:
    # The Content Posting pages spell it invalid_param, the generic error page invalid_params (1.3).
    return tiktok_error(400, "invalid_param", message)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class TikTokApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def routes(self) -> dict[str, list[BaseRoute]]:
        s = self.state

        def r(group: str, path: str, handler: Any, methods: list[str]) -> BaseRoute:
            return endpoint(s, PLATFORM, group, path, handler, methods)

        return {
            "/tiktok": [
                r("oauth", "/v2/oauth/token/", self.token, ["POST"]),
                r("oauth", "/v2/oauth/revoke/", self.revoke, ["POST"]),
                r("publish", "/v2/post/publish/creator_info/query/", self.creator_info, ["POST"]),
                r("publish", "/v2/post/publish/video/init/", self.direct_video_init, ["POST"]),
                r("publish", "/v2/post/publish/inbox/video/init/", self.inbox_video_init, ["POST"]),
                r("publish", "/v2/post/publish/content/init/", self.photo_init, ["POST"]),
                r("publish", "/v2/post/publish/cancel/", self.cancel, ["POST"]),
                r("status", "/v2/post/publish/status/fetch/", self.status_fetch, ["POST"]),
                r("account", "/v2/user/info/", self.user_info, ["GET"]),
                r("metrics", "/v2/video/list/", self.video_list, ["POST"]),
                r("metrics", "/v2/video/query/", self.video_query, ["POST"]),
            ],
            "/tiktok-www": [r("oauth", "/v2/auth/authorize/", self.authorize, ["GET"])],
            "/tiktok-upload": [r("upload", "/video/", self.upload_chunk, ["PUT"])],
        }

    # auth -----------------------------------------------------------------------------------------------

    def _auth(self, request: Request, *scopes: str) -> tuple[Token, Account]:
        """The caller's token and account; `scopes` are alternatives (any one suffices)."""
        token = self.state.token(bearer(request))
        now = self.state.now()
        if token is None or token.kind != "access" or token.revoked or token.expired(now):
            raise tiktok_error(401, "access_token_invalid", "The access token is invalid or not found in the request.")
        if scopes and not any(scope in token.scopes for scope in scopes):
            raise tiktok_error(
                401,
                "scope_not_authorized",
                f"The user did not authorize the scope required for completing this request ({scopes[0]}).",
            )
        return token, self.state.accounts[token.account_id]

    def _rate(self, name: str, token: Token, limit: int | None) -> None:
        verdict = self.state.windows.hit(f"tiktok:{name}", token.value, limit, MINUTE, self.state.now())
        if not verdict.allowed:
            raise tiktok_error(429, "rate_limit_exceeded", "The API rate limit was exceeded. Please try again later.")

    # creator info ------------------------------------------------------------------------------------------

    def _privacy_options(self, account: Account) -> list[str]:
        return PRIVATE_OPTIONS if account.privacy == "private" else PUBLIC_OPTIONS

    async def creator_info(self, request: Request) -> Response:
        token, account = self._auth(request, "video.publish")
        self._rate("creator_info", token, self.state.limits.tiktok_creator_info_per_minute)
        if account.posting_blocked:
            # Deliberately HTTP 200 with the error in the envelope (query-creator-info reference).
            raise tiktok_error(200, account.posting_blocked, "This user can not make more posts right now.")
        return tiktok_ok(
            {
                "creator_avatar_url": f"https://p16-sign.tiktokcdn.com/{account.remote_id}~c5_168x168.jpeg",
                "creator_username": account.username,
                "creator_nickname": account.display_name,
                "privacy_level_options": self._privacy_options(account),
                "comment_disabled": False,
                "duet_disabled": False,
                "stitch_disabled": False,
                "max_video_post_duration_sec": account.max_video_post_duration_sec,
            }
        )

    # init ---------------------------------------------------------------------------------------------

    def _posting_allowed(self, token: Token, account: Account, privacy_level: str | None) -> None:
        if account.posting_blocked:
            raise tiktok_error(403, account.posting_blocked, "This user can not make more posts right now.")
        app = self.state.apps.get(token.client_id)
        if app is not None and not app.audited:
            if account.privacy != "private" or (privacy_level and privacy_level != "SELF_ONLY"):
                raise tiktok_error(403, "unaudited_client_can_only_post_to_private_accounts", GUIDELINES)
            posters = self.state.unaudited_posters.setdefault(app.client_id, deque())
            now = self.state.now()
            while posters and posters[0][0] <= now - DAY:
                posters.popleft()
            distinct = {open_id for _, open_id in posters}
            cap = self.state.limits.tiktok_unaudited_users_per_day
            if cap is not None and account.remote_id not in distinct and len(distinct) >= cap:
                raise tiktok_error(403, "unaudited_client_can_only_post_to_private_accounts", GUIDELINES)
            posters.append((now, account.remote_id))

    def _check_privacy(self, account: Account, post_info: dict[str, Any], *, required: bool) -> str | None:
        level = post_info.get("privacy_level")
        if level is None:
            if required:
                raise _invalid_params("post_info.privacy_level is required.")
            return None
        if level not in self._privacy_options(account):
            raise tiktok_error(
                403,
                "privacy_level_option_mismatch",
                "privacy_level must be one of the privacy_level_options returned by creator_info.",
            )
        return str(level)

    def _verified_url(self, url: Any) -> str:
        if not isinstance(url, str) or not url:
            raise _invalid_params("A media URL is required for PULL_FROM_URL.")
        parts = urlsplit(url)
        https_or_local = parts.scheme == "https" or (
            parts.scheme == "http" and self.state.config.tiktok_allow_loopback_http and is_loopback(url)
        )
        prefixes = self.state.config.tiktok_verified_url_prefixes
        if not https_or_local or not any(url.startswith(p) for p in prefixes):
            raise tiktok_error(
                403,
                "url_ownership_unverified",
                "The domain or URL prefix of the media URL has not been verified for this app.",
            )
        return url

    def _validate_chunks(self, source: dict[str, Any]) -> tuple[int, int, int]:
        try:
            size, chunk, count = (int(source[k]) for k in ("video_size", "chunk_size", "total_chunk_count"))
        except (KeyError, TypeError, ValueError) as exc:
            raise _invalid_params("video_size, chunk_size and total_chunk_count are required for FILE_UPLOAD.") from exc
        if size <= 0 or chunk <= 0 or not 1 <= count <= MAX_CHUNKS:
            raise _invalid_params("video_size and chunk_size must be positive; 1-1000 chunks.")
        if chunk == size and count == 1:
            if size > MAX_CHUNK:
                raise _invalid_params("Videos larger than 64 MB must be uploaded in chunks.")
            return size, chunk, count
        if not MIN_CHUNK <= chunk <= MAX_CHUNK:
            raise _invalid_params("chunk_size must be between 5 MB and 64 MB (files under 5 MB: one chunk).")
        if count != size // chunk:
            raise _invalid_params("total_chunk_count must equal floor(video_size / chunk_size).")
        if size - (count - 1) * chunk > MAX_LAST_CHUNK:
            raise _invalid_params("The final chunk may not exceed 128 MB.")
        return size, chunk, count

    async def _body(self, request: Request) -> dict[str, Any]:
        body = await json_body(request)
        if body is None:
            raise _invalid_params("The request body is not valid JSON.")
        return body

    def _new_publish(
        self, token: Token, account: Account, *, mode: str, media_type: str, source: str, prefix: str
    ) -> TikTokPublish:
        publish = TikTokPublish(
            publish_id=f"{prefix}~v2-1.{self.state.new_id(PLATFORM)}",
            account_id=account.id,
            token=token.value,
            mode=mode,
            media_type=media_type,
            source=source,
            title="",
            privacy_level=None,
            created_at=self.state.now(),
        )
        with self.state.lock:
            self.state.tiktok_publishes[publish.publish_id] = publish
        return publish

    async def _video_init(self, request: Request, *, mode: str) -> Response:
        scope = "video.publish" if mode == "direct" else "video.upload"
        token, account = self._auth(request, scope)
        self._rate("init", token, self.state.limits.tiktok_init_per_minute)
        body = await self._body(request)
        post_info = body.get("post_info") or {}
        source_info = body.get("source_info")
        if not isinstance(post_info, dict) or not isinstance(source_info, dict):
            raise _invalid_params("source_info is required.")
        privacy = None
        title = ""
        if mode == "direct":
            privacy = self._check_privacy(account, post_info, required=True)
            title = str(post_info.get("title") or "")
            if _utf16_len(title) > 2200:
                raise _invalid_params("post_info.title exceeds 2200 UTF-16 characters.")
        else:
            self._pending_inbox_allowed(account)
        self._posting_allowed(token, account, privacy)
        source = source_info.get("source")
        kind = "file" if source == "FILE_UPLOAD" else "url"
        if source == "FILE_UPLOAD":
            size, chunk, count = self._validate_chunks(source_info)
        elif source == "PULL_FROM_URL":
            url = self._verified_url(source_info.get("video_url"))
        else:
            raise _invalid_params("source_info.source must be FILE_UPLOAD or PULL_FROM_URL.")
        prefix = f"v_pub_{kind}" if mode == "direct" else f"v_inbox_{kind}"
        publish = self._new_publish(token, account, mode=mode, media_type="VIDEO", source=source, prefix=prefix)
        publish.title = title
        publish.privacy_level = privacy
        data: dict[str, Any] = {"publish_id": publish.publish_id}
        if source == "FILE_UPLOAD":
            publish.video_size, publish.chunk_size, publish.total_chunk_count = size, chunk, count
            publish.upload_id = str(self.state.next_number() + 7391122)
            publish.upload_token = secrets.token_urlsafe(16)
            publish.upload_expires_at = self.state.now() + UPLOAD_URL_TTL_S
            with self.state.lock:
                self.state.tiktok_uploads[publish.upload_id] = publish
            base = str(request.base_url).rstrip("/")
            data["upload_url"] = (
                f"{base}/tiktok-upload/video/?upload_id={publish.upload_id}&upload_token={publish.upload_token}"
            )
        else:
            publish.media_urls = [url]
            publish.job = new_job(self.state)
            start_job(self.state, publish.job, lambda: self._pull_and_check_video(publish, url))
        if mode == "inbox":
            account.pending_inbox.append(self.state.now())
        return tiktok_ok(data)

    def _pending_inbox_allowed(self, account: Account) -> None:
        now = self.state.now()
        while account.pending_inbox and account.pending_inbox[0] <= now - DAY:
            account.pending_inbox.popleft()
        cap = self.state.limits.tiktok_pending_inbox_per_day
        if cap is not None and len(account.pending_inbox) >= cap:
            raise tiktok_error(
                403,
                "spam_risk_too_many_pending_share",
                "The user has too many pending shares awaiting action in the inbox.",
            )

    async def direct_video_init(self, request: Request) -> Response:
        return await self._video_init(request, mode="direct")

    async def inbox_video_init(self, request: Request) -> Response:
        return await self._video_init(request, mode="inbox")

    async def photo_init(self, request: Request) -> Response:
        body = await json_body(request)
        mode = (body or {}).get("post_mode")
        scope = "video.upload" if mode == "MEDIA_UPLOAD" else "video.publish"
        token, account = self._auth(request, scope)
        self._rate("init", token, self.state.limits.tiktok_init_per_minute)
        if body is None:
            raise _invalid_params("The request body is not valid JSON.")
        if body.get("media_type") != "PHOTO":
            raise _invalid_params("media_type must be PHOTO.")
        if mode not in ("DIRECT_POST", "MEDIA_UPLOAD"):
            raise _invalid_params("post_mode must be DIRECT_POST or MEDIA_UPLOAD.")
        post_info = body.get("post_info") or {}
        source_info = body.get("source_info") or {}
        if not isinstance(post_info, dict) or not isinstance(source_info, dict):
            raise _invalid_params("post_info and source_info must be objects.")
        privacy = None
        if mode == "DIRECT_POST":
            privacy = self._check_privacy(account, post_info, required=True)
        else:
            self._pending_inbox_allowed(account)
        title = str(post_info.get("title") or "")
        description = str(post_info.get("description") or "")
        if _utf16_len(title) > 90 or _utf16_len(description) > 4000:
            raise _invalid_params("post_info.title is limited to 90 and description to 4000 UTF-16 characters.")
        self._posting_allowed(token, account, privacy)
        if source_info.get("source") != "PULL_FROM_URL":
            raise _invalid_params("Photo posts only support source PULL_FROM_URL.")
        images = source_info.get("photo_images")
        if not isinstance(images, list) or not 1 <= len(images) <= 35:
            raise _invalid_params("photo_images must list 1 to 35 image URLs.")
        urls = [self._verified_url(u) for u in images]
        cover = source_info.get("photo_cover_index", 0)
        if not isinstance(cover, int) or not 0 <= cover < len(urls):
            raise _invalid_params("photo_cover_index must index into photo_images.")
        kind = "direct" if mode == "DIRECT_POST" else "inbox"
        prefix = "p_pub_url" if kind == "direct" else "p_inbox_url"
        publish = self._new_publish(
            token, account, mode=kind, media_type="PHOTO", source="PULL_FROM_URL", prefix=prefix
        )
        publish.title = title or description
        publish.privacy_level = privacy
        publish.media_urls = urls
        publish.job = new_job(self.state)
        start_job(self.state, publish.job, lambda: self._pull_and_check_photos(publish))
        if kind == "inbox":
            account.pending_inbox.append(self.state.now())
        return tiktok_ok({"publish_id": publish.publish_id})

    # upload -------------------------------------------------------------------------------------------

    async def upload_chunk(self, request: Request) -> Response:
        publish = self.state.tiktok_uploads.get(request.query_params.get("upload_id", ""))
        if publish is None or publish.upload_token != request.query_params.get("upload_token"):
            return Response(status_code=404)
        if self.state.now() >= publish.upload_expires_at:
            return Response(status_code=403)
        total = publish.video_size
        received = len(publish.received)
        progress = {"Content-Range": f"bytes 0-{max(received - 1, 0)}/{total}"}
        if request.headers.get("content-type", "").split(";")[0].strip() not in VIDEO_CONTENT_TYPES:
            return Response(status_code=400, headers=progress)
        match = _CONTENT_RANGE.match(request.headers.get("content-range", "").strip())
        body = await request.body()
        declared_length = request.headers.get("content-length")
        if match is None or declared_length is None or int(declared_length) != len(body):
            return Response(status_code=400, headers=progress)
        first, last, claimed_total = (int(g) for g in match.groups())
        if claimed_total != total or last < first or last - first + 1 != len(body):
            return Response(status_code=400, headers=progress)
        if first != received or received >= total:
            return Response(status_code=416, headers=progress)
        index = received // publish.chunk_size
        is_last = index == publish.total_chunk_count - 1
        expected = total - received if is_last else publish.chunk_size
        if len(body) != expected:
            return Response(status_code=400, headers=progress)
        publish.received.extend(body)
        received = len(publish.received)
        headers = {"Content-Range": f"bytes 0-{received - 1}/{total}"}
        if received < total:
            return Response(status_code=206, headers=headers)
        publish.job = new_job(self.state)
        data = bytes(publish.received)
        start_job(self.state, publish.job, lambda: self._check_video(publish, data))
        return Response(status_code=201, headers=headers)

    # processing ---------------------------------------------------------------------------------------

    async def _pull_and_check_video(self, publish: TikTokPublish, url: str) -> str | None:
        try:
            # No redirects: a 3xx makes the URL invalid (content-posting-api-media-transfer-guide).
            data = await self.state.fetcher.fetch(url, follow_redirects=False)
        except FetchFailed:
            return self._settle(publish, "video_pull_failed")
        publish.downloaded_bytes = len(data)
        return await self._check_video(publish, data)

    async def _check_video(self, publish: TikTokPublish, data: bytes) -> str | None:
        forced = self.state.faults.take_processing_error(PLATFORM)
        if forced is not None:
            return self._settle(publish, forced or "internal")
        account = self.state.accounts[publish.account_id]
        try:
            probe = await self.state.fetcher.probe(data)
        except MediaError:
            return self._settle(publish, "file_format_check_failed")
        if probe.kind != "video" or probe.container not in VIDEO_CONTAINERS or probe.video_codec not in VIDEO_CODECS:
            reason = "file_format_check_failed"
        elif probe.fps is not None and not 23 <= probe.fps <= 60:
            reason = "frame_rate_check_failed"
        elif not (360 <= probe.width <= 4096 and 360 <= probe.height <= 4096):
            reason = "picture_size_check_failed"
        elif (probe.duration_s or 0) > account.max_video_post_duration_sec:
            reason = "duration_check_failed"
        else:
            reason = None
        publish.probe = {"duration": probe.duration_s, "width": probe.width, "height": probe.height}
        return self._settle(publish, reason)

    async def _pull_and_check_photos(self, publish: TikTokPublish) -> str | None:
        forced = self.state.faults.take_processing_error(PLATFORM)
        if forced is not None:
            return self._settle(publish, forced or "internal")
        for url in publish.media_urls:
            try:
                data = await self.state.fetcher.fetch(url, follow_redirects=False)
            except FetchFailed:
                return self._settle(publish, "photo_pull_failed")
            publish.downloaded_bytes += len(data)
            try:
                probe = await self.state.fetcher.probe(data)
            except MediaError:
                return self._settle(publish, "file_format_check_failed")
            if probe.kind != "image" or probe.container not in PHOTO_CONTAINERS or probe.bytes > 20_000_000:
                return self._settle(publish, "file_format_check_failed")
            if max(probe.width, probe.height) > 1920 or min(probe.width, probe.height) > 1080:
                return self._settle(publish, "picture_size_check_failed")
        return self._settle(publish, None)

    def _settle(self, publish: TikTokPublish, reason: str | None) -> str | None:
        """Record the outcome; a success becomes a post (direct) or an inbox delivery (drafts)."""
        if reason is not None or publish.cancelled:
            return reason or "publish_cancelled"
        assert publish.job is not None
        publish.post_id = int(self.state.new_id(PLATFORM))
        detail = publish.probe
        self.state.record_post(
            Post(
                platform=PLATFORM,
                account_id=publish.account_id,
                remote_id=str(publish.post_id),
                text=publish.title,
                media=list(publish.media_urls) or [f"upload:{publish.upload_id}"],
                media_type=publish.media_type,
                published_at=publish.job.ready_at,
                product_type="DIRECT_POST" if publish.mode == "direct" else "INBOX",
                extra={
                    "publish_id": publish.publish_id,
                    "privacy_level": publish.privacy_level,
                    "state": "published" if publish.mode == "direct" else "inbox",
                    "duration": detail.get("duration"),
                    "width": detail.get("width"),
                    "height": detail.get("height"),
                },
            )
        )
        return None

    # status / cancel ----------------------------------------------------------------------------------

    async def _owned_publish(self, request: Request, account: Account) -> TikTokPublish:
        body = await json_body(request)
        publish_id = (body or {}).get("publish_id")
        if not isinstance(publish_id, str) or not publish_id:
            raise tiktok_error(400, "invalid_publish_id", "publish_id is required.")
        publish = self.state.tiktok_publishes.get(publish_id)
        if publish is None:
            raise tiktok_error(400, "invalid_publish_id", "The publish_id does not exist.")
        if publish.account_id != account.id:
            raise tiktok_error(
                400,
                "token_not_authorized_for_specified_publish_id",
                "The access token is not authorized to access this publish_id.",
            )
        return publish

    async def status_fetch(self, request: Request) -> Response:
        token, account = self._auth(request, "video.upload", "video.publish")
        self._rate("status", token, self.state.limits.tiktok_status_per_minute)
        publish = await self._owned_publish(request, account)
        now = self.state.now()
        data: dict[str, Any] = {}
        job = publish.job
        if publish.source == "FILE_UPLOAD":
            data["uploaded_bytes"] = len(publish.received)
        else:
            data["downloaded_bytes"] = publish.downloaded_bytes
        if publish.cancelled:
            data.update(status="FAILED", fail_reason="publish_cancelled", publicaly_available_post_id=[])
        elif job is None or not job.finished(now):
            data["status"] = "PROCESSING_UPLOAD" if publish.source == "FILE_UPLOAD" else "PROCESSING_DOWNLOAD"
        elif job.error is not None:
            data.update(status="FAILED", fail_reason=job.error, publicaly_available_post_id=[])
        elif publish.mode == "inbox":
            data["status"] = "SEND_TO_USER_INBOX"
        else:
            # TikTok spells it publicaly_available_post_id; only posts visible to everyone pass public
            # moderation and get an id (get-video-status reference).
            public = publish.privacy_level == "PUBLIC_TO_EVERYONE" and publish.post_id is not None
            data.update(status="PUBLISH_COMPLETE", publicaly_available_post_id=[publish.post_id] if public else [])
        return tiktok_ok(data)

    async def cancel(self, request: Request) -> Response:
        _, account = self._auth(request, "video.upload", "video.publish")
        publish = await self._owned_publish(request, account)
        job = publish.job
        if publish.source != "PULL_FROM_URL" or (job is not None and job.finished(self.state.now())):
            raise tiktok_error(400, "publish_not_cancellable", "The publish task can no longer be cancelled.")
        publish.cancelled = True
        return tiktok_ok({})

    # Display API --------------------------------------------------------------------------------------

    def _fields(self, request: Request, allowed: set[str]) -> list[str]:
        raw = request.query_params.get("fields", "")
        fields = [f.strip() for f in raw.split(",") if f.strip()]
        if not fields:
            raise tiktok_error(400, "invalid_params", "The fields query parameter is required.")
        unknown = [f for f in fields if f not in allowed]
        if unknown:
            raise tiktok_error(400, "invalid_params", f"Invalid fields: {','.join(unknown)}")
        return fields

    async def user_info(self, request: Request) -> Response:
        token, account = self._auth(request, "user.info.basic")
        self._rate("user_info", token, self.state.limits.tiktok_read_per_minute)
        fields = self._fields(request, set(USER_FIELD_SCOPES))
        missing = sorted({USER_FIELD_SCOPES[f] for f in fields} - token.scopes)
        if missing:
            raise tiktok_error(401, "scope_not_authorized", f"The user did not authorize the scope {missing[0]}.")
        now = self.state.now()
        posts = [p for p in self.state.account_posts(account.id) if p.product_type == "DIRECT_POST"]
        likes = sum(
            post_metrics(self.state.config.seed, PLATFORM, p.remote_id, p.published_at, now)["likes"]
            for p in posts[-200:]
        )
        values: dict[str, Any] = {
            "open_id": account.remote_id,
            "union_id": f"union{account.remote_id}",
            "avatar_url": f"https://p16-sign.tiktokcdn.com/{account.remote_id}~c5_168x168.jpeg",
            "avatar_url_100": f"https://p16-sign.tiktokcdn.com/{account.remote_id}~c5_100x100.jpeg",
            "avatar_large_url": f"https://p16-sign.tiktokcdn.com/{account.remote_id}~c5_1080x1080.jpeg",
            "display_name": account.display_name,
            "bio_description": "",
            "profile_deep_link": f"https://vm.tiktok.com/{account.username}",
            "is_verified": False,
            "username": account.username,
            "follower_count": follower_count(
                self.state.config.seed,
                PLATFORM,
                account.remote_id,
                account.followers_base,
                account.created_at,
                now,
            ),
            "following_count": 100,
            "likes_count": likes,
            "video_count": len(posts),
        }
        return tiktok_ok({"user": {f: values[f] for f in fields}})

    def _video(self, post: Post, fields: list[str]) -> dict[str, Any]:
        metrics = post_metrics(self.state.config.seed, PLATFORM, post.remote_id, post.published_at, self.state.now())
        account = self.state.accounts[post.account_id]
        share = f"https://www.tiktok.com/@{account.username}/video/{post.remote_id}"
        values: dict[str, Any] = {
            "id": post.remote_id,
            "create_time": int(post.published_at),
            "cover_image_url": f"https://p16-sign.tiktokcdn.com/obj/{post.remote_id}.jpeg",
            "share_url": share,
            "video_description": post.text,
            "duration": int(post.extra.get("duration") or 0),
            "height": post.extra.get("height") or 0,
            "width": post.extra.get("width") or 0,
            "title": post.text,
            "embed_html": f'<blockquote class="tiktok-embed" cite="{share}"></blockquote>',
            "embed_link": f"https://www.tiktok.com/player/v1/{post.remote_id}",
            "like_count": metrics["likes"],
            "comment_count": metrics["comments"],
            "share_count": metrics["shares"],
            "view_count": metrics["views"],
        }
        return {f: values[f] for f in fields}

    def _listed(self, account: Account) -> list[Post]:
        return [
            p
            for p in self.state.account_posts(account.id)
            if p.product_type == "DIRECT_POST" and p.published_at <= self.state.now()
        ]

    async def video_list(self, request: Request) -> Response:
        token, account = self._auth(request, "video.list")
        self._rate("video_list", token, self.state.limits.tiktok_read_per_minute)
        fields = self._fields(request, VIDEO_FIELDS)
        body = await json_body(request)
        if body is None:
            raise tiktok_error(400, "invalid_params", "The request body is not valid JSON.")
        max_count = body.get("max_count", 10)
        if not isinstance(max_count, int) or not 1 <= max_count <= 20:
            raise tiktok_error(400, "invalid_params", "max_count must be between 1 and 20.")
        cursor = body.get("cursor")
        posts = sorted(self._listed(account), key=lambda p: p.published_at, reverse=True)
        if isinstance(cursor, int):
            posts = [p for p in posts if int(p.published_at * 1000) < cursor]
        page = posts[:max_count]
        next_cursor = int(page[-1].published_at * 1000) if page else (cursor or 0)
        return tiktok_ok(
            {
                "videos": [self._video(p, fields) for p in page],
                "cursor": next_cursor,
                "has_more": len(posts) > len(page),
            }
        )

    async def video_query(self, request: Request) -> Response:
        token, account = self._auth(request, "video.list")
        self._rate("video_query", token, self.state.limits.tiktok_read_per_minute)
        fields = self._fields(request, VIDEO_FIELDS)
        body = await json_body(request)
        ids = ((body or {}).get("filters") or {}).get("video_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 20:
            raise tiktok_error(400, "invalid_params", "filters.video_ids must list 1 to 20 video ids.")
        videos = []
        for video_id in ids:
            post = self.state.post(PLATFORM, str(video_id))
            # Ownership is verified: other creators' ids are silently left out (video-query reference).
            if post is not None and post.account_id == account.id and post.product_type == "DIRECT_POST":
                videos.append(self._video(post, fields))
        return tiktok_ok({"videos": videos})

    # OAuth --------------------------------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        app = self.state.apps.get(q.get("client_key", ""))
        redirect_uri = q.get("redirect_uri", "")
        if app is None or app.platform != PLATFORM:
            raise tiktok_oauth_error("invalid_client", "client_key is not registered.")
        if not app.redirect_allowed(redirect_uri):
            raise tiktok_oauth_error("invalid_request", "redirect_uri does not match a registered redirect URI.")
        state_param = q.get("state")
        if q.get("response_type") != "code":
            return redirect_with(redirect_uri, {"error": "unsupported_response_type", "state": state_param})
        requested = {s.strip() for s in q.get("scope", "").split(",") if s.strip()}
        if not requested or requested - KNOWN_SCOPES:
            return redirect_with(
                redirect_uri,
                {
                    "error": "invalid_scope",
                    "state": state_param,
                    "error_description": "Unknown or empty scope.",
                },
            )
        account, choice = authorizing_account(self.state, PLATFORM)
        if account is None or choice.get("decision") == "deny":
            return redirect_with(
                redirect_uri,
                {
                    "error": "access_denied",
                    "state": state_param,
                    "error_description": "The user denied the authorization.",
                },
            )
        if not app.audited and not account.is_test_user:
            return redirect_with(
                redirect_uri,
                {
                    "error": "unauthorized_client",
                    "state": state_param,
                    "error_description": "This app has not been audited; only its target (test) users can "
                    "authorize it.",
                },
            )
        granted = requested & set(choice.get("granted_scopes") or account.scopes)
        code = AuthCode(
            code=secrets.token_urlsafe(24) + "*0!",
            platform=PLATFORM,
            client_id=app.client_id,
            account_id=account.id,
            redirect_uri=redirect_uri,
            scopes=frozenset(granted),
            expires_at=self.state.now() + self.state.config.lifetimes.oauth_code_s,
            code_challenge=q.get("code_challenge"),
            code_challenge_method=q.get("code_challenge_method"),
        )
        self.state.codes[code.code] = code
        return redirect_with(
            redirect_uri, {"code": code.code, "scopes": ",".join(sorted(granted)), "state": state_param}
        )

    def _token_response(self, access: Token, refresh: Token) -> Response:
        account = self.state.accounts[access.account_id]
        now = self.state.now()
        return JSONBody(
            {
                "access_token": access.value,
                "expires_in": round((access.expires_at or now) - now),
                "open_id": account.remote_id,
                "refresh_expires_in": round((refresh.expires_at or now) - now),
                "refresh_token": refresh.value,
                "scope": ",".join(sorted(access.scopes)),
                "token_type": "Bearer",
            }
        )

    async def token(self, request: Request) -> Response:
        form = await request.form()
        app = self.state.apps.get(str(form.get("client_key", "")))
        if app is None or app.platform != PLATFORM or app.client_secret != form.get("client_secret"):
            raise tiktok_oauth_error("invalid_client", "Client key or secret is invalid.", 401)
        grant = form.get("grant_type")
        now = self.state.now()
        if grant == "authorization_code":
            with self.state.lock:
                code = self.state.codes.get(str(form.get("code", "")))
                if code is None or code.platform != PLATFORM or code.client_id != app.client_id:
                    raise tiktok_oauth_error("invalid_grant", "Authorization code is invalid.")
                if code.used or now >= code.expires_at:
                    raise tiktok_oauth_error("invalid_grant", "Authorization code is expired.")
                code.used = True
            if form.get("redirect_uri") != code.redirect_uri:
                raise tiktok_oauth_error("invalid_grant", "redirect_uri does not match the authorization request.")
            verifier = form.get("code_verifier")
            if not pkce_matches(
                str(verifier) if verifier else None,
                code.code_challenge,
                code.code_challenge_method,
                allow_hex=True,
            ):
                raise tiktok_oauth_error("invalid_grant", "code_verifier does not match the code_challenge.")
            account = self.state.accounts[code.account_id]
            access, refresh = self.state.issue_token_pair(account, client_id=app.client_id, scopes=code.scopes)
            assert refresh is not None
            return self._token_response(access, refresh)
        if grant == "refresh_token":
            with self.state.lock:
                old = self.state.token(str(form.get("refresh_token", "")))
                if (
                    old is None
                    or old.kind != "refresh"
                    or old.platform != PLATFORM
                    or old.revoked
                    or old.client_id != app.client_id
                    or old.expired(now)
                ):
                    raise tiktok_oauth_error("invalid_grant", "Refresh token is invalid or expired.")
                # Refresh tokens rotate: the one just used stops working (2026 revision of the token doc).
                old.revoked = True
            account = self.state.accounts[old.account_id]
            access, refresh = self.state.issue_token_pair(account, client_id=app.client_id, scopes=old.scopes)
            assert refresh is not None
            return self._token_response(access, refresh)
        raise tiktok_oauth_error("unsupported_grant_type", f"grant_type {grant!r} is not supported.")

    async def revoke(self, request: Request) -> Response:
        form = await request.form()
        app = self.state.apps.get(str(form.get("client_key", "")))
        if app is None or app.client_secret != form.get("client_secret"):
            raise tiktok_oauth_error("invalid_client", "Client key or secret is invalid.", 401)
        self.state.revoke(str(form.get("token", "")))
        return JSONBody({})

"""Instagram API with Facebook Login at graph.facebook.com/{version}, the Facebook login dialog and the
rupload host: pages -> IG business account, media containers (image, reels, stories, carousel, resumable
upload), media_publish with content_publishing_limit, media fields and insights.

Sources: https://developers.facebook.com/docs/instagram-platform/content-publishing and the instagram-graph-api
reference (ig-user/media, media_publish, content_publishing_limit, error-codes),
https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived.
"""

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.media.probe import MediaProbe
from azmth_sandbox.common import bearer
from azmth_sandbox.errors import JSONBody, meta_error, meta_object_missing
from azmth_sandbox.media import FetchFailed
from azmth_sandbox.meta import MetaGraph, graph_time, requested_fields, unsupported_metric
from azmth_sandbox.metrics import follower_count, post_metrics
from azmth_sandbox.state import Account, Container, Post, Token

PLATFORM = "instagram"
IMAGE_MAX_BYTES = 8 * 1024 * 1024
FORMAT_ERROR = "Error: Media upload has failed with error code 2207026"
DOWNLOAD_ERROR = "Error: Media download has failed with error code 2207052"

MEDIA_FIELDS = {
    "id",
    "caption",
    "media_type",
    "media_product_type",
    "permalink",
    "timestamp",
    "like_count",
    "comments_count",
    "media_url",
    "thumbnail_url",
    "username",
    "shortcode",
    "owner",
    "is_comment_enabled",
}
USER_FIELDS = {
    "id",
    "username",
    "name",
    "followers_count",
    "follows_count",
    "media_count",
    "profile_picture_url",
    "biography",
    "website",
}
# Current media insights per product type (instagram-media/insights); the deprecated ones are refused.
INSIGHTS: dict[str, list[str]] = {
    "FEED": [
        "views",
        "reach",
        "likes",
        "comments",
        "shares",
        "saved",
        "total_interactions",
        "follows",
        "profile_visits",
        "profile_activity",
    ],
    "REELS": [
        "views",
        "reach",
        "likes",
        "comments",
        "shares",
        "saved",
        "total_interactions",
        "ig_reels_avg_watch_time",
        "ig_reels_video_view_total_time",
    ],
    "STORY": [
        "views",
        "reach",
        "shares",
        "total_interactions",
        "follows",
        "profile_visits",
        "navigation",
        "replies",
    ],
}
INSIGHT_TEXT = {
    "views": ("Views", "Total number of times the media was played or displayed."),
    "reach": ("Accounts reached", "The number of unique accounts that have seen the media."),
    "likes": ("Likes", "The number of likes on the media."),
    "comments": ("Comments", "The number of comments on the media."),
    "shares": ("Shares", "The number of shares of the media."),
    "saved": ("Saved", "The number of saves of the media."),
    "total_interactions": (
        "Interactions",
        "Likes, saves, comments and shares, minus unlikes, unsaves and deleted comments.",
    ),
}


def _bool(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1")


class InstagramApi(MetaGraph):
    platform = PLATFORM
    publish_scope = "instagram_content_publish"
    insights_scope = "instagram_manage_insights"
    token_prefix = "EAA"
    redirect_refused = "Can't load URL: The domain of this URL isn't included in the app's domains."
    denial = {
        "error": "access_denied",
        "error_code": "200",
        "error_description": "Permissions error",
        "error_reason": "user_denied",
    }

    def routes(self) -> dict[str, list[BaseRoute]]:
        r = self.route
        return {
            "/instagram/{version}": [
                r("oauth", "/oauth/access_token", self.access_token, ["GET", "POST"]),
                r("account", "/me/accounts", self.me_accounts, ["GET"]),
                r("publish", "/{node}/media", self.create_container, ["POST"]),
                r("metrics", "/{node}/media", self.list_media, ["GET"]),
                r("publish", "/{node}/media_publish", self.media_publish, ["POST"]),
                r("publish", "/{node}/content_publishing_limit", self.publishing_limit, ["GET"]),
                r("metrics", "/{node}/insights", self.insights, ["GET"]),
                r("status", "/{node}", self.node, ["GET"]),
            ],
            "/facebook/{version}": [r("oauth", "/dialog/oauth", self.dialog, ["GET"])],
            "/rupload": [r("upload", "/ig-api-upload/{version}/{container_id}", self.rupload, ["POST"])],
        }

    def quota_total(self) -> int | None:
        return self.state.limits.instagram_quota_total

    def default_processing_error(self) -> str:
        return FORMAT_ERROR

    def _ig_user(self, account: Account, node: str, *, method: str = "GET") -> None:
        if node not in (account.remote_id, "me") or not account.has_ig_business_account:
            raise meta_object_missing(node, method=method)

    # account discovery ---------------------------------------------------------------------------------

    def _page_token(self, account: Account) -> Token:
        # Page tokens fetched with a long-lived user token do not expire (unconfirmed; facebook-login get-long-lived).
        token = self.state.token(account.page_token)
        if token is None:
            token = self.state.issue_token(account, lifetime_s=None, kind="page", prefix="EAAP")
            account.page_token = token.value
        return token

    async def me_accounts(self, request: Request) -> Response:
        params, token, account = await self.authenticated(request)
        self.require_scope(token, "pages_show_list")
        fields = requested_fields(params, "id,name,access_token,category,tasks")
        page: dict[str, Any] = {
            "id": account.page_id,
            "name": f"{account.display_name} Page",
            "access_token": self._page_token(account).value,
            "category": "Musician/Band",
            "tasks": ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"],
        }
        if account.has_ig_business_account:
            page["instagram_business_account"] = {"id": account.remote_id}
        row = {k: v for k, v in page.items() if k in fields or k == "id"}
        return self.ok({"data": [row], "paging": {"cursors": {"before": "QVFI", "after": "QVFI"}}}, account)

    async def node(self, request: Request) -> Response:
        params, _, account = await self.authenticated(request)
        node = request.path_params["node"]
        fields = requested_fields(params)
        if node == "me" or node == account.fb_user_id:
            me = {"id": account.fb_user_id, "name": account.display_name}
            return self.ok({k: v for k, v in me.items() if k in fields or k == "id"}, account)
        if node == account.page_id:
            page: dict[str, Any] = {"id": account.page_id, "name": f"{account.display_name} Page"}
            if account.has_ig_business_account:
                # Missing key = no linked IG account (graph-api/reference/page, instagram_business_account).
                page["instagram_business_account"] = {"id": account.remote_id}
            return self.ok({k: v for k, v in page.items() if k in fields or k == "id"}, account)
        if node == account.remote_id and account.has_ig_business_account:
            return self.ok(self._user_fields(account, fields), account)
        container = self.state.containers.get(node)
        if container is not None and container.platform == PLATFORM and container.account_id == account.id:
            return self.ok(self._container_fields(container, fields), account)
        post = self.state.post(PLATFORM, node)
        if post is not None and post.account_id == account.id:
            return self.ok(self.media_fields(post, fields), account)
        raise meta_object_missing(node)

    def _user_fields(self, account: Account, fields: list[str]) -> dict[str, Any]:
        unknown = [f for f in fields if f not in USER_FIELDS]
        if unknown:
            raise meta_error(100, f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type (IGUser)")
        now = self.state.now()
        values = {
            "id": account.remote_id,
            "username": account.username,
            "name": account.display_name,
            "followers_count": follower_count(
                self.state.config.seed,
                PLATFORM,
                account.remote_id,
                account.followers_base,
                account.created_at,
                now,
            ),
            "follows_count": 150,
            "media_count": len(self.state.account_posts(account.id)),
            "profile_picture_url": f"https://scontent.cdninstagram.com/{account.remote_id}.jpg",
            "biography": "",
            "website": "",
        }
        return {f: values[f] for f in fields} | {"id": values["id"]}

    def _container_fields(self, container: Container, fields: list[str]) -> dict[str, Any]:
        status_code, error = self.container_status(container)
        values: dict[str, Any] = {
            "id": container.id,
            "status_code": status_code,
            "status": error if status_code == "ERROR" else status_code.capitalize().replace("_", " "),
        }
        if "video_status" in fields:
            values["video_status"] = {
                "uploading_phase": {
                    "status": "complete" if container.uploaded_bytes or not container.upload_uri else "not_started",
                    "bytes_transferred": container.uploaded_bytes,
                },
                "processing_phase": {"status": "complete" if status_code == "FINISHED" else "in_progress"},
            }
        return {f: values[f] for f in fields if f in values} | {"id": container.id}

    def media_fields(self, post: Post, fields: list[str]) -> dict[str, Any]:
        unknown = [f for f in fields if f not in MEDIA_FIELDS]
        if unknown:
            raise meta_error(100, f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type (IGMedia)")
        account = self.state.accounts[post.account_id]
        metrics = post_metrics(self.state.config.seed, PLATFORM, post.remote_id, post.published_at, self.state.now())
        shortcode = post.extra.get("shortcode", post.remote_id)
        kind = "reel" if post.product_type == "REELS" else "p"
        values: dict[str, Any] = {
            "id": post.remote_id,
            "caption": post.text,
            "media_type": post.media_type,
            "media_product_type": post.product_type,
            "permalink": f"https://www.instagram.com/{kind}/{shortcode}/",
            "timestamp": graph_time(post.published_at),
            "like_count": metrics["likes"],
            "comments_count": metrics["comments"],
            "media_url": f"https://scontent.cdninstagram.com/v/{post.remote_id}",
            "thumbnail_url": f"https://scontent.cdninstagram.com/t/{post.remote_id}.jpg",
            "username": account.username,
            "shortcode": shortcode,
            "owner": {"id": account.remote_id},
            "is_comment_enabled": True,
        }
        return {f: values[f] for f in fields} | {"id": values["id"]}

    async def list_media(self, request: Request) -> Response:
        params, _, account = await self.authenticated(request)
        self._ig_user(account, request.path_params["node"])
        posts = [p for p in reversed(self.state.account_posts(account.id)) if p.product_type != "STORY"]
        return self.media_page(request, account, params, posts)

    # containers -------------------------------------------------------------------------------------------

    async def create_container(self, request: Request) -> Response:
        params, token, account = await self.authenticated(request)
        self._ig_user(account, request.path_params["node"], method="POST")
        self.require_scope(token, self.publish_scope)
        media_type = (params.get("media_type") or "").upper()
        is_child = _bool(params.get("is_carousel_item"))
        if media_type not in ("", "IMAGE", "REELS", "STORIES", "CAROUSEL", "VIDEO") or (
            media_type == "VIDEO" and not is_child
        ):
            # Feed VIDEO was retired in Nov 2023: VIDEO is for carousel children only.
            raise meta_error(
                100,
                "The media type is not supported.",
                subcode=2207023,
                user_title="Unknown media type",
                user_msg="The media type entered is not one of the expected media types.",
            )
        caption = params.get("caption") or ""
        self._check_caption(caption)
        verdict = self.state.windows.hit(
            "instagram:containers",
            account.id,
            self.state.limits.instagram_containers_per_day,
            86400,
            self.state.now(),
        )
        if not verdict.allowed:
            raise meta_error(
                9,
                "(#9) Application request limit reached: too many containers in 24 hours.",
                is_transient=True,
            )
        image_url = params.get("image_url")
        video_url = params.get("video_url")
        resumable = params.get("upload_type") == "resumable"
        if media_type == "CAROUSEL":
            return self.carousel_answer(account, params, text=caption, max_items=10)
        if media_type in ("REELS", "VIDEO") or (media_type == "STORIES" and (video_url or resumable)):
            if not video_url and not resumable:
                raise meta_error(100, "(#100) The parameter video_url is required")
            container = self.new_container(
                account,
                media_type=media_type,
                text=caption,
                media_urls=[video_url] if video_url else [],
                children=[],
                params=params,
            )
            if resumable:
                base = str(request.base_url).rstrip("/")
                container.upload_uri = f"{base}/rupload/ig-api-upload/{request.path_params['version']}/{container.id}"
                return self.ok({"id": container.id, "uri": container.upload_uri}, account)
            self.process(container, lambda: self._fetch_and_check_video(container, video_url or ""))
            return self.ok({"id": container.id}, account)
        if not image_url:
            raise meta_error(100, "(#100) The parameter image_url is required")
        await self._check_image(image_url, feed=media_type != "STORIES")
        container = self.new_container(
            account,
            media_type=media_type or "IMAGE",
            text=caption,
            media_urls=[image_url],
            children=[],
            params=params,
        )

        async def image_ready() -> str | None:
            return None

        self.process(container, image_ready)
        return self.ok({"id": container.id}, account)

    def _check_caption(self, caption: str) -> None:
        if len(caption) > 2200:
            raise meta_error(
                36004,
                "The caption is too long.",
                subcode=2207010,
                user_title="Caption too long",
                user_msg="The caption exceeds the maximum 2,200 characters.",
            )
        if caption.count("#") > 30:
            raise meta_error(
                100,
                "The caption has more than 30 hashtags.",
                subcode=2207010,
                user_title="Too many hashtags",
                user_msg="The caption may contain at most 30 hashtags.",
            )
        if len(re.findall(r"(?<![\w@])@\w", caption)) > 20:
            raise meta_error(
                100,
                "The caption has more than 20 @ tags.",
                subcode=2207040,
                user_title="Too many tags",
                user_msg="The caption may mention at most 20 accounts.",
            )

    async def _check_image(self, url: str, *, feed: bool) -> None:
        """Images are fetched and checked while the create call waits: errors come back on that call."""
        try:
            data = await self.state.fetcher.fetch(url)
        except FetchFailed as exc:
            raise meta_error(
                9004,
                "Only photo or video can be accepted as media type.",
                subcode=2207052,
                user_title="Media download failed",
                user_msg="The media could not be fetched from this URI.",
            ) from exc
        if len(data) > IMAGE_MAX_BYTES:
            raise meta_error(
                36000,
                "The image is too large.",
                subcode=2207004,
                user_title="Image is too large",
                user_msg="The image file size exceeds the maximum of 8 MiB.",
            )
        try:
            probe = await self.state.fetcher.probe(data)
        except MediaError:
            probe = None
        # JPEG only; MPO/JPS are refused too (ig-user/media reference).
        if probe is None or probe.kind != "image" or probe.container != "jpeg":
            raise meta_error(
                36001,
                "The image format is not supported.",
                subcode=2207005,
                user_title="Unsupported image format",
                user_msg="The image format is not supported. Only JPEG is supported.",
            )
        if feed and not 0.8 - 1e-3 <= probe.aspect <= 1.91 + 1e-3:
            raise meta_error(
                36003,
                "The aspect ratio is not supported.",
                subcode=2207009,
                user_title="Aspect ratio not supported",
                user_msg="The submitted image with aspect ratio "
                f"('{probe.width}', '{probe.height}') cannot be published. Please submit "
                "an image with a valid aspect ratio.",
            )

    async def _fetch_and_check_video(self, container: Container, url: str) -> str | None:
        try:
            data = await self.state.fetcher.fetch(url)
        except FetchFailed:
            return DOWNLOAD_ERROR
        return await self._check_video(container, data)

    async def _check_video(self, container: Container, data: bytes) -> str | None:
        try:
            probe = await self.state.fetcher.probe(data)
        except MediaError:
            return FORMAT_ERROR
        return self._video_problem(probe, story=container.media_type == "STORIES")

    @staticmethod
    def _video_problem(probe: MediaProbe, *, story: bool) -> str | None:
        """Reels/stories spec (instagram-graph-api/reference/ig-user/media); any miss is subcode 2207026."""
        duration = probe.duration_s or 0
        max_duration, max_bytes, min_ratio = (60, 100 * 1024**2, 0.1) if story else (900, 300 * 1024**2, 0.01)
        problems = [
            probe.kind != "video",
            probe.container not in ("mp4", "mov", "m4v"),
            probe.video_codec not in ("h264", "hevc"),
            probe.audio_codec not in (None, "aac"),
            probe.fps is not None and not 23 <= probe.fps <= 60,
            probe.width > 1920,
            not min_ratio <= probe.aspect <= 10,
            not 3 <= duration <= max_duration,
            probe.bytes > max_bytes,
        ]
        return FORMAT_ERROR if any(problems) else None

    async def rupload(self, request: Request) -> Response:
        self.check_version(request)
        token = self.state.token(bearer(request, "oauth"))
        container = self.state.containers.get(request.path_params["container_id"])
        if token is None or token.revoked or token.expired(self.state.now()) or token.platform != PLATFORM:
            return JSONBody(
                {
                    "debug_info": {
                        "retriable": False,
                        "type": "AuthorizationError",
                        "message": "Invalid OAuth access token.",
                    }
                },
                401,
            )
        if container is None or container.account_id != token.account_id or container.upload_uri is None:
            return JSONBody(
                {
                    "debug_info": {
                        "retriable": False,
                        "type": "NotFoundError",
                        "message": "No upload session for this container.",
                    }
                },
                404,
            )
        file_url = request.headers.get("file_url")
        if file_url:
            container.media_urls = [file_url]
            container.uploaded_bytes = 1
            self.process(container, lambda: self._fetch_and_check_video(container, file_url))
            return JSONBody({"success": True, "message": "Upload successful."})
        try:
            offset = int(request.headers.get("offset", "0"))
            size = int(request.headers["file_size"])
        except (KeyError, ValueError):
            return JSONBody(
                {
                    "debug_info": {
                        "retriable": False,
                        "type": "ProcessingFailedError",
                        "message": "Missing or invalid offset / file_size header.",
                    }
                },
                400,
            )
        body = await request.body()
        if offset != container.uploaded_bytes or offset + len(body) > size:
            return JSONBody(
                {
                    "debug_info": {
                        "retriable": False,
                        "type": "ProcessingFailedError",
                        "message": f"Offset mismatch: expected {container.uploaded_bytes}.",
                    }
                },
                400,
            )
        buffer = container.params.setdefault("_upload", bytearray())
        buffer.extend(body)
        container.uploaded_bytes = len(buffer)
        if container.uploaded_bytes == size:
            data = bytes(buffer)
            container.params.pop("_upload")
            container.media_urls = [f"rupload:{container.id}"]
            self.process(container, lambda: self._check_video(container, data))
        return JSONBody({"success": True, "message": "Upload successful."})

    # publishing -----------------------------------------------------------------------------------------

    async def media_publish(self, request: Request) -> Response:
        params, token, account = await self.authenticated(request)
        self._ig_user(account, request.path_params["node"], method="POST")
        self.require_scope(token, self.publish_scope)
        container = self.container_to_publish(account, params)
        if container.is_carousel_item:
            raise meta_error(100, "(#100) Carousel items cannot be published on their own.")
        self.check_publishable(container)
        self.check_quota(account)
        product = {"REELS": "REELS", "STORIES": "STORY"}.get(container.media_type, "FEED")
        media_type = {"CAROUSEL": "CAROUSEL_ALBUM", "REELS": "VIDEO"}.get(container.media_type, "IMAGE")
        if container.media_type == "STORIES" and container.params.get("video_url") is not None:
            media_type = "VIDEO"
        post = self.publish(account, container, media_type=media_type, product_type=product)
        return self.ok({"id": post.remote_id}, account)

    async def publishing_limit(self, request: Request) -> Response:
        params, _, account = await self.authenticated(request)
        self._ig_user(account, request.path_params["node"])
        fields = requested_fields(params, "quota_usage")
        return self.ok({"data": [self.quota_payload(account, fields)]}, account)

    async def insights(self, request: Request) -> Response:
        params, token, account = await self.authenticated(request)
        node = request.path_params["node"]
        self.require_scope(token, self.insights_scope)
        names = self.metric_names(params)
        if node == account.remote_id:
            return self.ok({"data": self._account_insights(account, names)}, account)
        post = self.own_post(account, node)
        if post.extra.get("before_business_conversion"):
            # Insights cover only media posted after the account became a professional one (media insights doc).
            raise meta_error(100, "Media Posted Before Business Account Conversion", subcode=2108006)
        self.check_metrics(names, INSIGHTS.get(post.product_type, INSIGHTS["FEED"]))
        m = post_metrics(self.state.config.seed, PLATFORM, post.remote_id, post.published_at, self.state.now())
        values = {
            "views": m["views"],
            "reach": m["reach"],
            "likes": m["likes"],
            "comments": m["comments"],
            "shares": m["shares"],
            "saved": m["saves"],
            "total_interactions": m["likes"] + m["comments"] + m["shares"] + m["saves"],
            "follows": m["follows"],
            "profile_visits": m["profile_visits"],
            "profile_activity": m["profile_visits"],
            "ig_reels_avg_watch_time": 4000 + m["views"] % 5000,
            "ig_reels_video_view_total_time": m["views"] * 6500,
            "navigation": m["views"] // 2,
            "replies": m["comments"],
        }
        rows = []
        for name in names:
            title, description = INSIGHT_TEXT.get(name, (name, name))
            rows.append(self.insight_row(post.remote_id, name, values[name], title, description))
        return self.ok({"data": rows}, account)

    def _account_insights(self, account: Account, names: list[str]) -> list[dict[str, Any]]:
        now = self.state.now()
        totals = {
            "views": 0,
            "reach": 0,
            "total_interactions": 0,
            "likes": 0,
            "comments": 0,
            "shares": 0,
            "saves": 0,
        }
        for post in self.state.account_posts(account.id):
            if now - post.published_at <= 86400:
                m = post_metrics(self.state.config.seed, PLATFORM, post.remote_id, post.published_at, now)
                for key in totals:
                    if key == "total_interactions":
                        totals[key] += m["likes"] + m["comments"] + m["shares"] + m["saves"]
                    else:
                        totals[key] += m[key]
        rows = []
        for name in names:
            if name not in totals:
                raise unsupported_metric(name, sorted(totals))
            rows.append(
                {
                    "name": name,
                    "period": "day",
                    "title": name,
                    "description": name,
                    "total_value": {"value": totals[name]},
                    "id": f"{account.remote_id}/insights/{name}/day",
                }
            )
        return rows

    # Facebook Login ---------------------------------------------------------------------------------------

    async def access_token(self, request: Request) -> Response:
        self.check_version(request)
        params = await self.params(request)
        app = self.state.apps.get(params.get("client_id", ""))
        if app is None or app.platform != PLATFORM:
            raise meta_error(101, "Error validating application. Invalid application ID.")
        if params.get("client_secret") != app.client_secret:
            raise meta_error(1, "Error validating client secret.")
        lifetimes = self.state.config.lifetimes
        if params.get("grant_type") == "fb_exchange_token":
            short = self.state.token(params.get("fb_exchange_token"))
            now = self.state.now()
            if short is None or short.platform != PLATFORM or short.revoked or short.expired(now):
                # Expired tokens cannot be exchanged (get-long-lived).
                raise meta_error(190, "Error validating access token: Session has expired.", subcode=463)
            return self.long_lived_answer(short, client_id=app.client_id)
        code, account = self.redeem_code(app, params)
        token = self.state.issue_token(
            account,
            client_id=app.client_id,
            scopes=code.scopes,
            lifetime_s=lifetimes.meta_short_lived_s,
            prefix=self.token_prefix,
        )
        return JSONBody(
            {"access_token": token.value, "token_type": "bearer", "expires_in": lifetimes.meta_short_lived_s}
        )

"""Threads at graph.threads.net (v1.0) and threads.net: OAuth (code, th_exchange_token, th_refresh_token),
containers (TEXT, IMAGE, VIDEO, CAROUSEL) that process then publish against the 250/24 h quota, media
fields and insights, user insights.

Sources: https://developers.facebook.com/docs/threads/get-started (tokens, long-lived-tokens), https://developers.facebook.com/docs/threads/posts,
https://developers.facebook.com/docs/threads/insights.
"""

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from azmth_pipelines.media.errors import MediaError
from azmth_sandbox.common import form_or_query
from azmth_sandbox.errors import JSONBody, meta_error, meta_object_missing
from azmth_sandbox.media import FetchFailed
from azmth_sandbox.meta import MetaGraph, graph_time, requested_fields
from azmth_sandbox.metrics import follower_count, post_metrics
from azmth_sandbox.state import Account, Container, Post

PLATFORM = "threads"
TEXT_LIMIT = 500
MEDIA_INSIGHTS = ["views", "likes", "replies", "reposts", "quotes", "shares"]
USER_INSIGHTS = ["views", "likes", "replies", "reposts", "quotes", "clicks", "followers_count"]
MEDIA_FIELDS = {
    "id",
    "media_product_type",
    "media_type",
    "media_url",
    "permalink",
    "owner",
    "username",
    "text",
    "timestamp",
    "shortcode",
    "thumbnail_url",
    "is_quote_post",
    "children",
}
USER_FIELDS = {"id", "username", "name", "threads_profile_picture_url", "threads_biography"}
KNOWN_SCOPES = frozenset(
    {
        "threads_basic",
        "threads_content_publish",
        "threads_manage_insights",
        "threads_read_replies",
        "threads_manage_replies",
    }
)


def text_length(text: str) -> int:
    """Characters, except that emoji count by their UTF-8 bytes (threads/create-posts)."""
    return sum(len(ch.encode()) if ord(ch) > 0xFFFF or 0x2600 <= ord(ch) <= 0x27BF else 1 for ch in text)


class ThreadsApi(MetaGraph):
    platform = PLATFORM
    publish_scope = "threads_content_publish"
    insights_scope = "threads_manage_insights"
    basic_scope = "threads_basic"
    token_prefix = "THQ"
    redirect_refused = "Redirect URI is not whitelisted in the app's settings."
    denial = {"error": "access_denied", "error_reason": "user_denied", "error_description": "Permissions error"}
    known_scopes = KNOWN_SCOPES

    def routes(self) -> dict[str, list[BaseRoute]]:
        r = self.route
        return {
            "/threads": [
                r("oauth", "/oauth/access_token", self.code_exchange, ["POST", "GET"]),
                r("oauth", "/access_token", self.long_lived, ["GET"]),
                r("oauth", "/refresh_access_token", self.refresh, ["GET"]),
                r("publish", "/{version}/{node}/threads", self.create_container, ["POST"]),
                r("metrics", "/{version}/{node}/threads", self.list_threads, ["GET"]),
                r("publish", "/{version}/{node}/threads_publish", self.threads_publish, ["POST"]),
                r("publish", "/{version}/{node}/threads_publishing_limit", self.publishing_limit, ["GET"]),
                r("metrics", "/{version}/{node}/threads_insights", self.user_insights, ["GET"]),
                r("metrics", "/{version}/{node}/insights", self.media_insights, ["GET"]),
                r("status", "/{version}/{node}", self.node, ["GET"]),
            ],
            "/threads-www": [r("oauth", "/oauth/authorize", self.dialog, ["GET"])],
        }

    def quota_total(self) -> int | None:
        return self.state.limits.threads_quota_total

    def default_processing_error(self) -> str:
        return "UNKNOWN"

    def _own_user(self, account: Account, node: str, *, method: str = "GET") -> None:
        if node not in ("me", account.remote_id):
            raise meta_object_missing(node, method=method)

    # reads ----------------------------------------------------------------------------------------------

    async def node(self, request: Request) -> Response:
        params, _, account = await self.authenticated(request)
        node = request.path_params["node"]
        fields = requested_fields(params)
        if node in ("me", account.remote_id):
            values = {
                "id": account.remote_id,
                "username": account.username,
                "name": account.display_name,
                "threads_profile_picture_url": f"https://scontent.cdninstagram.com/{account.remote_id}.jpg",
                "threads_biography": "",
            }
            return self.ok({f: values[f] for f in fields if f in values}, account)
        container = self.state.containers.get(node)
        if container is not None and container.platform == PLATFORM and container.account_id == account.id:
            status, error = self.container_status(container)
            values = {"id": container.id, "status": status}
            if status == "ERROR":
                values["error_message"] = error or "UNKNOWN"
            return self.ok({f: values[f] for f in fields if f in values} | {"id": container.id}, account)
        post = self.state.post(PLATFORM, node)
        if post is not None and post.account_id == account.id:
            return self.ok(self.media_fields(post, fields), account)
        raise meta_object_missing(node)

    def media_fields(self, post: Post, fields: list[str]) -> dict[str, Any]:
        unknown = [f for f in fields if f not in MEDIA_FIELDS]
        if unknown:
            raise meta_error(100, f"(#100) Tried accessing nonexisting field ({unknown[0]})")
        account = self.state.accounts[post.account_id]
        shortcode = post.extra.get("shortcode", post.remote_id)
        values: dict[str, Any] = {
            "id": post.remote_id,
            "media_product_type": "THREADS",
            "media_type": post.media_type,
            "media_url": post.media[0] if post.media else None,
            "permalink": f"https://www.threads.net/@{account.username}/post/{shortcode}",
            "owner": {"id": account.remote_id},
            "username": account.username,
            "text": post.text,
            "timestamp": graph_time(post.published_at),
            "shortcode": shortcode,
            "thumbnail_url": None,
            "is_quote_post": False,
            "children": {"data": [{"id": c} for c in post.extra.get("children", [])]},
        }
        return {f: values[f] for f in fields} | {"id": values["id"]}

    async def list_threads(self, request: Request) -> Response:
        params, _, account = await self.authenticated(request)
        self._own_user(account, request.path_params["node"])
        return self.media_page(request, account, params, list(reversed(self.state.account_posts(account.id))))

    # containers ---------------------------------------------------------------------------------------------

    async def create_container(self, request: Request) -> Response:
        params, token, account = await self.authenticated(request)
        self._own_user(account, request.path_params["node"], method="POST")
        self.require_scope(token, self.publish_scope)
        media_type = (params.get("media_type") or "").upper()
        text = params.get("text") or ""
        if media_type not in ("TEXT", "IMAGE", "VIDEO", "CAROUSEL"):
            raise meta_error(100, "(#100) Param media_type must be one of {TEXT, IMAGE, VIDEO, CAROUSEL}")
        if text_length(text) > TEXT_LIMIT:
            raise meta_error(
                100,
                f"(#100) Param text must be at most {TEXT_LIMIT} characters long.",
                user_title="Text too long",
                user_msg=f"Posts are limited to {TEXT_LIMIT} characters.",
            )
        if media_type == "TEXT" and not text:
            raise meta_error(100, "(#100) Param text is required for TEXT posts")
        if media_type == "CAROUSEL":
            return self.carousel_answer(account, params, text=text, max_items=20)
        url = params.get("image_url") if media_type == "IMAGE" else params.get("video_url")
        if media_type != "TEXT" and not url:
            field = "image_url" if media_type == "IMAGE" else "video_url"
            raise meta_error(100, f"(#100) Param {field} is required for {media_type} posts")
        container = self.new_container(
            account,
            media_type=media_type,
            text=text,
            media_urls=[url] if url else [],
            children=[],
            params=params,
        )
        self.process(container, lambda: self._fetch_and_check(container))
        return self.ok({"id": container.id}, account)

    async def _fetch_and_check(self, container: Container) -> str | None:
        if container.media_type == "TEXT":
            return None
        video = container.media_type == "VIDEO"
        try:
            data = await self.state.fetcher.fetch(container.media_urls[0])
        except FetchFailed:
            return "FAILED_DOWNLOADING_VIDEO" if video else "UNKNOWN"
        try:
            probe = await self.state.fetcher.probe(data)
        except MediaError:
            return "FAILED_PROCESSING_VIDEO" if video else "UNKNOWN"
        if not video:
            ok = probe.kind == "image" and probe.container in ("jpeg", "png") and probe.bytes <= 8 * 1024**2
            if not ok:
                return "UNKNOWN"
            return None if 0.1 <= probe.aspect <= 10 else "INVALID_ASPEC_RATIO"
        if probe.kind != "video" or probe.container not in ("mp4", "mov", "m4v") or probe.bytes > 1024**3:
            return "FAILED_PROCESSING_VIDEO"
        if probe.video_codec not in ("h264", "hevc"):
            return "FAILED_PROCESSING_VIDEO"
        if probe.audio_codec not in (None, "aac"):
            return "FAILED_PROCESSING_AUDIO"
        if probe.fps is not None and not 23 <= probe.fps <= 60:
            return "INVALID_FRAME_RATE"
        if probe.width > 1920 or not 0.01 <= probe.aspect <= 10:
            # Threads spells it INVALID_ASPEC_RATIO (threads/troubleshooting).
            return "INVALID_ASPEC_RATIO"
        if not 0 < (probe.duration_s or 0) <= 300:
            return "INVALID_DURATION"
        return None

    async def threads_publish(self, request: Request) -> Response:
        params, token, account = await self.authenticated(request)
        self._own_user(account, request.path_params["node"], method="POST")
        self.require_scope(token, self.publish_scope)
        container = self.container_to_publish(account, params)
        self.check_publishable(container)
        self.check_quota(account)
        media_type = {"TEXT": "TEXT_POST", "CAROUSEL": "CAROUSEL_ALBUM"}.get(container.media_type, container.media_type)
        post = self.publish(account, container, media_type=media_type, product_type="THREADS")
        post.extra["children"] = list(container.children)
        return self.ok({"id": post.remote_id}, account)

    async def publishing_limit(self, request: Request) -> Response:
        params, _, account = await self.authenticated(request)
        self._own_user(account, request.path_params["node"])
        fields = requested_fields(params, "quota_usage,config")
        row = self.quota_payload(account, fields)
        reply_total = self.state.limits.threads_reply_quota_total
        if "reply_quota_usage" in fields:
            row["reply_quota_usage"] = 0
        if "reply_config" in fields:
            row["reply_config"] = {"quota_total": reply_total or 1_000_000, "quota_duration": 86400}
        return self.ok({"data": [row]}, account)

    # insights ---------------------------------------------------------------------------------------------

    async def media_insights(self, request: Request) -> Response:
        params, token, account = await self.authenticated(request)
        self.require_scope(token, self.insights_scope)
        post = self.own_post(account, request.path_params["node"])
        names = self.metric_names(params)
        self.check_metrics(names, MEDIA_INSIGHTS)
        m = post_metrics(self.state.config.seed, PLATFORM, post.remote_id, post.published_at, self.state.now())
        values = {
            "views": m["views"],
            "likes": m["likes"],
            "replies": m["comments"],
            "reposts": m["reposts"],
            "quotes": m["quotes"],
            "shares": m["shares"],
        }
        rows = [self.insight_row(post.remote_id, n, values[n], n, f"The number of {n} on your post.") for n in names]
        return self.ok({"data": rows}, account)

    async def user_insights(self, request: Request) -> Response:
        params, token, account = await self.authenticated(request)
        self.require_scope(token, self.insights_scope)
        self._own_user(account, request.path_params["node"])
        names = self.metric_names(params)
        self.check_metrics(names, USER_INSIGHTS)
        now = self.state.now()
        seed = self.state.config.seed
        totals = {"views": 0, "likes": 0, "replies": 0, "reposts": 0, "quotes": 0, "clicks": 0}
        for post in self.state.account_posts(account.id):
            m = post_metrics(seed, PLATFORM, post.remote_id, post.published_at, now)
            totals["views"] += m["profile_visits"]
            totals["likes"] += m["likes"]
            totals["replies"] += m["comments"]
            totals["reposts"] += m["reposts"]
            totals["quotes"] += m["quotes"]
            totals["clicks"] += m["link_clicks"]
        rows = []
        for name in names:
            row: dict[str, Any] = {
                "name": name,
                "period": "day",
                "title": name,
                "description": name,
                "id": f"{account.remote_id}/insights/{name}/day",
            }
            if name == "views":
                # Profile views come per day with end_time; the others as one total_value.
                row["values"] = [{"value": totals["views"], "end_time": graph_time(now)}]
            elif name == "followers_count":
                row["total_value"] = {
                    "value": follower_count(
                        seed, PLATFORM, account.remote_id, account.followers_base, account.created_at, now
                    )
                }
            else:
                row["total_value"] = {"value": totals[name]}
            rows.append(row)
        return self.ok({"data": rows}, account)

    # OAuth ------------------------------------------------------------------------------------------------

    async def code_exchange(self, request: Request) -> Response:
        params = await form_or_query(request)
        app = self.state.apps.get(params.get("client_id", ""))
        if app is None or app.platform != PLATFORM or params.get("client_secret") != app.client_secret:
            raise meta_error(101, "Error validating application. Invalid application ID.")
        if params.get("grant_type") == "client_credentials":
            return JSONBody({"access_token": f"TH|{app.client_id}|{secrets.token_urlsafe(16)}", "token_type": "bearer"})
        if params.get("grant_type") != "authorization_code":
            raise meta_error(100, "(#100) Unsupported grant_type")
        code, account = self.redeem_code(app, params)
        token = self.state.issue_token(
            account,
            client_id=app.client_id,
            scopes=code.scopes,
            lifetime_s=self.state.config.lifetimes.threads_short_lived_s,
            prefix=self.token_prefix,
        )
        # user_id is a JSON number here, unlike every other Meta id (the code exchange in
        # threads/get-started/get-access-tokens-and-permissions).
        return JSONBody({"access_token": token.value, "user_id": int(account.remote_id)})

    def _token_param(self, request: Request, grant: str) -> Any:
        q = request.query_params
        if q.get("grant_type") != grant:
            raise meta_error(100, f"(#100) grant_type must be {grant}")
        token = self.state.token(q.get("access_token"))
        now = self.state.now()
        if token is None or token.platform != PLATFORM or token.revoked:
            raise meta_error(190, "Invalid OAuth access token - Cannot parse access token")
        if token.expired(now):
            raise meta_error(190, "Error validating access token: Session has expired.", subcode=463)
        return token

    async def long_lived(self, request: Request) -> Response:
        token = self._token_param(request, "th_exchange_token")
        app = self.state.apps.get(token.client_id)
        if app is None or request.query_params.get("client_secret") != app.client_secret:
            raise meta_error(1, "Error validating client secret.")
        return self.long_lived_answer(token, client_id=token.client_id)

    async def refresh(self, request: Request) -> Response:
        token = self._token_param(request, "th_refresh_token")
        if not token.long_lived or self.state.now() - token.issued_at < 86400:
            # Only long-lived tokens at least 24 h old can be refreshed (get-started/long-lived-tokens).
            raise meta_error(
                190,
                "Error validating access token: the token must be long-lived and at least "
                "24 hours old to be refreshed.",
            )
        return self.long_lived_answer(token, client_id=token.client_id)

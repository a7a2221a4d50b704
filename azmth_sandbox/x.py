"""X API v2 at api.x.com and x.com: OAuth 2.0 with PKCE, chunked media upload (initialize / append /
finalize / STATUS, plus the simple and legacy command forms), POST /2/tweets, tweet lookups with partial
errors, post text as X rewrites it (t.co links, HTML escapes), users/me, per-user 15-minute rate limits with
x-rate-limit-* headers, and access tiers.

Sources: https://docs.x.com (fundamentals/authentication/oauth-2-0/authorization-code, x-api/media, x-api/posts,
x-api/fundamentals/rate-limits, x-api/fundamentals/response-codes-and-errors, x-api/getting-started/pricing).
"""

import base64
import hashlib
import secrets
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from twitter_text import extract_urls_with_indices, parse_tweet

from azmth_pipelines.media.errors import MediaError
from azmth_sandbox.common import (
    authorizing_account,
    bearer,
    json_body,
    new_job,
    pkce_matches,
    post_cursor,
    posts_after,
    redirect_with,
    start_job,
)
from azmth_sandbox.errors import JSONBody, x_oauth_error, x_problem, x_rate_limited, x_unauthorized
from azmth_sandbox.meta import graph_time
from azmth_sandbox.metrics import follower_count, post_metrics
from azmth_sandbox.routing import endpoint
from azmth_sandbox.state import Account, AuthCode, Post, SandboxState, Token, XMedia

PLATFORM = "x"
WINDOW = 900.0
TIMELINE_REACH = 3200
KNOWN_SCOPES = {
    "tweet.read",
    "tweet.write",
    "tweet.moderate.write",
    "users.read",
    "users.email",
    "follows.read",
    "follows.write",
    "offline.access",
    "space.read",
    "mute.read",
    "mute.write",
    "like.read",
    "like.write",
    "list.read",
    "list.write",
    "block.read",
    "block.write",
    "bookmark.read",
    "bookmark.write",
    "dm.read",
    "dm.write",
    "media.write",
}
# Tiers whose access includes reading posts; "free" is write-only (legacy tiers,
# https://docs.x.com/x-api/getting-started/pricing).
READ_TIERS = {"basic", "pro", "enterprise", "pay_per_use"}
CATEGORIES = {
    "tweet_image": ("3", 5 * 1024**2),
    "tweet_gif": ("16", 15 * 1024**2),
    "tweet_video": ("7", 8 * 1024**3),
    "amplify_video": ("13", 8 * 1024**3),
    "dm_image": ("3", 5 * 1024**2),
    "dm_gif": ("16", 15 * 1024**2),
    "dm_video": ("7", 8 * 1024**3),
    "subtitles": ("3", 1024**2),
}
CLIENT_FORBIDDEN = {
    "title": "Client Forbidden",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
    "reason": "client-not-enrolled",
    "required_enrollment": "Appropriate Level of API Access",
    "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from "
    "a Twitter developer App that is attached to a Project. You can create a project via the developer "
    "portal.",
    "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
}


def _not_found(value: str, parameter: str = "ids") -> dict[str, Any]:
    return {
        "value": value,
        "detail": f"Could not find tweet with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": parameter,
        "resource_id": value,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def _csv(value: str | None) -> set[str]:
    return {v.strip() for v in (value or "").split(",") if v.strip()}


def shown_text(post: Post) -> str:
    """A post's `text` as the API returns it, not as it was typed: every URL wrapped in a t.co link (counting
    characters, t.co link wrapper), a post with media ending with the media's own t.co link, and &, < and >
    HTML-escaped (&amp; &lt; &gt;), as v2 answers show them."""
    text = post.text
    urls = extract_urls_with_indices(text)
    for index, url in reversed(list(enumerate(urls))):
        start, end = url["indices"]
        text = text[:start] + _tco_link(post.remote_id, str(index)) + text[end:]
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if post.media:
        text = f"{text} {_tco_link(post.remote_id, 'media')}".lstrip()
    return text


def _tco_link(tweet_id: str, which: str) -> str:
    # Stable per tweet and link, so every read of a post shows the same links.
    return "https://t.co/" + hashlib.sha256(f"{tweet_id}/{which}".encode()).hexdigest()[:10]


class XApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def routes(self) -> dict[str, list[BaseRoute]]:
        s = self.state

        def r(group: str, path: str, handler: Any, methods: list[str]) -> BaseRoute:
            return endpoint(s, PLATFORM, group, path, handler, methods)

        return {
            "/x": [
                r("oauth", "/2/oauth2/token", self.token, ["POST"]),
                r("oauth", "/2/oauth2/revoke", self.revoke, ["POST"]),
                r("publish", "/2/tweets", self.create_tweet, ["POST"]),
                r("metrics", "/2/tweets", self.lookup_tweets, ["GET"]),
                r("metrics", "/2/tweets/{tweet_id}", self.lookup_tweet, ["GET"]),
                r("publish", "/2/tweets/{tweet_id}", self.delete_tweet, ["DELETE"]),
                r("account", "/2/users/me", self.users_me, ["GET"]),
                r("metrics", "/2/users/{user_id}/tweets", self.user_tweets, ["GET"]),
                r("upload", "/2/media/upload/initialize", self.media_initialize, ["POST"]),
                r("upload", "/2/media/upload/{media_id}/append", self.media_append, ["POST"]),
                r("upload", "/2/media/upload/{media_id}/finalize", self.media_finalize, ["POST"]),
                r("status", "/2/media/upload", self.media_status, ["GET"]),
                r("upload", "/2/media/upload", self.media_upload_form, ["POST"]),
            ],
            "/x-www": [r("oauth", "/i/oauth2/authorize", self.authorize, ["GET"])],
        }

    # auth and limits --------------------------------------------------------------------------------------

    def _auth(self, request: Request, *scopes: str) -> tuple[Token, Account]:
        token = self.state.token(bearer(request))
        if token is None or token.platform != PLATFORM or token.kind != "access" or token.revoked:
            raise x_unauthorized()
        if token.expired(self.state.now()):
            raise x_unauthorized()
        missing = [s for s in scopes if s not in token.scopes]
        if missing:
            raise x_problem(403, "Forbidden", f"Missing required OAuth 2.0 scope(s): {', '.join(missing)}.")
        return token, self.state.accounts[token.account_id]

    def _limit(self, name: str, account: Account, limit: int | None) -> dict[str, str]:
        verdict = self.state.windows.hit(f"x:{name}", account.id, limit, WINDOW, self.state.now())
        if limit is None:
            return {}
        headers = {
            "x-rate-limit-limit": str(verdict.limit),
            "x-rate-limit-remaining": str(verdict.remaining),
            "x-rate-limit-reset": str(int(verdict.reset_at)),
        }
        if not verdict.allowed:
            raise x_rate_limited(self.state.limits.x_rate_limit_body, headers)
        return headers

    def _can_read(self, account: Account) -> None:
        if account.tier not in READ_TIERS:
            raise x_problem(
                403,
                CLIENT_FORBIDDEN["title"],
                CLIENT_FORBIDDEN["detail"],
                problem="client-forbidden",
                type=CLIENT_FORBIDDEN["type"],
                reason=CLIENT_FORBIDDEN["reason"],
                required_enrollment=CLIENT_FORBIDDEN["required_enrollment"],
                registration_url=CLIENT_FORBIDDEN["registration_url"],
            )

    # posts ------------------------------------------------------------------------------------------------

    async def create_tweet(self, request: Request) -> Response:
        _, account = self._auth(request, "tweet.write", "tweet.read", "users.read")
        headers = self._limit("create_tweet", account, self.state.limits.x_create_tweets_per_15min)
        body = await json_body(request)
        if body is None:
            raise x_problem(
                400,
                "Invalid Request",
                "One or more parameters to your request was invalid.",
                problem="invalid-request",
            )
        text = body.get("text")
        media = body.get("media") or {}
        media_ids = media.get("media_ids") if isinstance(media, dict) else None
        if text is not None and not isinstance(text, str):
            raise self._invalid({"text": [str(text)]}, "text must be a string")
        if not text and not media_ids and not body.get("poll") and not body.get("quote_tweet_id"):
            raise self._invalid({"text": [""]}, "Text or media must be provided.")
        if text:
            parsed = parse_tweet(text)
            # 280 weighted characters; URLs count 23 (fundamentals/counting-characters, twitter-text config).
            if parsed.weightedLength > 280:
                raise x_problem(
                    403,
                    "Forbidden",
                    "Your Tweet text is too long. For help with formatting Tweets, "
                    "please see https://help.twitter.com/en/using-twitter/how-to-tweet",
                    headers=headers,
                )
        exclusive = [k for k in ("media", "poll", "quote_tweet_id", "card_uri") if body.get(k)]
        if len(exclusive) > 1:
            raise self._invalid(
                {k: [str(body[k])] for k in exclusive},
                "media, poll, quote_tweet_id and card_uri are mutually exclusive.",
            )
        attached = self._attachments(account, media_ids) if media_ids else []
        if text and self._is_duplicate(account, text):
            raise x_problem(
                403,
                "Forbidden",
                "You are not allowed to create a Tweet with duplicate content.",
                headers=headers,
            )
        tweet_id = self.state.new_id(PLATFORM)
        if text:
            self.state.x_recent_texts[(account.id, text)] = (self.state.now(), tweet_id)
        post = Post(
            platform=PLATFORM,
            account_id=account.id,
            remote_id=tweet_id,
            text=text or "",
            media=[m.id for m in attached],
            media_type=attached[0].media_type if attached else "text",
            published_at=self.state.now(),
            product_type="tweet",
            extra={
                "media_keys": [self._media_key(m) for m in attached],
                "reply_to": (body.get("reply") or {}).get("in_reply_to_tweet_id"),
            },
        )
        self.state.record_post(post)
        return JSONBody(
            {"data": {"id": tweet_id, "text": shown_text(post), "edit_history_tweet_ids": [tweet_id]}}, 201, headers
        )

    def _invalid(self, parameters: dict[str, list[str]], message: str) -> Exception:
        return x_problem(
            400,
            "Invalid Request",
            "One or more parameters to your request was invalid.",
            problem="invalid-request",
            errors=[{"parameters": parameters, "message": message}],
        )

    def _is_duplicate(self, account: Account, text: str) -> bool:
        previous = self.state.x_recent_texts.get((account.id, text))
        return (
            previous is not None
            and self.state.now() - previous[0] < 86400
            and previous[1] not in self.state.x_deleted
            and self.state.post(PLATFORM, previous[1]) is not None
        )

    def _attachments(self, account: Account, media_ids: Any) -> list[XMedia]:
        if not isinstance(media_ids, list) or not media_ids:
            raise self._invalid({"media.media_ids": [str(media_ids)]}, "media_ids must be a non-empty list")
        found: list[XMedia] = []
        now = self.state.now()
        for media_id in media_ids:
            media = self.state.x_media.get(str(media_id))
            usable = (
                media is not None
                and media.account_id == account.id
                and media.finalized
                and now < media.created_at + media.expires_after_secs
                and (media.job is None or (media.job.finished(now) and media.job.error is None))
            )
            if not usable:
                raise self._invalid({"media.media_ids": [str(media_id)]}, "Your media IDs are invalid.")
            assert media is not None
            found.append(media)
        videos = [m for m in found if m.media_type.startswith("video") or m.media_type == "image/gif"]
        if (videos and len(found) > 1) or len(found) > 4:
            raise self._invalid(
                {"media.media_ids": [str(i) for i in media_ids]},
                "Up to 4 images, or one video or GIF, per post.",
            )
        return found

    @staticmethod
    def _media_key(media: XMedia) -> str:
        return f"{CATEGORIES.get(media.category, ('3', 0))[0]}_{media.id}"

    async def delete_tweet(self, request: Request) -> Response:
        _, account = self._auth(request, "tweet.write", "tweet.read", "users.read")
        post = self.state.post(PLATFORM, request.path_params["tweet_id"])
        if post is None or post.account_id != account.id:
            raise x_problem(403, "Forbidden", "You are not authorized to delete this Tweet.")
        self.state.x_deleted.add(post.remote_id)
        return JSONBody({"data": {"deleted": True}})

    def _tweet(self, post: Post, fields: set[str], account: Account, errors: list[dict[str, Any]]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": post.remote_id,
            "text": shown_text(post),
            "edit_history_tweet_ids": [post.remote_id],
        }
        now = self.state.now()
        m = post_metrics(self.state.config.seed, PLATFORM, post.remote_id, post.published_at, now)
        if "created_at" in fields:
            data["created_at"] = graph_time(post.published_at).replace("+0000", ".000Z")
        if "author_id" in fields:
            data["author_id"] = self.state.accounts[post.account_id].remote_id
        if post.extra.get("media_keys") and "attachments" in fields | {"attachments"}:
            data["attachments"] = {"media_keys": post.extra["media_keys"]}
        if "public_metrics" in fields:
            data["public_metrics"] = {
                "retweet_count": m["reposts"],
                "reply_count": m["comments"],
                "like_count": m["likes"],
                "quote_count": m["quotes"],
                "bookmark_count": m["bookmarks"],
                "impression_count": m["views"],
            }
        private = fields & {"non_public_metrics", "organic_metrics"}
        owned_recent = post.account_id == account.id and now - post.published_at < 30 * 86400
        for field in sorted(private):
            if not owned_recent:
                # Non-public metrics: owned posts under 30 days old only (fundamentals/metrics).
                errors.append(
                    {
                        "value": field,
                        "detail": f"Sorry, you are not authorized to access '{field}' on a Tweet.",
                        "title": "Field Authorization Error",
                        "resource_type": "tweet",
                        "parameter": field,
                        "resource_id": post.remote_id,
                        "type": "https://api.twitter.com/2/problems/not-authorized-for-field",
                    }
                )
            elif field == "non_public_metrics":
                data[field] = {
                    "impression_count": m["views"],
                    "url_link_clicks": m["link_clicks"],
                    "user_profile_clicks": m["profile_visits"],
                    "engagements": m["likes"] + m["comments"] + m["reposts"] + m["link_clicks"],
                }
            else:
                data[field] = {
                    "impression_count": m["views"],
                    "like_count": m["likes"],
                    "reply_count": m["comments"],
                    "retweet_count": m["reposts"],
                    "url_link_clicks": m["link_clicks"],
                    "user_profile_clicks": m["profile_visits"],
                }
        return data

    def _includes(self, posts: list[Post], request: Request) -> dict[str, Any]:
        if "attachments.media_keys" not in _csv(request.query_params.get("expansions")):
            return {}
        media_fields = _csv(request.query_params.get("media.fields"))
        media = []
        for post in posts:
            for key in post.extra.get("media_keys", []):
                item: dict[str, Any] = {
                    "media_key": key,
                    "type": "video" if key.startswith(("7_", "13_")) else "photo",
                }
                if "public_metrics" in media_fields and item["type"] == "video":
                    m = post_metrics(
                        self.state.config.seed, PLATFORM, post.remote_id, post.published_at, self.state.now()
                    )
                    item["public_metrics"] = {"view_count": m["views"]}
                media.append(item)
        return {"includes": {"media": media}} if media else {}

    async def lookup_tweets(self, request: Request) -> Response:
        _, account = self._auth(request, "tweet.read", "users.read")
        self._can_read(account)
        headers = self._limit("lookup", account, self.state.limits.x_tweet_lookup_per_15min)
        ids = [i for i in (request.query_params.get("ids") or "").split(",") if i.strip()]
        if not 1 <= len(ids) <= 100:
            raise x_problem(
                400,
                "Invalid Request",
                "The `ids` query parameter value [] is not between 1 and 100",
                problem="invalid-request",
                headers=headers,
            )
        fields = _csv(request.query_params.get("tweet.fields"))
        data: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        found: list[Post] = []
        for tweet_id in ids:
            post = self.state.post(PLATFORM, tweet_id.strip())
            if post is None or post.remote_id in self.state.x_deleted:
                errors.append(_not_found(tweet_id.strip()))
                continue
            found.append(post)
            data.append(self._tweet(post, fields, account, errors))
        # Missing ids are partial errors inside a 200 (fundamentals/response-codes-and-errors).
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        body.update(self._includes(found, request))
        if errors:
            body["errors"] = errors
        return JSONBody(body, 200, headers)

    async def user_tweets(self, request: Request) -> Response:
        """GET /2/users/:id/tweets: the user's most recent posts, newest first (x-api/posts/timelines)."""
        _, account = self._auth(request, "tweet.read", "users.read")
        self._can_read(account)
        headers = self._limit("timeline", account, self.state.limits.x_tweet_lookup_per_15min)
        try:
            max_results = int(request.query_params.get("max_results") or 10)
        except ValueError:
            max_results = -1
        if not 5 <= max_results <= 100:
            raise self._invalid({"max_results": [str(max_results)]}, "max_results must be between 5 and 100")
        excluded = _csv(request.query_params.get("exclude"))
        if excluded - {"retweets", "replies"}:
            raise self._invalid({"exclude": sorted(excluded)}, "exclude must be retweets and/or replies")
        owner = self.state.account_by_remote(PLATFORM, request.path_params["user_id"])
        fields = _csv(request.query_params.get("tweet.fields"))
        errors: list[dict[str, Any]] = []
        with self.state.lock:
            mine = [
                p
                for p in self.state.post_order
                if owner is not None
                and p.platform == PLATFORM
                and p.account_id == owner.id
                and p.remote_id not in self.state.x_deleted
            ]
        # Only the latest 3,200 posts are reachable through the timeline (x-api/posts/timelines).
        reachable = list(reversed(mine))[:TIMELINE_REACH]
        rest = posts_after(reachable, request.query_params.get("pagination_token"))
        page = rest[:max_results]
        data = [self._tweet(post, fields, account, errors) for post in page]
        meta: dict[str, Any] = {"result_count": len(data)}
        if data:
            meta |= {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"]}
        if len(rest) > max_results:
            meta["next_token"] = post_cursor(page[-1])
        if request.query_params.get("pagination_token") and data:
            meta["previous_token"] = post_cursor(page[0])
        body: dict[str, Any] = {"meta": meta}
        if data:
            body["data"] = data
            body.update(self._includes(page, request))
        return JSONBody(body, 200, headers)

    async def lookup_tweet(self, request: Request) -> Response:
        _, account = self._auth(request, "tweet.read", "users.read")
        self._can_read(account)
        headers = self._limit("lookup_one", account, self.state.limits.x_tweet_lookup_per_15min)
        tweet_id = request.path_params["tweet_id"]
        post = self.state.post(PLATFORM, tweet_id)
        if post is None or post.remote_id in self.state.x_deleted:
            return JSONBody({"errors": [_not_found(tweet_id, "id")]}, 200, headers)
        errors: list[dict[str, Any]] = []
        body: dict[str, Any] = {
            "data": self._tweet(post, _csv(request.query_params.get("tweet.fields")), account, errors)
        }
        body.update(self._includes([post], request))
        if errors:
            body["errors"] = errors
        return JSONBody(body, 200, headers)

    async def users_me(self, request: Request) -> Response:
        _, account = self._auth(request, "users.read", "tweet.read")
        headers = self._limit("users_me", account, self.state.limits.x_users_me_per_15min)
        fields = _csv(request.query_params.get("user.fields"))
        data: dict[str, Any] = {
            "id": account.remote_id,
            "name": account.display_name,
            "username": account.username,
        }
        if "public_metrics" in fields:
            posts = self.state.account_posts(account.id)
            data["public_metrics"] = {
                "followers_count": follower_count(
                    self.state.config.seed,
                    PLATFORM,
                    account.remote_id,
                    account.followers_base,
                    account.created_at,
                    self.state.now(),
                ),
                "following_count": 310,
                "tweet_count": len(posts),
                "listed_count": 4,
                "like_count": 120,
                "media_count": sum(1 for p in posts if p.media),
            }
        if "created_at" in fields:
            data["created_at"] = graph_time(account.created_at).replace("+0000", ".000Z")
        if "verified" in fields:
            data["verified"] = False
        if "description" in fields:
            data["description"] = ""
        return JSONBody({"data": data}, 200, headers)

    # media upload ---------------------------------------------------------------------------------------

    async def media_initialize(self, request: Request) -> Response:
        _, account = self._auth(request, "media.write")
        headers = self._limit("media", account, self.state.limits.x_media_upload_per_15min)
        body = await json_body(request)
        if body is None:
            raise self._invalid({"body": ["<invalid json>"]}, "Request body must be JSON.")
        return self._initialize(account, body, headers)

    def _initialize(self, account: Account, body: dict[str, Any], headers: dict[str, str]) -> Response:
        media_type = str(body.get("media_type") or "")
        default_category = "tweet_video" if media_type.startswith("video") else "tweet_image"
        category = str(body.get("media_category") or default_category)
        try:
            total = int(body.get("total_bytes") or 0)
        except (TypeError, ValueError):
            total = 0
        if category not in CATEGORIES:
            raise self._invalid({"media_category": [category]}, "media_category is not supported.")
        if not media_type or total <= 0:
            raise self._invalid(
                {"total_bytes": [str(body.get("total_bytes"))]},
                "media_type and a positive total_bytes are required.",
            )
        if total > CATEGORIES[category][1]:
            raise self._invalid({"total_bytes": [str(total)]}, f"File size exceeds the limit for {category}.")
        media = XMedia(
            id=self.state.new_id(PLATFORM),
            account_id=account.id,
            media_type=media_type,
            category=category,
            total_bytes=total,
            created_at=self.state.now(),
        )
        with self.state.lock:
            self.state.x_media[media.id] = media
        return JSONBody(
            {
                "data": {
                    "id": media.id,
                    "media_key": self._media_key(media),
                    "expires_after_secs": media.expires_after_secs,
                }
            },
            200,
            headers,
        )

    def _own_media(self, account: Account, media_id: str) -> XMedia:
        media = self.state.x_media.get(media_id)
        if media is None or media.account_id != account.id:
            raise x_problem(
                404,
                "Not Found Error",
                f"Could not find media with id: [{media_id}].",
                problem="resource-not-found",
            )
        return media

    async def media_append(self, request: Request) -> Response:
        _, account = self._auth(request, "media.write")
        headers = self._limit("media", account, self.state.limits.x_media_upload_per_15min)
        media = self._own_media(account, request.path_params["media_id"])
        return await self._append(media, await request.form(), headers)

    async def _append(self, media: XMedia, form: Any, headers: dict[str, str]) -> Response:
        if media.finalized:
            raise self._invalid({"media_id": [media.id]}, "Media is already finalized.")
        try:
            index = int(form.get("segment_index"))
        except (TypeError, ValueError):
            raise self._invalid(
                {"segment_index": [str(form.get("segment_index"))]}, "segment_index is required."
            ) from None
        chunk = form.get("media")
        if isinstance(chunk, UploadFile):
            data = await chunk.read()
        elif isinstance(form.get("media_data"), str):
            data = base64.b64decode(form["media_data"])
        else:
            raise self._invalid({"media": ["<missing>"]}, "The media part is required.")
        if not 0 <= index <= 999:
            raise self._invalid({"segment_index": [str(index)]}, "segment_index must be between 0 and 999.")
        media.segments[index] = data
        return JSONBody({"data": {"expires_at": int(media.created_at + media.expires_after_secs)}}, 200, headers)

    async def media_finalize(self, request: Request) -> Response:
        _, account = self._auth(request, "media.write")
        headers = self._limit("media", account, self.state.limits.x_media_upload_per_15min)
        media = self._own_media(account, request.path_params["media_id"])
        return await self._finalize(media, headers)

    async def _finalize(self, media: XMedia, headers: dict[str, str]) -> Response:
        indexes = sorted(media.segments)
        if indexes != list(range(len(indexes))):
            raise self._invalid({"segment_index": [str(i) for i in indexes]}, "Segments must be contiguous from 0.")
        data = b"".join(media.segments[i] for i in indexes)
        if len(data) != media.total_bytes:
            raise self._invalid(
                {"total_bytes": [str(media.total_bytes)]},
                "Segments do not add up to the provided total file size.",
            )
        body: dict[str, Any] = {
            "id": media.id,
            "media_key": self._media_key(media),
            "size": len(data),
            "expires_after_secs": media.expires_after_secs,
        }
        media.segments = {}
        if media.category.endswith("image"):
            # Images need no processing: checked here and usable at once (media/introduction).
            try:
                probe = await self.state.fetcher.probe(data)
            except MediaError:
                probe = None
            if probe is None or probe.kind != "image" or probe.container not in ("jpeg", "png", "webp", "gif"):
                raise self._invalid({"media": [media.id]}, "media type unrecognized.")
            media.finalized = True
            body["image"] = {"image_type": f"image/{probe.container}", "w": probe.width, "h": probe.height}
            return JSONBody({"data": body}, 200, headers)
        media.finalized = True
        media.job = new_job(self.state)
        forced = self.state.faults.take_processing_error(PLATFORM)

        async def check() -> str | None:
            if forced is not None:
                return forced or "InvalidMedia"
            try:
                probe = await self.state.fetcher.probe(data)
            except MediaError:
                return "Unsupported video format"
            if probe.kind != "video" or probe.video_codec != "h264":
                return "Unsupported video codec: use H.264 with AAC audio"
            if not 0.5 <= (probe.duration_s or 0) <= 1200:
                return "Video duration must be between 0.5 seconds and 20 minutes"
            if probe.fps is not None and probe.fps > 60:
                return "Video frame rate must be 60 fps or less"
            return None

        start_job(self.state, media.job, check)
        body["processing_info"] = {"state": "pending", "check_after_secs": 1}
        return JSONBody({"data": body}, 200, headers)

    async def media_status(self, request: Request) -> Response:
        _, account = self._auth(request, "media.write")
        q = request.query_params
        if q.get("command", "STATUS") != "STATUS":
            raise self._invalid({"command": [q.get("command", "")]}, "Only command=STATUS is supported on GET.")
        media = self._own_media(account, q.get("media_id", ""))
        body: dict[str, Any] = {"id": media.id, "media_key": self._media_key(media)}
        job = media.job
        if job is not None:
            now = self.state.now()
            if job.finished(now):
                info: dict[str, Any] = {
                    "state": "failed" if job.error else "succeeded",
                    "progress_percent": 100,
                }
                if job.error:
                    info["error"] = {"code": 1, "name": "InvalidMedia", "message": job.error}
            else:
                started = now >= media.created_at + (job.ready_at - media.created_at) / 2
                info = {
                    "state": "in_progress" if started else "pending",
                    "check_after_secs": 1,
                    "progress_percent": 50 if started else 0,
                }
            body["processing_info"] = info
        return JSONBody({"data": body})

    async def media_upload_form(self, request: Request) -> Response:
        """The simple (image) upload and the legacy command=INIT|APPEND|FINALIZE form on /2/media/upload."""
        _, account = self._auth(request, "media.write")
        headers = self._limit("media", account, self.state.limits.x_media_upload_per_15min)
        form = await request.form()
        command = str(form.get("command") or request.query_params.get("command") or "")
        if command == "INIT":
            return self._initialize(account, dict(form), headers)
        if command in ("APPEND", "FINALIZE"):
            media = self._own_media(account, str(form.get("media_id") or ""))
            if command == "APPEND":
                return await self._append(media, form, headers)
            return await self._finalize(media, headers)
        chunk = form.get("media")
        if not isinstance(chunk, UploadFile):
            raise self._invalid({"media": ["<missing>"]}, "The media part is required.")
        data = await chunk.read()
        category = str(form.get("media_category") or "tweet_image")
        media = XMedia(
            id=self.state.new_id(PLATFORM),
            account_id=account.id,
            media_type=chunk.content_type or "image/jpeg",
            category=category,
            total_bytes=len(data),
            created_at=self.state.now(),
            segments={0: data},
        )
        if not category.endswith("image") or len(data) > CATEGORIES["tweet_image"][1]:
            raise self._invalid({"media_category": [category]}, "Simple upload is for images up to 5 MB.")
        with self.state.lock:
            self.state.x_media[media.id] = media
        return await self._finalize(media, headers)

    # OAuth ------------------------------------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        app = self.state.apps.get(q.get("client_id", ""))
        redirect_uri = q.get("redirect_uri", "")
        if app is None or app.platform != PLATFORM or not app.redirect_allowed(redirect_uri):
            # X shows an error page, not a redirect, for an unknown client or callback.
            return JSONBody(
                {
                    "error": "invalid_request",
                    "error_description": "Something went wrong: you weren't able to give access to the App.",
                },
                400,
            )
        state_param = q.get("state")
        challenge = q.get("code_challenge")
        method = q.get("code_challenge_method", "plain")
        if (
            q.get("response_type") != "code"
            or not state_param
            or len(state_param) > 500
            or not challenge
            or method not in ("S256", "plain")
        ):
            return redirect_with(redirect_uri, {"error": "invalid_request", "state": state_param})
        requested = {s for s in q.get("scope", "").split(" ") if s}
        if not requested or requested - KNOWN_SCOPES:
            return redirect_with(redirect_uri, {"error": "invalid_scope", "state": state_param})
        account, choice = authorizing_account(self.state, PLATFORM)
        if account is None or choice.get("decision") == "deny":
            return redirect_with(redirect_uri, {"error": "access_denied", "state": state_param})
        granted = requested & set(choice.get("granted_scopes") or account.scopes)
        code = AuthCode(
            code=secrets.token_urlsafe(48),
            platform=PLATFORM,
            client_id=app.client_id,
            account_id=account.id,
            redirect_uri=redirect_uri,
            scopes=frozenset(granted),
            expires_at=self.state.now() + self.state.config.lifetimes.x_oauth_code_s,
            code_challenge=challenge,
            code_challenge_method=method,
        )
        self.state.codes[code.code] = code
        return redirect_with(redirect_uri, {"state": state_param, "code": code.code})

    def _client(self, request: Request, form: Any) -> str:
        """Confidential clients authenticate with Basic auth; public clients send client_id in the form."""
        basic = bearer(request, "basic")
        if basic:
            try:
                client_id, _, secret = base64.b64decode(basic).decode().partition(":")
            except ValueError:
                raise x_oauth_error("unauthorized_client", "Missing valid authorization header", 401) from None
            app = self.state.apps.get(client_id)
            if app is None or app.platform != PLATFORM or app.client_secret != secret:
                raise x_oauth_error("unauthorized_client", "Missing valid authorization header", 401)
            return client_id
        client_id = str(form.get("client_id") or "")
        app = self.state.apps.get(client_id)
        if app is None or app.platform != PLATFORM:
            raise x_oauth_error("invalid_request", "Missing required parameter [client_id].")
        return client_id

    def _token_body(self, access: Token, refresh: Token | None) -> Response:
        now = self.state.now()
        body: dict[str, Any] = {
            "token_type": "bearer",
            "expires_in": round((access.expires_at or now) - now),
            "access_token": access.value,
            "scope": " ".join(sorted(access.scopes)),
        }
        if refresh is not None:
            body["refresh_token"] = refresh.value
        return JSONBody(body)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        client_id = self._client(request, form)
        grant = form.get("grant_type")
        now = self.state.now()
        if grant == "authorization_code":
            with self.state.lock:
                code = self.state.codes.get(str(form.get("code", "")))
                if (
                    code is None
                    or code.platform != PLATFORM
                    or code.client_id != client_id
                    or code.used
                    or now >= code.expires_at
                ):
                    raise x_oauth_error("invalid_request", "Value passed for the authorization code was invalid.")
                code.used = True
            if form.get("redirect_uri") != code.redirect_uri:
                raise x_oauth_error("invalid_request", "Value passed for the redirect uri did not match.")
            verifier = form.get("code_verifier")
            if not pkce_matches(
                str(verifier) if verifier else None,
                code.code_challenge,
                code.code_challenge_method,
                allow_hex=False,
            ):
                raise x_oauth_error("invalid_request", "Value passed for the code verifier did not match.")
            account = self.state.accounts[code.account_id]
            access, refresh = self.state.issue_token_pair(account, client_id=client_id, scopes=code.scopes)
            return self._token_body(access, refresh)
        if grant == "refresh_token":
            with self.state.lock:
                old = self.state.token(str(form.get("refresh_token", "")))
                if (
                    old is None
                    or old.kind != "refresh"
                    or old.platform != PLATFORM
                    or old.revoked
                    or old.client_id != client_id
                    or old.expired(now)
                ):
                    raise x_oauth_error("invalid_request", "Value passed for the token was invalid.")
                # Rotated in practice (UNCONFIRMED in the docs): the used refresh token stops working.
                old.revoked = True
            account = self.state.accounts[old.account_id]
            access, refresh = self.state.issue_token_pair(account, client_id=client_id, scopes=old.scopes)
            return self._token_body(access, refresh)
        raise x_oauth_error("invalid_request", "Missing required parameter [grant_type].")

    async def revoke(self, request: Request) -> Response:
        form = await request.form()
        self._client(request, form)
        self.state.revoke(str(form.get("token", "")))
        return JSONBody({"revoked": True})

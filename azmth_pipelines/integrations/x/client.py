"""X API v2: chunked media upload (dedicated endpoints), posting, and metrics reads.

Base URL AZMTH_X_API_URL (default https://api.x.com). The OAuth 2.0 user access token goes in the
Authorization header. Tweet-level reads never crash callers on an access tier that excludes them: they
return a `TweetsRead` whose `unavailable` says why.
"""

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from azmth_pipelines.integrations.common.budget import Hold
from azmth_pipelines.integrations.common.errors import NotAvailableOnTier, PermanentError, TransientError
from azmth_pipelines.integrations.common.hosts import Host, host_url
from azmth_pipelines.integrations.common.http import DEFAULT_TIMEOUT, UPLOAD_TIMEOUT, ApiResponse, PlatformClient
from azmth_pipelines.integrations.x.errors import PLATFORM, RateLimitState, problem_kind, x_error
from azmth_pipelines.integrations.x.models import (
    CreatedPost,
    MediaUpload,
    ReadError,
    TierUnavailable,
    TimelinePage,
    Tweet,
    TweetsRead,
    XUser,
)

T = TypeVar("T")

MAX_IDS_PER_READ = 100  # GET /2/tweets ids
# The v1.1 APPEND reference caps a chunk at 5 MB; the v2 endpoints kept the limit (413 above it).
DEFAULT_MEDIA_CHUNK_BYTES = 4 * 1024 * 1024
MAX_SEGMENTS = 1000  # segment_index 0-999
PUBLIC_TWEET_FIELDS = "created_at,public_metrics"
PRIVATE_TWEET_FIELDS = "created_at,public_metrics,non_public_metrics,organic_metrics"
SCOPE_TWEET_WRITE = "tweet.write"
SCOPE_MEDIA_WRITE = "media.write"
SCOPE_READ = "tweet.read"


class XClient(PlatformClient):
    platform = PLATFORM

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        upload_timeout: httpx.Timeout = UPLOAD_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        max_poll_interval_s: float = 30.0,
    ) -> None:
        super().__init__(base_url or host_url(Host.X_API), timeout=timeout, transport=transport)
        self.upload_timeout = upload_timeout
        self.max_poll_interval_s = max_poll_interval_s
        self.latest_rate_limit: RateLimitState | None = None

    async def _answer(
        self, token: str, method: str, path: str, *, timeout: httpx.Timeout | None = None, **kwargs: Any
    ) -> ApiResponse:
        answer = await self._send(
            method,
            path,
            headers={"Authorization": f"Bearer {token}"},
            secrets=(token,),
            timeout=timeout,
            **kwargs,
        )
        state = RateLimitState.from_headers(answer.headers)
        if state is not None:
            self.latest_rate_limit = state
        return answer

    def budget_holds(self, answer: ApiResponse) -> list[Hold]:
        """X's headers count every window the call falls under: the app's and the user's 24-hour caps (POST
        /2/tweets) and the endpoint's 15-minute window for this user. One at zero holds what it counts until its
        reset, for every worker (https://docs.x.com/x-api/fundamentals/rate-limits)."""
        now = time.time()
        holds = []
        for family, per, path in (
            ("x-app-limit-24hour", "app", ""),
            ("x-user-limit-24hour", "account", ""),
            ("x-rate-limit", "account", self.endpoint(answer.raw_url)),
        ):
            state = RateLimitState.from_headers(answer.headers, family)
            if state is not None and state.remaining == 0 and state.reset_at is not None:
                holds.append(Hold(per, max(1.0, state.reset_at - now), path))  # type: ignore[arg-type]
        return holds or super().budget_holds(answer)

    async def _call(
        self,
        token: str,
        method: str,
        path: str,
        *,
        parse: Callable[[Any], T],
        scope: str | None = None,
        errors_are_rows: bool = False,
        **kwargs: Any,
    ) -> T:
        answer = await self._answer(token, method, path, **kwargs)
        error = x_error(answer, required_scope=scope, secrets=(token,), errors_are_rows=errors_are_rows)
        if error is not None:
            raise error
        return self._parse(answer, parse, secrets=(token,))

    # --- Media upload: one call for a still image; initialize -> append* -> finalize -> (status) otherwise ---

    async def upload_image(self, token: str, image: Path, *, media_type: str) -> MediaUpload:
        """The simple upload (POST /2/media/upload, multipart `media`): one call, and one of the user's
        media-upload requests per 24 h instead of three. X allows it for images up to 5 MB only."""
        content = await asyncio.to_thread(image.read_bytes)
        if not content:
            raise ValueError(f"{image} is empty")
        return await self._call(
            token,
            "POST",
            "/2/media/upload",
            data={"media_category": "tweet_image", "media_type": media_type},
            files={"media": (image.name, content, media_type)},
            scope=SCOPE_MEDIA_WRITE,
            timeout=self.upload_timeout,
            parse=MediaUpload.from_json,
        )

    async def upload_media(
        self,
        token: str,
        media: Path,
        *,
        media_type: str,
        media_category: str,
        chunk_bytes: int = DEFAULT_MEDIA_CHUNK_BYTES,
    ) -> MediaUpload:
        """Upload a file with the dedicated v2 endpoints; check `.ready` / call `wait_for_media` after."""
        total_bytes = media.stat().st_size
        if total_bytes == 0:
            raise ValueError(f"{media} is empty")
        segments = -(-total_bytes // chunk_bytes)
        if segments > MAX_SEGMENTS:
            raise ValueError(f"{media} needs more than {MAX_SEGMENTS} segments of {chunk_bytes} B")
        init = await self._call(
            token,
            "POST",
            "/2/media/upload/initialize",
            json={"media_type": media_type, "total_bytes": total_bytes, "media_category": media_category},
            scope=SCOPE_MEDIA_WRITE,
            parse=MediaUpload.from_json,
        )
        for segment_index in range(segments):
            chunk = await asyncio.to_thread(_read_segment, media, segment_index * chunk_bytes, chunk_bytes)
            await self._call(
                token,
                "POST",
                f"/2/media/upload/{init.id}/append",
                data={"segment_index": str(segment_index)},
                files={"media": ("blob", chunk, "application/octet-stream")},
                scope=SCOPE_MEDIA_WRITE,
                timeout=self.upload_timeout,
                parse=lambda body: None,
            )
        return await self._call(
            token,
            "POST",
            f"/2/media/upload/{init.id}/finalize",
            scope=SCOPE_MEDIA_WRITE,
            parse=MediaUpload.from_json,
        )

    async def media_status(self, token: str, media_id: str) -> MediaUpload:
        return await self._call(
            token,
            "GET",
            "/2/media/upload",
            params={"command": "STATUS", "media_id": media_id},
            scope=SCOPE_MEDIA_WRITE,
            parse=MediaUpload.from_json,
        )

    async def wait_for_media(self, token: str, upload: MediaUpload, *, max_wait_s: float = 600.0) -> MediaUpload:
        """Poll STATUS as X asks (check_after_secs) until succeeded; failed media is a PermanentError."""
        deadline = time.monotonic() + max_wait_s
        while True:
            if upload.state == "failed":
                raise PermanentError(
                    f"X could not process media {upload.id}: {upload.error_message or 'no detail'}",
                    platform=PLATFORM,
                    code="media_processing_failed",
                    payload={"media_id": upload.id},
                )
            if upload.ready:
                return upload
            wait = min(float(upload.check_after_secs or 1), self.max_poll_interval_s)
            if time.monotonic() + wait > deadline:
                raise TransientError(
                    f"media {upload.id} still {upload.state} after {max_wait_s:.0f}s",
                    platform=PLATFORM,
                    payload={"media_id": upload.id, "state": upload.state},
                )
            await asyncio.sleep(wait)
            upload = await self.media_status(token, upload.id)

    # --- Posting --------------------------------------------------------------------------------

    async def create_post(
        self,
        token: str,
        text: str,
        *,
        media_ids: Sequence[str] = (),
        reply_to_id: str | None = None,
    ) -> CreatedPost:
        body: dict[str, Any] = {"text": text}
        if media_ids:
            body["media"] = {"media_ids": list(media_ids)}
        if reply_to_id:
            body["reply"] = {"in_reply_to_tweet_id": reply_to_id}
        return await self._call(
            token, "POST", "/2/tweets", json=body, scope=SCOPE_TWEET_WRITE, parse=CreatedPost.from_json
        )

    # --- Metrics --------------------------------------------------------------------------------

    async def me(self, token: str) -> XUser:
        return await self._call(
            token,
            "GET",
            "/2/users/me",
            params={"user.fields": "public_metrics"},
            scope="users.read",
            parse=XUser.from_json,
        )

    async def tweets(self, token: str, tweet_ids: Sequence[str], *, private_metrics: bool = False) -> TweetsRead:
        """Metrics of up to any number of posts (100 per request): the good rows plus per-id errors.

        With `private_metrics`, non_public/organic metrics are asked too; posts for which X refuses them
        (not owned, older than 30 days) are read again with public metrics only.
        """
        ids = list(dict.fromkeys(str(tweet_id) for tweet_id in tweet_ids))
        tweets: list[Tweet] = []
        errors: list[ReadError] = []
        for start in range(0, len(ids), MAX_IDS_PER_READ):
            batch = ids[start : start + MAX_IDS_PER_READ]
            try:
                got, failed = await self._read_tweets(token, batch, private_metrics)
            except NotAvailableOnTier as exc:
                return TweetsRead(tuple(tweets), tuple(errors), tier_unavailable(exc))
            tweets.extend(got)
            errors.extend(failed)
        return TweetsRead(tuple(tweets), tuple(errors))

    async def recent_posts(self, token: str, user_id: str, *, max_results: int = 100) -> TweetsRead:
        """The user's latest posts, newest first (GET /2/users/:id/tweets); `unavailable` on a tier without reads."""
        try:
            tweets, errors = await self._call(
                token,
                "GET",
                f"/2/users/{user_id}/tweets",
                params={"max_results": str(max(5, min(100, max_results))), "tweet.fields": "created_at"},
                scope=SCOPE_READ,
                errors_are_rows=True,
                parse=_tweets_and_errors,
            )
        except NotAvailableOnTier as exc:
            return TweetsRead((), (), tier_unavailable(exc))
        return TweetsRead(tuple(tweets), tuple(errors))

    async def timeline_page(self, token: str, user_id: str, *, pagination_token: str | None = None) -> TimelinePage:
        """One page of the user's own posts (retweets left out), newest first, with their public metrics and attached
        media types (GET /2/users/:id/tweets; `next_token` leads on; X serves the latest 3,200). Raises
        NotAvailableOnTier where the app's access level does not include reading posts."""
        return await self._call(
            token,
            "GET",
            f"/2/users/{user_id}/tweets",
            params={
                "max_results": str(MAX_IDS_PER_READ),
                "tweet.fields": "created_at,public_metrics,attachments",
                "expansions": "attachments.media_keys",
                "media.fields": "type",
                "exclude": "retweets",
                **({"pagination_token": pagination_token} if pagination_token else {}),
            },
            scope=SCOPE_READ,
            errors_are_rows=True,
            parse=TimelinePage.from_json,
        )

    async def _read_tweets(
        self, token: str, ids: list[str], private_metrics: bool
    ) -> tuple[list[Tweet], list[ReadError]]:
        if private_metrics:
            try:
                tweets, errors = await self._read_batch(token, ids, PRIVATE_TWEET_FIELDS)
            except NotAvailableOnTier:
                return await self._read_batch(token, ids, PUBLIC_TWEET_FIELDS)
            refused = [e.resource_id for e in errors if e.kind == "not-authorized-for-field" and e.resource_id]
            if refused:
                again, still = await self._read_batch(token, list(dict.fromkeys(refused)), PUBLIC_TWEET_FIELDS)
                errors = [e for e in errors if e.kind != "not-authorized-for-field"] + still
                tweets += again
            return tweets, errors
        return await self._read_batch(token, ids, PUBLIC_TWEET_FIELDS)

    async def _read_batch(self, token: str, ids: list[str], fields: str) -> tuple[list[Tweet], list[ReadError]]:
        return await self._call(
            token,
            "GET",
            "/2/tweets",
            params={"ids": ",".join(ids), "tweet.fields": fields},
            scope=SCOPE_READ,
            errors_are_rows=True,
            parse=_tweets_and_errors,
        )


def _tweets_and_errors(body: Any) -> tuple[list[Tweet], list[ReadError]]:
    tweets = [Tweet.from_json(item) for item in body.get("data") or []]
    errors = [ReadError.from_json(item) for item in body.get("errors") or []]
    return tweets, errors


def tier_unavailable(error: NotAvailableOnTier) -> TierUnavailable:
    body: Mapping[str, Any] = error.payload.get("body") or {}
    if not isinstance(body, Mapping):
        body = {}
    return TierUnavailable(
        kind=problem_kind(body.get("type")) or str(error.code or "client-forbidden"),
        reason=body.get("reason"),
        detail=str(body.get("detail") or error.message),
        required_enrollment=body.get("required_enrollment"),
        registration_url=body.get("registration_url"),
    )


def _read_segment(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as file:
        file.seek(offset)
        return file.read(size)

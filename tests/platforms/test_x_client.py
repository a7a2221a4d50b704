"""X client: rate limits, tiers, partial errors, posting and the dedicated media upload endpoints."""

import json
import time
from pathlib import Path

import httpx
import pytest

from azmth_pipelines.integrations.common.errors import (
    AuthError,
    NotAvailableOnTier,
    PermanentError,
    RateLimited,
    TransientError,
)
from azmth_pipelines.integrations.x.client import XClient
from azmth_pipelines.integrations.x.errors import rate_limit_wait_s
from tests.platforms.loopback import Canned, Reply

pytestmark = pytest.mark.anyio
TOKEN = "x-oauth2-user-token-ABCDEF"

CLIENT_FORBIDDEN = {
    "title": "Client Forbidden",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
    "reason": "client-not-enrolled",
    "required_enrollment": "Appropriate Level of API Access",
    "detail": "This request must be made using an approved developer account that is enrolled in the "
    "requested endpoint.",
    "registration_url": "https://developer.x.com/en/portal/product",
}


def client_for(canned: Canned) -> XClient:
    return XClient("https://api.x.test", transport=canned.transport, max_poll_interval_s=0)


def tweet(tweet_id: str, likes: int = 1) -> dict:
    metrics = {
        "retweet_count": 0,
        "reply_count": 0,
        "like_count": likes,
        "quote_count": 0,
        "bookmark_count": 0,
        "impression_count": 100,
    }
    return {"id": tweet_id, "text": "Launch day!", "public_metrics": metrics}


async def test_rate_limit_code_88_waits_until_the_reset_header():
    reset = int(time.time()) + 600
    headers = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}
    canned = Canned(Reply(429, {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}, headers=headers))
    async with client_for(canned) as x:
        with pytest.raises(RateLimited) as caught:
            await x.create_post(TOKEN, "hello")
    assert 590 <= caught.value.retry_after_s <= 600
    assert caught.value.code == 88


async def test_rate_limit_problem_json_is_rate_limited_too():
    canned = Canned(
        Reply(
            429,
            {
                "title": "Too Many Requests",
                "type": "about:blank",
                "status": 429,
                "detail": "Too Many Requests",
            },
        )
    )
    async with client_for(canned) as x:
        with pytest.raises(RateLimited):
            await x.me(TOKEN)


def test_spent_24_hour_cap_waits_for_the_later_reset():
    headers = {
        "x-rate-limit-remaining": "40",
        "x-rate-limit-reset": "1773480000",
        "x-user-limit-24hour-remaining": "0",
        "x-user-limit-24hour-reset": "1773560000",
    }
    assert rate_limit_wait_s(headers, now=1773470000) == 90000


async def test_latest_rate_limit_state_is_exposed():
    headers = {"x-rate-limit-limit": "75", "x-rate-limit-remaining": "74", "x-rate-limit-reset": "1773480000"}
    canned = Canned(
        Reply(
            200,
            {
                "data": {
                    "id": "2244994945",
                    "name": "Acme",
                    "username": "acme",
                    "public_metrics": {"followers_count": 5120, "tweet_count": 2011},
                }
            },
            headers=headers,
        )
    )
    async with client_for(canned) as x:
        user = await x.me(TOKEN)
    assert user.metrics.followers_count == 5120 and user.metrics.media_count is None
    assert x.latest_rate_limit is not None and x.latest_rate_limit.remaining == 74
    assert canned.requests[0].url.params["user.fields"] == "public_metrics"


async def test_tweet_reads_return_good_rows_and_per_id_errors():
    body = {
        "data": [tweet("1899012345678901234", likes=120)],
        "errors": [
            {
                "value": "1899000000000000000",
                "detail": "Could not find tweet with ids: [1899000000000000000].",
                "title": "Not Found Error",
                "resource_type": "tweet",
                "parameter": "ids",
                "resource_id": "1899000000000000000",
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }
        ],
    }
    canned = Canned(Reply(200, body))
    async with client_for(canned) as x:
        read = await x.tweets(TOKEN, ["1899012345678901234", "1899000000000000000"])
    assert read.available
    assert [(t.id, t.public_metrics.like_count) for t in read.tweets] == [("1899012345678901234", 120)]
    assert [(e.resource_id, e.kind) for e in read.errors] == [("1899000000000000000", "resource-not-found")]


async def test_tweet_reads_batch_ids_by_hundred():
    def answer(request: httpx.Request) -> Reply:
        return Reply(200, {"data": [tweet(i) for i in request.url.params["ids"].split(",")]})

    canned = Canned(answer)
    ids = [str(1899012345678900000 + n) for n in range(250)]
    async with client_for(canned) as x:
        read = await x.tweets(TOKEN, ids)
    assert [len(r.url.params["ids"].split(",")) for r in canned.requests] == [100, 100, 50]
    assert len(read.tweets) == 250


async def test_tier_without_tweet_reads_is_a_result_not_a_crash():
    canned = Canned(Reply(403, CLIENT_FORBIDDEN))
    async with client_for(canned) as x:
        read = await x.tweets(TOKEN, ["1899012345678901234"])
    assert not read.available and read.tweets == ()
    assert read.unavailable.kind == "client-forbidden"
    assert read.unavailable.reason == "client-not-enrolled"
    assert read.unavailable.required_enrollment == "Appropriate Level of API Access"


async def test_usage_cap_is_reported_as_unavailable_on_reads_and_raised_on_posts():
    capped = {
        "title": "UsageCapExceeded",
        "type": "https://api.x.com/2/problems/usage-capped",
        "detail": "Usage cap exceeded: Monthly product cap",
        "period": "Monthly",
        "scope": "Product",
    }
    canned = Canned(Reply(429, capped))
    async with client_for(canned) as x:
        read = await x.tweets(TOKEN, ["1"])
        with pytest.raises(NotAvailableOnTier):
            await x.create_post(TOKEN, "hello")
    assert read.unavailable.kind == "usage-capped"


async def test_private_metrics_fall_back_to_public_for_posts_x_refuses():
    refused = {
        "data": [
            {
                **tweet("1"),
                "non_public_metrics": {
                    "impression_count": 8450,
                    "url_link_clicks": 57,
                    "user_profile_clicks": 19,
                    "engagements": 233,
                },
            }
        ],
        "errors": [
            {
                "resource_id": "2",
                "parameter": "non_public_metrics",
                "title": "Field Authorization Error",
                "detail": "Sorry, you are not authorized to access 'non_public_metrics' on the tweet.",
                "type": "https://api.twitter.com/2/problems/not-authorized-for-field",
            }
        ],
    }
    canned = Canned(Reply(200, refused), Reply(200, {"data": [tweet("2")]}))
    async with client_for(canned) as x:
        read = await x.tweets(TOKEN, ["1", "2"], private_metrics=True)
    assert {t.id: t.private_metrics is not None for t in read.tweets} == {"1": True, "2": False}
    assert read.errors == ()
    assert "non_public_metrics" in canned.requests[0].url.params["tweet.fields"]
    assert canned.requests[1].url.params == httpx.QueryParams({"ids": "2", "tweet.fields": "created_at,public_metrics"})


async def test_duplicate_post_is_permanent_and_expired_token_reconnects():
    duplicate = {
        "title": "Forbidden",
        "type": "about:blank",
        "status": 403,
        "detail": "You are not allowed to create a Tweet with duplicate content.",
    }
    unauthorized = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
    canned = Canned(Reply(403, duplicate), Reply(401, unauthorized), Reply(503, body=b"upstream"))
    async with client_for(canned) as x:
        with pytest.raises(PermanentError) as dup:
            await x.create_post(TOKEN, "hello")
        with pytest.raises(AuthError):
            await x.create_post(TOKEN, "hello")
        with pytest.raises(TransientError):
            await x.create_post(TOKEN, "hello")
    assert "duplicate" in dup.value.message


async def test_create_post_attaches_media():
    canned = Canned(Reply(201, {"data": {"id": "1899012345678901234", "text": "Launch day! https://t.co/AbC"}}))
    async with client_for(canned) as x:
        post = await x.create_post(TOKEN, "Launch day!", media_ids=["1899012000000000000"])
    assert post.id == "1899012345678901234"
    assert json.loads(canned.requests[0].content) == {
        "text": "Launch day!",
        "media": {"media_ids": ["1899012000000000000"]},
    }


async def test_media_upload_uses_dedicated_endpoints_in_segments_and_polls_status(tmp_path: Path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"a" * 10 + b"b" * 10 + b"c" * 5)
    media = {"id": "1899012000000000000", "media_key": "13_1899012000000000000"}

    def answer(request: httpx.Request) -> Reply:
        path = request.url.path
        if path.endswith("/initialize"):
            return Reply(200, {"data": {**media, "expires_after_secs": 86400}})
        if path.endswith("/append"):
            return Reply(204)
        if path.endswith("/finalize"):
            return Reply(200, {"data": {**media, "processing_info": {"state": "pending", "check_after_secs": 1}}})
        state = "succeeded" if sum(r.url.path == "/2/media/upload" for r in canned.requests) > 1 else "in_progress"
        return Reply(200, {"data": {**media, "processing_info": {"state": state, "check_after_secs": 1}}})

    canned = Canned(answer)
    async with client_for(canned) as x:
        upload = await x.upload_media(
            TOKEN, video, media_type="video/mp4", media_category="tweet_video", chunk_bytes=10
        )
        done = await x.wait_for_media(TOKEN, upload)
    paths = [r.url.path for r in canned.requests]
    assert paths[:5] == [
        "/2/media/upload/initialize",
        "/2/media/upload/1899012000000000000/append",
        "/2/media/upload/1899012000000000000/append",
        "/2/media/upload/1899012000000000000/append",
        "/2/media/upload/1899012000000000000/finalize",
    ]
    assert json.loads(canned.requests[0].content) == {
        "media_type": "video/mp4",
        "total_bytes": 25,
        "media_category": "tweet_video",
    }
    appends = [r for r in canned.requests if r.url.path.endswith("/append")]
    for index, (request, chunk) in enumerate(zip(appends, [b"a" * 10, b"b" * 10, b"c" * 5], strict=True)):
        body = request.read()
        assert request.headers["content-type"].startswith("multipart/form-data")
        assert f'name="segment_index"\r\n\r\n{index}\r\n'.encode() in body
        assert b'name="media"' in body and chunk in body
    assert canned.requests[-1].url.params["command"] == "STATUS"
    assert canned.requests[-1].url.params["media_id"] == "1899012000000000000"
    assert upload.state == "pending" and done.ready


async def test_image_upload_is_one_multipart_call(tmp_path: Path):
    image = tmp_path / "cover.jpg"
    image.write_bytes(b"\xff\xd8jpeg bytes")
    canned = Canned(Reply(200, {"data": {"id": "1899012000000000001", "media_key": "3_1899012000000000001"}}))
    async with client_for(canned) as x:
        upload = await x.upload_image(TOKEN, image, media_type="image/jpeg")
    [request] = canned.requests
    body = request.read()
    assert (request.method, request.url.path) == ("POST", "/2/media/upload")
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert b'name="media_category"\r\n\r\ntweet_image' in body
    assert b'name="media"' in body and b"\xff\xd8jpeg bytes" in body
    assert b"command" not in body  # the legacy INIT/APPEND/FINALIZE form is not used
    assert upload.id == "1899012000000000001" and upload.ready


async def test_failed_media_processing_is_permanent():
    failed = {
        "data": {
            "id": "1",
            "processing_info": {"state": "failed", "error": {"code": 1, "message": "InvalidMedia"}},
        }
    }
    canned = Canned(Reply(200, failed))
    async with client_for(canned) as x:
        upload = await x.media_status(TOKEN, "1")
        with pytest.raises(PermanentError) as caught:
            await x.wait_for_media(TOKEN, upload)
    assert "InvalidMedia" in caught.value.message


async def test_answer_made_only_of_errors_fails_a_post_but_is_rows_for_a_read():
    gone = {
        "errors": [
            {
                "resource_id": "7",
                "title": "Not Found Error",
                "detail": "Could not find tweet with id: [7].",
                "type": "https://api.x.com/2/problems/resource-not-found",
            }
        ]
    }
    canned = Canned(Reply(200, gone))
    async with client_for(canned) as x:
        read = await x.tweets(TOKEN, ["7"])
        with pytest.raises(PermanentError) as caught:
            await x.create_post(TOKEN, "reply", reply_to_id="7")
    assert read.tweets == () and [e.resource_id for e in read.errors] == ["7"]
    assert caught.value.code == "resource-not-found"

"""Threads client: documented paths under /v1.0, Graph errors, quota and insights."""

import json

import pytest

from azmth_pipelines.integrations.common.errors import AuthError, PermanentError, TransientError
from azmth_pipelines.integrations.threads.client import ThreadsClient
from azmth_pipelines.integrations.threads.errors import container_error
from azmth_pipelines.integrations.threads.models import ThreadsMediaInsights
from tests.platforms.loopback import Canned, Reply

pytestmark = pytest.mark.anyio
TOKEN = "THAA-threads-user-token-55555"


def client_for(canned: Canned) -> ThreadsClient:
    return ThreadsClient("https://graph.threads.test", transport=canned.transport)


async def test_text_post_creates_then_publishes_under_v1():
    canned = Canned(
        Reply(200, {"id": "17889615691921648"}),
        Reply(200, {"status": "FINISHED", "id": "17889615691921648"}),
        Reply(200, {"id": "18031234567890123"}),
    )
    async with client_for(canned) as threads:
        container = await threads.create_text_container(TOKEN, text="Out now")
        status = await threads.container_status(TOKEN, container)
        media_id = await threads.publish(TOKEN, container)
    create, poll, publish = canned.requests
    assert (create.method, create.url.path) == ("POST", "/v1.0/me/threads")
    assert create.url.params["media_type"] == "TEXT" and create.url.params["text"] == "Out now"
    assert poll.url.path == "/v1.0/17889615691921648" and poll.url.params["fields"] == "status,error_message"
    assert status.is_ready
    assert publish.url.path == "/v1.0/me/threads_publish"
    assert publish.url.params["creation_id"] == "17889615691921648"
    assert media_id == "18031234567890123"


async def test_carousel_children_are_marked_and_joined():
    canned = Canned(Reply(200, {"id": "a"}), Reply(200, {"id": "b"}), Reply(200, {"id": "carousel"}))
    async with client_for(canned) as threads:
        first = await threads.create_image_container(TOKEN, image_url="https://m.example/1.jpg", is_carousel_item=True)
        second = await threads.create_video_container(TOKEN, video_url="https://m.example/2.mp4", is_carousel_item=True)
        await threads.create_carousel_container(TOKEN, children=[first, second], text="Tour")
    assert canned.requests[0].url.params["is_carousel_item"] == "true"
    assert canned.requests[1].url.params["media_type"] == "VIDEO"
    assert canned.requests[2].url.params["children"] == "a,b"


async def test_expired_session_needs_reconnect_and_never_shows_the_token():
    canned = Canned(
        Reply(
            400,
            {
                "error": {
                    "message": "Error validating access token: Session has expired.",
                    "type": "OAuthException",
                    "code": 190,
                    "fbtrace_id": "T9h8r7",
                }
            },
        )
    )
    async with client_for(canned) as threads:
        with pytest.raises(AuthError) as caught:
            await threads.publishing_limit(TOKEN)
    error = caught.value
    assert error.needs_reconnect
    assert "access_token=[REDACTED]" in error.payload["request"]
    assert TOKEN not in str(error) + repr(error) + json.dumps(error.payload)


async def test_server_error_is_transient():
    canned = Canned(Reply(503, body=b"Service Unavailable"))
    async with client_for(canned) as threads:
        with pytest.raises(TransientError):
            await threads.media_insights(TOKEN, "18031234567890123")


async def test_publishing_limit_and_reply_quota():
    canned = Canned(
        Reply(
            200,
            {
                "data": [
                    {
                        "quota_usage": 12,
                        "config": {"quota_total": 250, "quota_duration": 86400},
                        "reply_quota_usage": 1,
                        "reply_config": {"quota_total": 1000, "quota_duration": 86400},
                    }
                ]
            },
        )
    )
    async with client_for(canned) as threads:
        limit = await threads.publishing_limit(TOKEN)
    assert (limit.quota_usage, limit.quota_total, limit.reply_quota_total) == (12, 250, 1000)
    assert canned.requests[0].url.path == "/v1.0/me/threads_publishing_limit"


async def test_media_insights_missing_metrics_are_none():
    canned = Canned(
        Reply(
            200,
            {
                "data": [
                    {"name": "likes", "period": "lifetime", "values": [{"value": 42}]},
                    {"name": "replies", "period": "lifetime", "values": [{"value": 3}]},
                ]
            },
        )
    )
    async with client_for(canned) as threads:
        insights = await threads.media_insights(TOKEN, "18031234567890123")
    assert insights == ThreadsMediaInsights(likes=42, replies=3)
    assert canned.requests[0].url.params["metric"] == "views,likes,replies,reposts,quotes,shares"


async def test_followers_count_reads_total_value():
    canned = Canned(
        Reply(
            200,
            {
                "data": [
                    {
                        "name": "followers_count",
                        "period": "day",
                        "title": "followers_count",
                        "total_value": {"value": 1830},
                        "id": "1/insights/followers_count/day",
                    }
                ]
            },
        )
    )
    async with client_for(canned) as threads:
        assert await threads.followers_count(TOKEN) == 1830
    assert canned.requests[0].url.path == "/v1.0/me/threads_insights"


def test_failed_container_download_is_retried_but_bad_media_is_not():
    assert isinstance(container_error("1", "ERROR", "FAILED_DOWNLOADING_VIDEO"), TransientError)
    assert isinstance(container_error("1", "ERROR", "INVALID_ASPEC_RATIO"), PermanentError)

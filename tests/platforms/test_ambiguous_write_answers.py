"""A write the platform may have carried out is flagged `may_have_succeeded`, so the publish is checked, never sent
again blindly: a 2xx whose body cannot be read (the platform did it) and a 500, 502 or 504 (it may have). A 503
(overloaded: nothing done), a 429 and every read stay plain retries."""

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from azmth_pipelines.integrations.common.errors import MalformedResponse, RateLimited, TransientError
from azmth_pipelines.integrations.common.http import PlatformClient
from azmth_pipelines.integrations.instagram.client import InstagramClient
from azmth_pipelines.integrations.threads.client import ThreadsClient
from azmth_pipelines.integrations.tiktok.client import TikTokClient
from azmth_pipelines.integrations.tiktok.models import PhotoPostInfo, PostMode
from azmth_pipelines.integrations.x.client import XClient
from tests.platforms.loopback import Canned, Reply

pytestmark = pytest.mark.anyio
TOKEN = "platform-user-token-0123456789"

Call = Callable[[Any], Awaitable[object]]

# The call of each platform that makes a post public.
PUBLISH: dict[str, tuple[type[PlatformClient], Call]] = {
    "x": (XClient, lambda c: c.create_post(TOKEN, "Night Drive out Friday")),
    "instagram": (InstagramClient, lambda c: c.publish(TOKEN, "17841405822304914", "17889455560051444")),
    "threads": (ThreadsClient, lambda c: c.publish(TOKEN, "17889615691921648")),
    "tiktok": (
        TikTokClient,
        lambda c: c.init_photo_post(
            TOKEN,
            mode=PostMode.DIRECT_POST,
            post_info=PhotoPostInfo(title="Tour", privacy_level="PUBLIC_TO_EVERYONE"),
            photo_urls=["https://media.example/1.jpg"],
        ),
    ),
}
READ: dict[str, tuple[type[PlatformClient], Call]] = {
    "x": (XClient, lambda c: c.me(TOKEN)),
    "instagram": (InstagramClient, lambda c: c.media(TOKEN, "17918195224117851")),
    "threads": (ThreadsClient, lambda c: c.publishing_limit(TOKEN)),
    "tiktok": (TikTokClient, lambda c: c.user_info(TOKEN)),
}
# Each platform's documented body for a server error (HTTP 500).
INTERNAL_ERROR = {
    "x": {"title": "Internal Server Error", "type": "about:blank", "status": 500, "detail": "Internal Server Error"},
    "instagram": {"error": {"message": "An unknown error occurred", "type": "OAuthException", "code": 1}},
    "threads": {"error": {"message": "An unknown error occurred", "type": "OAuthException", "code": 1}},
    "tiktok": {"error": {"code": "internal_error", "message": "", "log_id": "20260314E5F6"}},
}
GATEWAY_PAGE = b"<html><body>Bad gateway</body></html>"
PLATFORMS = list(PUBLISH)


async def _failure(calls: dict[str, tuple[type[PlatformClient], Call]], platform: str, reply: Reply) -> Exception:
    client_class, call = calls[platform]
    canned = Canned(reply)
    async with client_class("https://platform.test", transport=canned.transport) as client:
        with pytest.raises(Exception) as caught:
            await call(client)
    return caught.value


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_publish_answered_2xx_with_a_body_that_is_not_json_may_have_published(platform: str) -> None:
    error = await _failure(PUBLISH, platform, Reply(200, body=b"<html>OK</html>"))
    assert isinstance(error, MalformedResponse)
    assert error.may_have_succeeded  # the runner records it unconfirmed instead of publishing again


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_publish_answered_2xx_without_the_documented_fields_may_have_published(platform: str) -> None:
    error = await _failure(PUBLISH, platform, Reply(200, {"unexpected": True}))
    assert isinstance(error, MalformedResponse)
    assert error.may_have_succeeded


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("status", [500, 502, 504])
async def test_a_publish_answered_500_502_or_504_may_have_published(platform: str, status: int) -> None:
    reply = Reply(500, INTERNAL_ERROR[platform]) if status == 500 else Reply(status, body=GATEWAY_PAGE)
    error = await _failure(PUBLISH, platform, reply)
    assert isinstance(error, TransientError)
    assert error.may_have_succeeded and error.http_status == status


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_publish_answered_503_did_nothing_and_is_retried(platform: str) -> None:
    error = await _failure(PUBLISH, platform, Reply(503, body=b"Service Unavailable"))
    assert isinstance(error, TransientError) and error.retryable
    assert not error.may_have_succeeded


async def test_a_rate_limited_publish_did_nothing() -> None:
    error = await _failure(PUBLISH, "x", Reply(429, {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}))
    assert isinstance(error, RateLimited)
    assert not error.may_have_succeeded


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize(
    "reply",
    [Reply(200, body=b"<html>OK</html>"), Reply(200, {"unexpected": True}), Reply(500, body=GATEWAY_PAGE)],
    ids=["not-json", "undocumented", "server-error"],
)
async def test_an_unreadable_or_failed_read_is_a_plain_retry(platform: str, reply: Reply) -> None:
    error = await _failure(READ, platform, reply)
    assert isinstance(error, TransientError) and error.retryable
    assert not error.may_have_succeeded

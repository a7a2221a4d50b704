"""Every platform error is safe to log: no token in str(), repr(), payload, or a pickled copy."""

import json
import pickle

import httpx
import pytest

from azmth_pipelines.integrations.common.errors import MalformedResponse, PlatformError, RateLimited, TransientError
from azmth_pipelines.integrations.common.redaction import redact, redact_text
from azmth_pipelines.integrations.instagram.client import InstagramClient
from azmth_pipelines.integrations.threads.client import ThreadsClient
from azmth_pipelines.integrations.tiktok.client import TikTokClient
from azmth_pipelines.integrations.x.client import XClient
from tests.platforms.loopback import Canned, Reply

pytestmark = pytest.mark.anyio
TOKEN = "tok-9f8e7d6c5b4a-SECRET"
REFRESH = "rft-1a2b3c4d5e6f-SECRET"


def echo_everything(request: httpx.Request) -> Reply:
    """A hostile answer: echoes the token in the body, in headers and next to a refresh token."""
    return Reply(
        400,
        {
            "error": {
                "message": f"bad token {TOKEN} for {request.url}",
                "code": 100,
                "error_user_msg": TOKEN,
            },
            "detail": f"Authorization: Bearer {TOKEN}",
            "refresh_token": REFRESH,
            "echo": f"https://x.test/cb?code=authcode123456&client_secret=shh-very-secret&access_token={TOKEN}",
        },
        headers={"x-fb-debug": TOKEN, "x-rate-limit-reset": "1"},
    )


def assert_clean(error: PlatformError) -> None:
    revived = pickle.loads(pickle.dumps(error))
    for text in (
        str(error),
        repr(error),
        json.dumps(error.payload),
        str(revived),
        json.dumps(revived.payload),
    ):
        for secret in (TOKEN, REFRESH, "authcode123456", "shh-very-secret"):
            assert secret not in text
    assert type(revived) is type(error) and revived.http_status == error.http_status


async def test_tiktok_errors_never_show_tokens():
    canned = Canned(echo_everything)
    async with TikTokClient("https://tiktok.test", transport=canned.transport) as tiktok:
        with pytest.raises(PlatformError) as caught:
            await tiktok.creator_info(TOKEN)
    assert_clean(caught.value)


async def test_instagram_errors_never_show_tokens():
    canned = Canned(echo_everything)
    async with InstagramClient("https://graph.test/v25.0", transport=canned.transport) as instagram:
        with pytest.raises(PlatformError) as caught:
            await instagram.media(TOKEN, "1")
    assert caught.value.user_message == "[REDACTED]"
    assert_clean(caught.value)


async def test_threads_errors_never_show_tokens_sent_in_the_query():
    canned = Canned(echo_everything)
    async with ThreadsClient("https://threads.test", transport=canned.transport) as threads:
        with pytest.raises(PlatformError) as caught:
            await threads.media_insights(TOKEN, "1")
    assert_clean(caught.value)


async def test_x_errors_never_show_tokens():
    canned = Canned(echo_everything)
    async with XClient("https://x.test", transport=canned.transport) as x:
        with pytest.raises(PlatformError) as caught:
            await x.me(TOKEN)
    assert_clean(caught.value)


async def test_transport_failures_never_show_tokens(loopback):
    server = loopback(lambda request: Reply(200, {}))
    url = server.url
    server.stop()  # nothing listens there any more: connection refused
    async with ThreadsClient(url) as threads:
        with pytest.raises(TransientError) as caught:
            await threads.publish(TOKEN, "1788")
    assert not caught.value.may_have_succeeded  # the request never left
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert_clean(caught.value)


def test_redaction_covers_urls_form_bodies_json_and_auth_headers():
    assert redact_text("GET /me?fields=id&access_token=abc123def") == "GET /me?fields=id&access_token=[REDACTED]"
    assert redact_text("grant_type=authorization_code&code=xyz789&client_secret=s3cr3t") == (
        "grant_type=authorization_code&code=[REDACTED]&client_secret=[REDACTED]"
    )
    assert redact_text('{"refresh_token": "rft.1"}') == '{"refresh_token": "[REDACTED]"}'
    assert redact_text("Authorization: Bearer act.12345678") == "Authorization: Bearer [REDACTED]"
    assert redact_text("Invalid OAuth access token.") == "Invalid OAuth access token."
    # Error codes are not secrets: Meta's "code": 190 and TikTok's error.code stay readable.
    assert redact({"error": {"code": 190, "message": "x"}, "access_token": "t"}) == {
        "error": {"code": 190, "message": "x"},
        "access_token": "[REDACTED]",
    }


def test_error_flags_follow_the_class():
    limited = RateLimited("slow down", platform="x", retry_after_s=12.0)
    assert limited.retryable and not limited.needs_reconnect
    assert "retry after 12s" in str(limited)


CALLS = {
    "tiktok": (TikTokClient, lambda c: c.creator_info(TOKEN)),
    "instagram": (InstagramClient, lambda c: c.media(TOKEN, "1")),
    "threads": (ThreadsClient, lambda c: c.publishing_limit(TOKEN)),
    "x": (XClient, lambda c: c.me(TOKEN)),
}


@pytest.mark.parametrize("platform", CALLS)
async def test_unreadable_answers_and_timeouts_are_typed_for_every_client(platform, loopback):
    client_class, call = CALLS[platform]
    garbage = Canned(Reply(200, body=b'{"data": {"id": '))
    async with client_class("https://platform.test", transport=garbage.transport) as client:
        with pytest.raises(MalformedResponse) as malformed:
            await call(client)
    slow = loopback(lambda request: Reply(200, {}, delay_s=1.0))
    async with client_class(slow.url, timeout=httpx.Timeout(0.2)) as client:
        with pytest.raises(TransientError) as timed_out:
            await call(client)
    assert malformed.value.platform == platform and malformed.value.retryable
    assert timed_out.value.platform == platform
    assert_clean(malformed.value)
    assert_clean(timed_out.value)

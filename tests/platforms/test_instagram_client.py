"""Instagram client: Graph error objects, usage headers, the publishing flow and insights."""

import json
from urllib.parse import parse_qs

import pytest

from azmth_pipelines.integrations.common.errors import (
    AuthError,
    Disposition,
    PermanentError,
    RateLimited,
    ScopeMissing,
    TransientError,
)
from azmth_pipelines.integrations.instagram.client import InstagramClient
from azmth_pipelines.integrations.instagram.errors import classify_instagram_failure, container_error
from azmth_pipelines.integrations.instagram.models import MediaInsights
from tests.platforms.loopback import Canned, Reply

pytestmark = pytest.mark.anyio
TOKEN = "EAAB-instagram-user-token-987654"


def graph_error(code: int, subcode: int | None = None, **extra: object) -> dict:
    error = {
        "message": "An error occurred",
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEf123_gh",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error | extra}


def client_for(canned: Canned) -> InstagramClient:
    return InstagramClient("https://graph.facebook.test/v25.0", transport=canned.transport)


def form(request) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(request.content.decode()).items()}


async def test_meta_error_keeps_the_user_facing_title_and_message():
    canned = Canned(
        Reply(
            400,
            graph_error(
                9004,
                2207052,
                is_transient=False,
                error_user_title="Media download failed",
                error_user_msg="The media could not be fetched from this URI.",
            ),
        )
    )
    async with client_for(canned) as instagram:
        with pytest.raises(PermanentError) as caught:
            await instagram.create_image_container(TOKEN, "17841405822304914", image_url="https://m.example/a.jpg")
    error = caught.value
    assert (error.code, error.subcode) == (9004, 2207052)
    assert error.user_title == "Media download failed"
    assert error.user_message == "The media could not be fetched from this URI."
    assert error.trace_id == "AbCdEf123_gh"


async def test_publishing_limit_reached_is_rate_limited():
    canned = Canned(Reply(400, graph_error(9, 2207042, error_user_title="Max posts reached")))
    async with client_for(canned) as instagram:
        with pytest.raises(RateLimited):
            await instagram.publish(TOKEN, "178414", "17889455560051444")


async def test_throttle_waits_for_business_use_case_regain_time_and_usage_is_exposed():
    usage = {
        "178414": [
            {
                "type": "instagram",
                "call_count": 100,
                "total_cputime": 3,
                "total_time": 9,
                "estimated_time_to_regain_access": 5,
            }
        ]
    }
    canned = Canned(
        Reply(
            200,
            {"id": "178414", "followers_count": 10},
            headers={"X-App-Usage": '{"call_count": 28, "total_time": 25, "total_cputime": 25}'},
        ),
        Reply(400, graph_error(80002), headers={"X-Business-Use-Case-Usage": json.dumps(usage)}),
    )
    async with client_for(canned) as instagram:
        await instagram.account(TOKEN, "178414")
        assert instagram.latest_usage is not None and instagram.latest_usage.app is not None
        assert instagram.latest_usage.app.call_count == 28
        with pytest.raises(RateLimited) as caught:
            await instagram.account(TOKEN, "178414")
    assert caught.value.retry_after_s == 300  # 5 minutes
    assert instagram.latest_usage.highest_percent == 100


async def test_app_usage_throttle_code_4_is_rate_limited_even_without_a_hint():
    canned = Canned(Reply(400, graph_error(4)))
    async with client_for(canned) as instagram:
        with pytest.raises(RateLimited) as caught:
            await instagram.media(TOKEN, "1790")
    assert caught.value.retry_after_s is None


async def test_expired_token_needs_reconnect_and_permission_error_names_the_scope():
    canned = Canned(
        Reply(400, graph_error(190, 463)),
        Reply(403, {"error": {"message": "(#10) Requires instagram_content_publish permission", "code": 10}}),
    )
    async with client_for(canned) as instagram:
        with pytest.raises(AuthError) as expired:
            await instagram.media(TOKEN, "1790")
        with pytest.raises(ScopeMissing) as scope:
            await instagram.publish(TOKEN, "178414", "1788")
    assert expired.value.needs_reconnect
    assert scope.value.missing_scope == "instagram_content_publish"


async def test_spam_block_may_still_have_published():
    canned = Canned(Reply(400, graph_error(4, 2207051)))
    async with client_for(canned) as instagram:
        with pytest.raises(PermanentError) as caught:
            await instagram.publish(TOKEN, "178414", "1788")
    assert caught.value.may_have_succeeded


async def test_transient_flag_and_server_errors_are_retried():
    canned = Canned(Reply(500, graph_error(100, is_transient=True)), Reply(502, body=b"<html>Bad gateway</html>"))
    async with client_for(canned) as instagram:
        with pytest.raises(TransientError):
            await instagram.media(TOKEN, "1790")
        with pytest.raises(TransientError):
            await instagram.media(TOKEN, "1790")


def test_instagram_subcode_table_reads_as_documented():
    assert classify_instagram_failure(400, -2, 2207003) is Disposition.RETRY  # download timeout
    assert classify_instagram_failure(400, 9007, 2207027) is Disposition.RETRY  # not ready yet
    assert classify_instagram_failure(400, 36004, 2207010) is Disposition.PERMANENT  # caption too long
    assert classify_instagram_failure(400, 2, None) is Disposition.RETRY
    assert classify_instagram_failure(400, 613, None) is Disposition.RATE_LIMITED
    failed = container_error("1788", "ERROR", "Error: Media upload has failed with error code 2207026")
    assert isinstance(failed, PermanentError) and failed.subcode == 2207026
    assert container_error("1788", "EXPIRED", None).retryable


async def test_reel_publish_flow_uses_documented_paths_and_fields():
    canned = Canned(
        Reply(200, {"id": "17889455560051444"}),
        Reply(200, {"status_code": "FINISHED", "status": "Finished: Media has been uploaded", "id": "1788"}),
        Reply(200, {"id": "17918195224117851"}),
    )
    async with client_for(canned) as instagram:
        container = await instagram.create_reel_container(
            TOKEN, "178414", video_url="https://m.example/r.mp4", caption="New single", share_to_feed=True
        )
        status = await instagram.container_status(TOKEN, container)
        media_id = await instagram.publish(TOKEN, "178414", container)
    create, poll, publish = canned.requests
    assert create.method == "POST" and create.url.path == "/v25.0/178414/media"
    assert form(create) == {
        "media_type": "REELS",
        "video_url": "https://m.example/r.mp4",
        "caption": "New single",
        "share_to_feed": "true",
    }
    assert poll.url.path == "/v25.0/17889455560051444" and poll.url.params["fields"] == "status_code,status"
    assert status.is_ready
    assert publish.url.path == "/v25.0/178414/media_publish"
    assert form(publish) == {"creation_id": "17889455560051444"}
    assert media_id == "17918195224117851"
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in canned.requests)
    assert all("access_token" not in str(r.url) for r in canned.requests)


async def test_carousel_items_then_carousel():
    canned = Canned(Reply(200, {"id": "c1"}), Reply(200, {"id": "c2"}), Reply(200, {"id": "carousel"}))
    async with client_for(canned) as instagram:
        first = await instagram.create_carousel_item(TOKEN, "178414", image_url="https://m.example/1.jpg")
        second = await instagram.create_carousel_item(TOKEN, "178414", video_url="https://m.example/2.mp4")
        await instagram.create_carousel_container(TOKEN, "178414", children=[first, second], caption="Tour")
        with pytest.raises(ValueError):
            await instagram.create_carousel_container(TOKEN, "178414", children=[first])
    assert form(canned.requests[0]) == {"is_carousel_item": "true", "image_url": "https://m.example/1.jpg"}
    assert form(canned.requests[1])["media_type"] == "VIDEO"
    assert form(canned.requests[2]) == {"media_type": "CAROUSEL", "children": "c1,c2", "caption": "Tour"}


async def test_content_publishing_limit_reads_the_live_quota():
    canned = Canned(Reply(200, {"data": [{"quota_usage": 7, "config": {"quota_total": 50, "quota_duration": 86400}}]}))
    async with client_for(canned) as instagram:
        limit = await instagram.publishing_limit(TOKEN, "178414")
    assert (limit.quota_usage, limit.quota_total, limit.remaining) == (7, 50, 43)


async def test_insights_ask_only_valid_metrics_and_unavailable_ones_are_none():
    reel_answer = {
        "data": [
            {"name": "views", "period": "lifetime", "values": [{"value": 5210}]},
            {"name": "likes", "period": "lifetime", "values": [{"value": 0}]},
        ]
    }
    canned = Canned(Reply(200, reel_answer), Reply(200, {"data": []}), Reply(400, graph_error(10)))
    async with client_for(canned) as instagram:
        reel = await instagram.media_insights(TOKEN, "1791", media_product_type="REELS")
        story = await instagram.media_insights(TOKEN, "1792", media_product_type="STORY")
        few_viewers = await instagram.media_insights(TOKEN, "1793", media_product_type="STORY")
    assert reel.views == 5210 and reel.likes == 0 and reel.reach is None
    assert story == MediaInsights()
    assert few_viewers == MediaInsights()
    assert canned.requests[0].url.params["metric"] == "views,reach,likes,comments,shares,saved,total_interactions"
    assert canned.requests[1].url.params["metric"] == "views,reach,shares,total_interactions"


async def test_linked_accounts_follow_the_cursor_and_hide_page_tokens():
    canned = Canned(
        Reply(
            200,
            {
                "data": [{"id": "134895793791914", "name": "Acme", "access_token": "EAAPage-secret-1"}],
                "paging": {
                    "cursors": {"after": "QVFI"},
                    "next": f"https://graph.test/me/accounts?access_token={TOKEN}",
                },
            },
        ),
        Reply(200, {"data": [{"id": "222", "name": "Side", "access_token": "EAAPage-secret-2"}], "paging": {}}),
        Reply(200, {"instagram_business_account": {"id": "17841405822304914"}, "id": "134895793791914"}),
        Reply(200, {"id": "222"}),
    )
    async with client_for(canned) as instagram:
        accounts = await instagram.linked_accounts(TOKEN)
    assert [(a.page_id, a.ig_user_id) for a in accounts] == [
        ("134895793791914", "17841405822304914"),
        ("222", None),
    ]
    assert canned.requests[1].url.params["after"] == "QVFI"
    assert "EAAPage-secret" not in repr(accounts)


async def test_account_fields():
    canned = Canned(
        Reply(
            200,
            {
                "id": "178414",
                "username": "acme",
                "followers_count": 1830,
                "follows_count": 12,
                "media_count": 64,
            },
        )
    )
    async with client_for(canned) as instagram:
        account = await instagram.account(TOKEN, "178414")
    assert (account.followers_count, account.follows_count, account.media_count) == (1830, 12, 64)

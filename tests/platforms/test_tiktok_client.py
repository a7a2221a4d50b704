"""TikTok client: the documented answers (and failures) of the Content Posting and Display APIs."""

import json
from pathlib import Path

import httpx
import pytest

from azmth_pipelines.integrations.common.errors import (
    AuthError,
    Disposition,
    MalformedResponse,
    PermanentError,
    RateLimited,
    ScopeMissing,
    TransientError,
)
from azmth_pipelines.integrations.tiktok.chunks import ChunkPlan
from azmth_pipelines.integrations.tiktok.client import TikTokClient
from azmth_pipelines.integrations.tiktok.errors import classify_fail_reason, classify_tiktok_failure
from azmth_pipelines.integrations.tiktok.models import PhotoPostInfo, PostMode, VideoPostInfo
from tests.platforms.loopback import Canned, Reply, Request

pytestmark = pytest.mark.anyio
TOKEN = "act.tiktok-secret-token-123456"


def ok(data: dict | None = None) -> Reply:
    return Reply(200, {"data": data or {}, "error": {"code": "ok", "message": "", "log_id": "20260314A1"}})


def failure(status: int, code: str, message: str = "") -> Reply:
    return Reply(status, {"error": {"code": code, "message": message, "log_id": "20260314E5F6"}})


def client_for(canned: Canned) -> TikTokClient:
    return TikTokClient("https://open.tiktokapis.test", transport=canned.transport)


# --- chunk plan (media transfer guide) -----------------------------------------------------------


def test_chunk_plan_matches_the_documented_example():
    plan = ChunkPlan.for_size(50_000_123, chunk_size=10_000_000)
    chunks = plan.chunks()
    assert (plan.chunk_size, plan.total_chunk_count) == (10_000_000, 5)
    assert [c.size for c in chunks] == [10_000_000] * 4 + [10_000_123]
    assert chunks[-1].content_range == "bytes 40000000-50000122/50000123"


def test_small_video_is_one_chunk_of_its_own_size():
    plan = ChunkPlan.for_size(3_000_000)
    assert plan.source_info() == {
        "source": "FILE_UPLOAD",
        "video_size": 3_000_000,
        "chunk_size": 3_000_000,
        "total_chunk_count": 1,
    }


def test_chunk_plan_stays_within_documented_bounds_for_large_files():
    plan = ChunkPlan.for_size(4 * 1024**3, chunk_size=1_000_000)  # 4 GB, chunk asked too small
    chunks = plan.chunks()
    assert 5 * 1024 * 1024 <= plan.chunk_size <= 64_000_000
    assert 1 <= plan.total_chunk_count <= 1000
    assert chunks[-1].size < 128_000_000
    assert sum(c.size for c in chunks) == 4 * 1024**3


# --- errors --------------------------------------------------------------------------------------


async def test_creator_info_spam_risk_answered_with_http_200_is_a_permanent_error():
    canned = Canned(failure(200, "spam_risk_too_many_posts", "The user has posted too many times."))
    async with client_for(canned) as tiktok:
        with pytest.raises(PermanentError) as caught:
            await tiktok.creator_info(TOKEN)
    assert caught.value.code == "spam_risk_too_many_posts"
    assert caught.value.http_status == 200
    assert caught.value.trace_id == "20260314E5F6"
    assert not caught.value.retryable


async def test_rate_limit_exceeded_waits_for_retry_after():
    canned = Canned(Reply(429, failure(429, "rate_limit_exceeded").json, headers={"Retry-After": "42"}))
    async with client_for(canned) as tiktok:
        with pytest.raises(RateLimited) as caught:
            await tiktok.publish_status(TOKEN, "v_pub_file~v2-1.1")
    assert caught.value.retry_after_s == 42
    assert caught.value.retryable


async def test_invalid_token_asks_for_reconnect_and_missing_scope_names_the_scope():
    canned = Canned(failure(401, "access_token_invalid"), failure(401, "scope_not_authorized"))
    async with client_for(canned) as tiktok:
        with pytest.raises(AuthError) as expired:
            await tiktok.creator_info(TOKEN)
        with pytest.raises(ScopeMissing) as scope:
            await tiktok.init_direct_video(TOKEN, VideoPostInfo("SELF_ONLY"), "https://media.example/v.mp4")
    assert expired.value.needs_reconnect and not expired.value.retryable
    assert scope.value.missing_scope == "video.publish"


async def test_server_error_is_transient_and_unreadable_json_is_malformed():
    canned = Canned(failure(500, "internal_error"), Reply(200, body=b"<html>gateway</html>"))
    async with client_for(canned) as tiktok:
        with pytest.raises(TransientError) as server:
            await tiktok.creator_info(TOKEN)
        with pytest.raises(MalformedResponse):
            await tiktok.creator_info(TOKEN)
    assert server.value.retryable


async def test_success_envelope_without_documented_fields_is_malformed():
    canned = Canned(ok({"status": None}))
    async with client_for(canned) as tiktok:
        with pytest.raises(MalformedResponse):
            await tiktok.init_inbox_video(TOKEN, ChunkPlan.for_size(1000))


async def test_timeout_becomes_transient_error(loopback):
    server = loopback(lambda request: Reply(200, ok().json, delay_s=1.0))
    async with TikTokClient(server.url, timeout=httpx.Timeout(0.2)) as tiktok:
        with pytest.raises(TransientError) as caught:
            await tiktok.publish_status(TOKEN, "v_pub_file~v2-1.1")
    assert "ReadTimeout" in caught.value.message
    assert caught.value.may_have_succeeded  # a POST that timed out may have been carried out


def test_failure_rules_read_as_documented():
    assert classify_tiktok_failure(403, "unaudited_client_can_only_post_to_private_accounts") is (Disposition.PERMANENT)
    assert classify_tiktok_failure(403, "reached_active_user_cap") is Disposition.RATE_LIMITED
    assert classify_tiktok_failure(400, "invalid_grant") is Disposition.RECONNECT
    assert classify_tiktok_failure(503, "") is Disposition.RETRY
    assert classify_fail_reason("internal") is Disposition.RETRY
    assert classify_fail_reason("auth_removed") is Disposition.RECONNECT
    assert classify_fail_reason("spam_risk_text") is Disposition.PERMANENT


# --- posting -------------------------------------------------------------------------------------


async def test_direct_post_file_upload_sends_the_chunk_plan_and_returns_the_upload_url():
    upload_url = "https://open-upload.tiktokapis.com/video/?upload_id=7391122&upload_token=abcDEF123"
    canned = Canned(ok({"publish_id": "v_pub_file~v2-1.7391122", "upload_url": upload_url}))
    plan = ChunkPlan.for_size(50_000_123, chunk_size=10_000_000)
    async with client_for(canned) as tiktok:
        init = await tiktok.init_direct_video(TOKEN, VideoPostInfo("SELF_ONLY", title="Launch"), plan)
    request = canned.requests[0]
    assert request.url.path == "/v2/post/publish/video/init/"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json; charset=UTF-8"
    body = json.loads(request.content)
    assert body["source_info"] == {
        "source": "FILE_UPLOAD",
        "video_size": 50_000_123,
        "chunk_size": 10_000_000,
        "total_chunk_count": 5,
    }
    assert body["post_info"]["privacy_level"] == "SELF_ONLY"
    assert init.upload_url == upload_url
    assert "abcDEF123" not in repr(init)


async def test_photo_post_pulls_from_urls_with_the_mode_scope():
    canned = Canned(ok({"publish_id": "p_pub_url~v2.1"}), failure(401, "scope_not_authorized"))
    info = PhotoPostInfo(title="Tour", description="dates", privacy_level="PUBLIC_TO_EVERYONE")
    async with client_for(canned) as tiktok:
        init = await tiktok.init_photo_post(
            TOKEN, mode=PostMode.DIRECT_POST, post_info=info, photo_urls=["https://m.example/1.jpg"]
        )
        with pytest.raises(ScopeMissing) as caught:
            await tiktok.init_photo_post(
                TOKEN, mode=PostMode.MEDIA_UPLOAD, post_info=info, photo_urls=["https://m.example/1.jpg"]
            )
    body = json.loads(canned.requests[0].content)
    assert init.publish_id == "p_pub_url~v2.1"
    assert body["media_type"] == "PHOTO" and body["post_mode"] == "DIRECT_POST"
    assert body["source_info"] == {
        "source": "PULL_FROM_URL",
        "photo_images": ["https://m.example/1.jpg"],
        "photo_cover_index": 0,
    }
    assert "privacy_level" not in json.loads(canned.requests[1].content)["post_info"]  # MEDIA_UPLOAD
    assert caught.value.missing_scope == "video.upload"


async def test_status_returns_misspelled_post_ids_as_strings():
    canned = Canned(
        ok(
            {
                "status": "PUBLISH_COMPLETE",
                "publicaly_available_post_id": [7391122999000111222],
                "uploaded_bytes": 50000123,
            }
        )
    )
    async with client_for(canned) as tiktok:
        status = await tiktok.publish_status(TOKEN, "v_pub_file~v2-1.7391122")
    assert status.post_ids == ("7391122999000111222",)
    assert status.is_terminal
    assert json.loads(canned.requests[0].content) == {"publish_id": "v_pub_file~v2-1.7391122"}


async def test_upload_puts_chunks_in_order_with_content_range(loopback, tmp_path: Path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(bytes(range(256)) * 50_000)  # 12.8 MB -> 2 chunks of 6 MB + remainder
    plan = ChunkPlan.for_size(video.stat().st_size, chunk_size=6_000_000)

    def answer(request: Request) -> Reply:
        last = int(request.headers["content-range"].split("-")[1].split("/")[0])
        done = last == plan.video_size - 1
        return Reply(201 if done else 206, headers={"Content-Range": f"bytes 0-{last}/{plan.video_size}"})

    server = loopback(answer)
    async with TikTokClient(server.url) as tiktok:
        await tiktok.upload_video(f"{server.url}/video/?upload_id=1&upload_token=t0k3n", video, plan)
    ranges = [r.headers["content-range"] for r in server.requests]
    assert ranges == ["bytes 0-5999999/12800000", "bytes 6000000-12799999/12800000"]
    assert [len(r.body) for r in server.requests] == [6_000_000, 6_800_000]
    assert all(r.headers["content-type"] == "video/mp4" for r in server.requests)
    assert b"".join(r.body for r in server.requests) == video.read_bytes()
    assert server.requests[0].query == {"upload_id": "1", "upload_token": "t0k3n"}  # upload URL verbatim
    assert "authorization" not in server.requests[0].headers


async def test_upload_resumes_from_tiktoks_progress_after_416_and_retries_5xx(loopback, tmp_path: Path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"v" * 16_000_000)
    plan = ChunkPlan.for_size(16_000_000, chunk_size=5_300_000)  # 3 chunks: 0, 5.3M, 10.6M
    script = iter(
        [
            Reply(206, headers={"Content-Range": "bytes 0-5299999/16000000"}),
            Reply(503),  # chunk 2: retried
            Reply(206, headers={"Content-Range": "bytes 0-10599999/16000000"}),
            Reply(201),
        ]
    )
    server = loopback(lambda request: next(script))
    async with TikTokClient(server.url, chunk_retry_delay_s=0) as tiktok:
        await tiktok.upload_video(f"{server.url}/video/?upload_id=2", video, plan)
    assert [r.headers["content-range"].split("/")[0] for r in server.requests] == [
        "bytes 0-5299999",
        "bytes 5300000-10599999",
        "bytes 5300000-10599999",
        "bytes 10600000-15999999",
    ]

    script = iter(
        [
            Reply(416, headers={"Content-Range": "bytes 0-10599999/16000000"}),  # TikTok already has 2 chunks
            Reply(201),
        ]
    )
    server = loopback(lambda request: next(script))
    async with TikTokClient(server.url) as tiktok:
        await tiktok.upload_video(f"{server.url}/video/?upload_id=3", video, plan)
    assert [r.headers["content-range"].split("/")[0] for r in server.requests] == [
        "bytes 0-5299999",
        "bytes 10600000-15999999",
    ]


async def test_expired_upload_url_means_start_the_publish_again(loopback, tmp_path: Path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"v" * 1000)
    server = loopback(lambda request: Reply(403, body=b"expired"))
    async with TikTokClient(server.url) as tiktok:
        with pytest.raises(TransientError) as caught:
            await tiktok.upload_video(
                f"{server.url}/video/?upload_token=secret-upload-token", video, ChunkPlan.for_size(1000)
            )
    assert caught.value.http_status == 403
    assert "secret-upload-token" not in str(caught.value) + json.dumps(caught.value.payload)


# --- display API ---------------------------------------------------------------------------------


async def test_user_info_asks_only_fields_of_granted_scopes():
    canned = Canned(ok({"user": {"open_id": "-000aBcD123", "display_name": "Acme", "follower_count": 5120}}))
    async with client_for(canned) as tiktok:
        user = await tiktok.user_info(TOKEN, ["user.info.basic", "user.info.stats"])
    fields = canned.requests[0].url.params["fields"].split(",")
    assert "follower_count" in fields and "username" not in fields
    assert (user.follower_count, user.display_name, user.bio_description) == (5120, "Acme", None)


async def test_video_list_iterates_every_page_by_cursor():
    pages = [
        ok({"videos": [{"id": "3"}, {"id": "2"}], "cursor": 1700000000000, "has_more": True}),
        ok({"videos": [], "cursor": 1690000000000, "has_more": True}),  # fewer than max_count, more to come
        ok({"videos": [{"id": "1", "view_count": 10}], "cursor": 1680000000000, "has_more": False}),
    ]
    canned = Canned(*pages)
    async with client_for(canned) as tiktok:
        videos = [video async for video in tiktok.iter_videos(TOKEN)]
    assert [v.id for v in videos] == ["3", "2", "1"]
    assert videos[-1].view_count == 10
    cursors = [json.loads(r.content).get("cursor") for r in canned.requests]
    assert cursors == [None, 1700000000000, 1690000000000]


async def test_video_query_batches_ids_by_twenty():
    def answer(request: httpx.Request) -> Reply:
        ids = json.loads(request.content)["filters"]["video_ids"]
        return ok({"videos": [{"id": video_id, "like_count": 1} for video_id in ids]})

    canned = Canned(answer)
    ids = [str(7391122999000111000 + n) for n in range(45)]
    async with client_for(canned) as tiktok:
        videos = await tiktok.query_videos(TOKEN, ids)
    assert [len(json.loads(r.content)["filters"]["video_ids"]) for r in canned.requests] == [20, 20, 5]
    assert [v.id for v in videos] == ids


async def test_upload_restarts_at_the_first_chunk_when_tiktok_holds_nothing(loopback, tmp_path: Path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"v" * 11_000_000)
    plan = ChunkPlan.for_size(11_000_000, chunk_size=5_500_000)
    script = iter([Reply(416, headers={"Content-Range": "bytes 0-0/11000000"}), Reply(206), Reply(201)])
    server = loopback(lambda request: next(script))
    async with TikTokClient(server.url) as tiktok:
        await tiktok.upload_video(f"{server.url}/video/?upload_id=4", video, plan)
    assert [r.headers["content-range"].split("/")[0] for r in server.requests] == [
        "bytes 0-5499999",
        "bytes 0-5499999",
        "bytes 5500000-10999999",
    ]


async def test_upload_gives_up_when_tiktok_keeps_refusing_ranges(loopback, tmp_path: Path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"v" * 1000)
    server = loopback(lambda request: Reply(416, headers={"Content-Range": "bytes 0-0/1000"}))
    async with TikTokClient(server.url) as tiktok:
        with pytest.raises(PermanentError):
            await tiktok.upload_video(f"{server.url}/video/?upload_id=5", video, ChunkPlan.for_size(1000))
    assert len(server.requests) == 2

"""TikTok Content Posting + Display API behaviour, over real HTTP against the sandbox."""

import base64
import hashlib
import os
from urllib.parse import parse_qs, urlsplit

import httpx

from azmth_sandbox.testing import SandboxHandle
from tests.sandbox.conftest import MediaServer, bearer, poll

MIB = 1024 * 1024


def _direct_init(http: httpx.Client, token: str, source_info: dict, privacy: str = "PUBLIC_TO_EVERYONE"):
    return http.post(
        "/tiktok/v2/post/publish/video/init/",
        headers={"Authorization": f"Bearer {token}"},
        json={"post_info": {"title": "New single out now", "privacy_level": privacy}, "source_info": source_info},
    )


def _status(http: httpx.Client, token: str, publish_id: str) -> dict:
    response = http.post(
        "/tiktok/v2/post/publish/status/fetch/",
        headers={"Authorization": f"Bearer {token}"},
        json={"publish_id": publish_id},
    )
    assert response.status_code == 200, response.text
    return response.json()


def _settled(body: dict) -> bool:
    return body["data"]["status"] not in ("PROCESSING_UPLOAD", "PROCESSING_DOWNLOAD")


def test_creator_info_lists_privacy_options_for_the_account(sandbox: SandboxHandle, http: httpx.Client) -> None:
    public = sandbox.create_account("tiktok", "loud_artist", max_video_post_duration_sec=300)
    private = sandbox.create_account("tiktok", "quiet_artist", privacy="private")
    body = http.post("/tiktok/v2/post/publish/creator_info/query/", headers=bearer(public)).json()
    assert body["error"]["code"] == "ok" and body["error"]["log_id"]
    assert body["data"]["privacy_level_options"] == ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
    assert body["data"]["max_video_post_duration_sec"] == 300
    body = http.post("/tiktok/v2/post/publish/creator_info/query/", headers=bearer(private)).json()
    assert body["data"]["privacy_level_options"][0] == "FOLLOWER_OF_CREATOR"


def test_creator_info_reports_spam_risk_with_http_200(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("tiktok", "banned", posting_blocked="spam_risk_too_many_posts")
    response = http.post("/tiktok/v2/post/publish/creator_info/query/", headers=bearer(account))
    assert response.status_code == 200
    assert response.json()["error"]["code"] == "spam_risk_too_many_posts"


def test_token_without_publish_scope_is_refused(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("tiktok", "reader", scopes=["user.info.basic", "video.list"])
    response = _direct_init(
        http,
        account.access_token,
        {"source": "FILE_UPLOAD", "video_size": 10, "chunk_size": 10, "total_chunk_count": 1},
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "scope_not_authorized"
    assert response.json()["data"] == {}


def test_expired_token_is_access_token_invalid(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("tiktok", "sleepy")
    sandbox.advance_clock(account.expires_in + 1)
    response = http.post("/tiktok/v2/post/publish/creator_info/query/", headers=bearer(account))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "access_token_invalid"


def test_file_upload_single_chunk_publishes_with_public_post_id(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("tiktok", "uploader")
    video = (media_server.directory / "reel.mp4").read_bytes()
    size = len(video)
    init = _direct_init(
        http,
        account.access_token,
        {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": size, "total_chunk_count": 1},
    )
    assert init.status_code == 200, init.text
    data = init.json()["data"]
    assert data["publish_id"].startswith("v_pub_file~")
    assert _status(http, account.access_token, data["publish_id"])["data"]["status"] == "PROCESSING_UPLOAD"
    put = httpx.put(
        data["upload_url"],
        content=video,
        headers={"Content-Type": "video/mp4", "Content-Range": f"bytes 0-{size - 1}/{size}"},
    )
    assert put.status_code == 201
    assert put.headers["content-range"] == f"bytes 0-{size - 1}/{size}"
    final = poll(lambda: _status(http, account.access_token, data["publish_id"]), _settled)["data"]
    assert final["status"] == "PUBLISH_COMPLETE"
    assert final["uploaded_bytes"] == size
    [post_id] = final["publicaly_available_post_id"]
    assert isinstance(post_id, int)
    [published] = sandbox.published("tiktok")
    assert published["remote_id"] == str(post_id) and published["text"] == "New single out now"


def test_chunk_rules_follow_the_media_transfer_guide(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("tiktok", "chunky")
    ok = _direct_init(
        http,
        account.access_token,
        {"source": "FILE_UPLOAD", "video_size": 50_000_123, "chunk_size": 10_000_000, "total_chunk_count": 5},
    )
    assert ok.status_code == 200
    for source in (
        {"video_size": 50_000_123, "chunk_size": 10_000_000, "total_chunk_count": 6},  # not floor(size/chunk)
        {"video_size": 4_000_000, "chunk_size": 1_000_000, "total_chunk_count": 4},  # < 5 MB must be one chunk
        {"video_size": 100_000_000, "chunk_size": 100_000_000, "total_chunk_count": 1},  # > 64 MB needs chunks
    ):
        bad = _direct_init(http, account.access_token, {"source": "FILE_UPLOAD", **source})
        assert bad.status_code == 400, source
        assert bad.json()["error"]["code"] == "invalid_param"


def test_chunks_must_arrive_in_order_and_the_last_absorbs_the_remainder(
    sandbox: SandboxHandle, http: httpx.Client
) -> None:
    account = sandbox.create_account("tiktok", "sequential")
    chunk, size = 5 * MIB, 11 * MIB + 7
    video = os.urandom(size)  # not a video: processing must fail the format check after upload
    init = _direct_init(
        http,
        account.access_token,
        {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk, "total_chunk_count": 2},
    )
    upload_url = init.json()["data"]["upload_url"]
    headers = {"Content-Type": "video/mp4"}
    skipped = httpx.put(
        upload_url, content=video[chunk:], headers={**headers, "Content-Range": f"bytes {chunk}-{size - 1}/{size}"}
    )
    assert skipped.status_code == 416
    assert skipped.headers["content-range"] == f"bytes 0-0/{size}"
    no_range = httpx.put(upload_url, content=video[:chunk], headers=headers)
    assert no_range.status_code == 400
    first = httpx.put(
        upload_url, content=video[:chunk], headers={**headers, "Content-Range": f"bytes 0-{chunk - 1}/{size}"}
    )
    assert first.status_code == 206
    assert first.headers["content-range"] == f"bytes 0-{chunk - 1}/{size}"
    last = httpx.put(
        upload_url, content=video[chunk:], headers={**headers, "Content-Range": f"bytes {chunk}-{size - 1}/{size}"}
    )
    assert last.status_code == 201
    final = poll(lambda: _status(http, account.access_token, init.json()["data"]["publish_id"]), _settled)
    assert final["data"]["status"] == "FAILED"
    assert final["data"]["fail_reason"] == "file_format_check_failed"


def test_upload_url_expires_after_an_hour(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("tiktok", "late")
    init = _direct_init(
        http,
        account.access_token,
        {"source": "FILE_UPLOAD", "video_size": 10, "chunk_size": 10, "total_chunk_count": 1},
    )
    sandbox.advance_clock(3601)
    put = httpx.put(
        init.json()["data"]["upload_url"],
        content=b"0123456789",
        headers={"Content-Type": "video/mp4", "Content-Range": "bytes 0-9/10"},
    )
    assert put.status_code == 403


def test_pull_from_url_needs_a_verified_prefix(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("tiktok", "puller")
    refused = _direct_init(
        http, account.access_token, {"source": "PULL_FROM_URL", "video_url": media_server.url("reel.mp4")}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "url_ownership_unverified"
    sandbox.configure(tiktok_verified_url_prefixes=[media_server.base_url + "/"])
    init = _direct_init(
        http, account.access_token, {"source": "PULL_FROM_URL", "video_url": media_server.url("reel.mp4")}
    )
    assert init.status_code == 200
    publish_id = init.json()["data"]["publish_id"]
    assert publish_id.startswith("v_pub_url~")
    final = poll(lambda: _status(http, account.access_token, publish_id), _settled)["data"]
    assert final["status"] == "PUBLISH_COMPLETE"
    assert final["downloaded_bytes"] == (media_server.directory / "reel.mp4").stat().st_size


def test_video_longer_than_the_creator_may_post_fails_duration_check(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    sandbox.configure(tiktok_verified_url_prefixes=[media_server.base_url])
    account = sandbox.create_account("tiktok", "short_only", max_video_post_duration_sec=3)
    init = _direct_init(
        http, account.access_token, {"source": "PULL_FROM_URL", "video_url": media_server.url("reel.mp4")}
    )
    final = poll(lambda: _status(http, account.access_token, init.json()["data"]["publish_id"]), _settled)
    assert final["data"]["status"] == "FAILED"
    assert final["data"]["fail_reason"] == "duration_check_failed"
    assert sandbox.published("tiktok") == []


def test_unreachable_url_fails_with_video_pull_failed(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    sandbox.configure(tiktok_verified_url_prefixes=[media_server.base_url])
    account = sandbox.create_account("tiktok", "broken_link")
    init = _direct_init(
        http, account.access_token, {"source": "PULL_FROM_URL", "video_url": media_server.url("missing.mp4")}
    )
    final = poll(lambda: _status(http, account.access_token, init.json()["data"]["publish_id"]), _settled)
    assert final["data"]["fail_reason"] == "video_pull_failed"


def test_inbox_upload_ends_in_the_user_inbox(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    sandbox.configure(tiktok_verified_url_prefixes=[media_server.base_url])
    account = sandbox.create_account("tiktok", "drafter", scopes=["user.info.basic", "video.upload"])
    init = http.post(
        "/tiktok/v2/post/publish/inbox/video/init/",
        headers=bearer(account),
        json={"source_info": {"source": "PULL_FROM_URL", "video_url": media_server.url("reel.mp4")}},
    )
    assert init.status_code == 200, init.text
    assert init.json()["data"]["publish_id"].startswith("v_inbox_url~")
    final = poll(lambda: _status(http, account.access_token, init.json()["data"]["publish_id"]), _settled)
    assert final["data"]["status"] == "SEND_TO_USER_INBOX"


def test_privacy_level_must_be_one_of_the_creator_options(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("tiktok", "privateish", privacy="private")
    response = _direct_init(
        http,
        account.access_token,
        {"source": "FILE_UPLOAD", "video_size": 10, "chunk_size": 10, "total_chunk_count": 1},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "privacy_level_option_mismatch"


def test_unaudited_client_may_only_post_privately_to_private_accounts(
    sandbox: SandboxHandle, http: httpx.Client
) -> None:
    sandbox.create_app("tiktok", "unaudited-app", "secret", audited=False)
    account = sandbox.create_account("tiktok", "public_artist")
    token = sandbox.state.issue_token(
        sandbox.state.accounts[account.id], client_id="unaudited-app", lifetime_s=3600, prefix="act."
    )
    response = _direct_init(
        http,
        token.value,
        {"source": "FILE_UPLOAD", "video_size": 10, "chunk_size": 10, "total_chunk_count": 1},
        privacy="SELF_ONLY",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "unaudited_client_can_only_post_to_private_accounts"


def test_init_is_limited_to_six_per_minute_per_token(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("tiktok", "eager")
    source = {"source": "FILE_UPLOAD", "video_size": 10, "chunk_size": 10, "total_chunk_count": 1}
    codes = [_direct_init(http, account.access_token, source).status_code for _ in range(7)]
    assert codes == [200] * 6 + [429]
    sandbox.advance_clock(61)
    assert _direct_init(http, account.access_token, source).status_code == 200


def test_video_query_counts_grow_with_sandbox_time(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    sandbox.configure(tiktok_verified_url_prefixes=[media_server.base_url])
    account = sandbox.create_account("tiktok", "grower")
    init = _direct_init(
        http, account.access_token, {"source": "PULL_FROM_URL", "video_url": media_server.url("reel.mp4")}
    )
    final = poll(lambda: _status(http, account.access_token, init.json()["data"]["publish_id"]), _settled)
    [post_id] = final["data"]["publicaly_available_post_id"]

    def query() -> dict:
        response = http.post(
            "/tiktok/v2/video/query/?fields=id,view_count,like_count,comment_count,share_count",
            headers=bearer(account),
            json={"filters": {"video_ids": [str(post_id), "123"]}},
        )
        assert response.status_code == 200, response.text
        [video] = response.json()["data"]["videos"]
        return video

    sandbox.advance_clock(60)
    early = query()
    sandbox.advance_clock(20 * 3600)  # the next day's pull, inside the token's 24 h
    later = query()
    assert early["id"] == str(post_id)
    assert later["view_count"] > early["view_count"] > 0
    assert later["like_count"] >= early["like_count"]
    listed = http.post("/tiktok/v2/video/list/?fields=id,create_time", headers=bearer(account), json={}).json()
    assert [v["id"] for v in listed["data"]["videos"]] == [str(post_id)]
    info = http.get("/tiktok/v2/user/info/?fields=open_id,follower_count,video_count", headers=bearer(account))
    assert info.json()["data"]["user"]["video_count"] == 1


def _authorize(http: httpx.Client, params: dict) -> dict[str, list[str]]:
    response = http.get("/tiktok-www/v2/auth/authorize/", params=params)
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)


def test_oauth_code_exchange_with_pkce_and_rotating_refresh(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("tiktok", "connecting")
    verifier = "v" * 64
    # TikTok's desktop flow hex-encodes the SHA-256 challenge (developers.tiktok.com/doc/login-kit-desktop).
    challenge = hashlib.sha256(verifier.encode()).hexdigest()
    query = _authorize(
        http,
        {
            "client_key": "sandbox-tiktok-client",
            "response_type": "code",
            "scope": "user.info.basic,video.publish",
            "redirect_uri": "http://127.0.0.1/cb",
            "state": "xyz",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert query["state"] == ["xyz"]
    form = {
        "client_key": "sandbox-tiktok-client",
        "client_secret": "sandbox-tiktok-secret",
        "code": query["code"][0],
        "grant_type": "authorization_code",
        "redirect_uri": "http://127.0.0.1/cb",
        "code_verifier": verifier,
    }
    token = http.post("/tiktok/v2/oauth/token/", data=form)
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["open_id"] == account.remote_id
    assert body["scope"] == "user.info.basic,video.publish"
    reused = http.post("/tiktok/v2/oauth/token/", data=form)
    assert reused.json()["error"] == "invalid_grant"
    refresh_form = {
        "client_key": "sandbox-tiktok-client",
        "client_secret": "sandbox-tiktok-secret",
        "grant_type": "refresh_token",
        "refresh_token": body["refresh_token"],
    }
    refreshed = http.post("/tiktok/v2/oauth/token/", data=refresh_form).json()
    assert refreshed["refresh_token"] != body["refresh_token"]
    again = http.post("/tiktok/v2/oauth/token/", data=refresh_form)
    assert again.json()["error"] == "invalid_grant"


def test_oauth_denied_and_wrong_verifier(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("tiktok", "undecided")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(b"right").digest()).rstrip(b"=").decode()
    params = {
        "client_key": "sandbox-tiktok-client",
        "response_type": "code",
        "scope": "video.publish",
        "redirect_uri": "http://127.0.0.1/cb",
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    query = _authorize(http, params)
    bad = http.post(
        "/tiktok/v2/oauth/token/",
        data={
            "client_key": "sandbox-tiktok-client",
            "client_secret": "sandbox-tiktok-secret",
            "code": query["code"][0],
            "grant_type": "authorization_code",
            "redirect_uri": "http://127.0.0.1/cb",
            "code_verifier": "wrong",
        },
    )
    assert bad.json()["error"] == "invalid_grant"
    sandbox.set_oauth_user("tiktok", account.id, decision="deny")
    assert _authorize(http, params)["error"] == ["access_denied"]

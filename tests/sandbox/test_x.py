"""X API v2 behaviour, over real HTTP against the sandbox."""

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import httpx

from azmth_sandbox.testing import SandboxAccount, SandboxHandle
from tests.sandbox.conftest import MediaServer, bearer, poll


def test_post_text_then_look_it_up_with_metrics(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("x", "tweeter")
    created = http.post("/x/2/tweets", headers=bearer(account), json={"text": "Launch day! https://example.com/s"})
    assert created.status_code == 201, created.text
    assert created.headers["x-rate-limit-limit"] == "100"
    assert created.headers["x-rate-limit-remaining"] == "99"
    tweet_id = created.json()["data"]["id"]
    sandbox.advance_clock(3600)
    lookup = http.get(
        "/x/2/tweets",
        headers=bearer(account),
        params={"ids": f"{tweet_id},1", "tweet.fields": "public_metrics,non_public_metrics,created_at"},
    ).json()
    [tweet] = lookup["data"]
    assert set(tweet["public_metrics"]) == {
        "retweet_count",
        "reply_count",
        "like_count",
        "quote_count",
        "bookmark_count",
        "impression_count",
    }
    assert tweet["public_metrics"]["impression_count"] > 0
    assert tweet["non_public_metrics"]["impression_count"] == tweet["public_metrics"]["impression_count"]
    [missing] = lookup["errors"]
    assert missing["resource_id"] == "1" and missing["type"].endswith("/resource-not-found")
    me = http.get("/x/2/users/me", headers=bearer(account), params={"user.fields": "public_metrics"}).json()
    assert me["data"]["username"] == "tweeter" and me["data"]["public_metrics"]["tweet_count"] == 1


def test_weighted_length_counts_urls_as_23_and_cjk_as_two(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("x", "counter")
    url_heavy = "a" * 250 + " https://example.com/" + "x" * 200  # 250 + 1 + 23 = 274 weighted
    assert http.post("/x/2/tweets", headers=bearer(account), json={"text": url_heavy}).status_code == 201
    cjk = "日" * 141  # 282 weighted
    assert http.post("/x/2/tweets", headers=bearer(account), json={"text": cjk}).status_code == 403


def test_duplicate_text_is_forbidden(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("x", "repeater")
    assert http.post("/x/2/tweets", headers=bearer(account), json={"text": "same"}).status_code == 201
    again = http.post("/x/2/tweets", headers=bearer(account), json={"text": "same"})
    assert again.status_code == 403
    assert "duplicate content" in again.json()["detail"]
    assert len(sandbox.published("x")) == 1


def test_free_tier_cannot_read_tweets_until_upgraded(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("x", "free_user", tier="free")
    tweet_id = http.post("/x/2/tweets", headers=bearer(account), json={"text": "hi"}).json()["data"]["id"]
    forbidden = http.get("/x/2/tweets", headers=bearer(account), params={"ids": tweet_id})
    assert forbidden.status_code == 403
    assert forbidden.json()["reason"] == "client-not-enrolled"
    assert forbidden.json()["type"] == "https://api.twitter.com/2/problems/client-forbidden"
    assert http.get("/x/2/users/me", headers=bearer(account)).status_code == 200
    sandbox.update_account(account.id, tier="basic")
    assert http.get("/x/2/tweets", headers=bearer(account), params={"ids": tweet_id}).status_code == 200


def test_rate_limit_answers_429_with_reset_headers_in_both_shapes(sandbox: SandboxHandle, http: httpx.Client) -> None:
    sandbox.set_limits(x_create_tweets_per_15min=1)
    account = sandbox.create_account("x", "limited")
    assert http.post("/x/2/tweets", headers=bearer(account), json={"text": "one"}).status_code == 201
    limited = http.post("/x/2/tweets", headers=bearer(account), json={"text": "two"})
    assert limited.status_code == 429
    assert limited.headers["x-rate-limit-remaining"] == "0"
    assert int(limited.headers["x-rate-limit-reset"]) > sandbox.now()
    assert limited.json() == {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}
    sandbox.set_limits(x_rate_limit_body="problem")
    assert http.post("/x/2/tweets", headers=bearer(account), json={"text": "three"}).json()["title"] == (
        "Too Many Requests"
    )
    sandbox.advance_clock(901)
    assert http.post("/x/2/tweets", headers=bearer(account), json={"text": "four"}).status_code == 201


def test_missing_scope_is_403_and_bad_token_401(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("x", "read_only", scopes=["tweet.read", "users.read"])
    assert http.post("/x/2/tweets", headers=bearer(account), json={"text": "x"}).status_code == 403
    assert http.get("/x/2/users/me", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_chunked_video_upload_processes_then_attaches(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("x", "video_poster")
    video = (media_server.directory / "reel.mp4").read_bytes()
    init = http.post(
        "/x/2/media/upload/initialize",
        headers=bearer(account),
        json={"media_type": "video/mp4", "total_bytes": len(video), "media_category": "tweet_video"},
    ).json()["data"]
    media_id = init["id"]
    half = len(video) // 2
    for index, chunk in enumerate((video[:half], video[half:])):
        appended = http.post(
            f"/x/2/media/upload/{media_id}/append",
            headers=bearer(account),
            data={"segment_index": str(index)},
            files={"media": ("blob", chunk)},
        )
        assert appended.status_code == 200, appended.text
    final = http.post(f"/x/2/media/upload/{media_id}/finalize", headers=bearer(account)).json()["data"]
    assert final["processing_info"]["state"] == "pending"

    def status() -> dict:
        return http.get(
            "/x/2/media/upload", headers=bearer(account), params={"command": "STATUS", "media_id": media_id}
        ).json()["data"]["processing_info"]

    assert poll(status, lambda info: info["state"] in ("succeeded", "failed"))["state"] == "succeeded"
    tweet = http.post("/x/2/tweets", headers=bearer(account), json={"text": "clip", "media": {"media_ids": [media_id]}})
    assert tweet.status_code == 201, tweet.text


def test_unprocessed_or_foreign_media_ids_are_invalid(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("x", "sloppy")
    response = http.post("/x/2/tweets", headers=bearer(account), json={"text": "t", "media": {"media_ids": ["42"]}})
    assert response.status_code == 400
    assert response.json()["type"] == "https://api.x.com/2/problems/invalid-request"


def _upload_square_image(http: httpx.Client, account: SandboxAccount, media_server: MediaServer) -> httpx.Response:
    image = (media_server.directory / "square.jpg").read_bytes()
    return http.post(
        "/x/2/media/upload",
        headers=bearer(account),
        data={"media_category": "tweet_image"},
        files={"media": ("a.jpg", image, "image/jpeg")},
    )


def test_simple_image_upload_needs_no_processing(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("x", "photographer")
    uploaded = _upload_square_image(http, account, media_server)
    assert uploaded.status_code == 200, uploaded.text
    data = uploaded.json()["data"]
    assert "processing_info" not in data
    tweet = http.post("/x/2/tweets", headers=bearer(account), json={"media": {"media_ids": [data["id"]]}})
    assert tweet.status_code == 201


def test_text_comes_back_as_x_rewrites_it_escaped_with_t_co_links(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("x", "rewritten")
    media_id = _upload_square_image(http, account, media_server).json()["data"]["id"]
    typed = "R&B <live> at nova.band/tour"
    created = http.post(
        "/x/2/tweets", headers=bearer(account), json={"text": typed, "media": {"media_ids": [media_id]}}
    )
    shown = created.json()["data"]["text"]
    assert re.fullmatch(r"R&amp;B &lt;live&gt; at https://t\.co/\w{10} https://t\.co/\w{10}", shown), shown
    tweet_id = created.json()["data"]["id"]
    lookup = http.get("/x/2/tweets", headers=bearer(account), params={"ids": tweet_id}).json()
    assert lookup["data"][0]["text"] == shown  # the same links on every read
    assert [p["text"] for p in sandbox.published("x", account.id)] == [typed]  # admins see what was typed


def test_oauth_pkce_flow_with_offline_access_and_rotation(sandbox: SandboxHandle, http: httpx.Client) -> None:
    sandbox.create_account("x", "oauth_x")
    verifier = "challenge-verifier-" + "k" * 30
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = http.get(
        "/x-www/i/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": "sandbox-x-client",
            "redirect_uri": "http://127.0.0.1/cb",
            "scope": "tweet.read tweet.write users.read offline.access",
            "state": "abc",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    query = parse_qs(urlsplit(redirect.headers["location"]).query)
    assert query["state"] == ["abc"]
    basic = base64.b64encode(b"sandbox-x-client:sandbox-x-secret").decode()
    token = http.post(
        "/x/2/oauth2/token",
        headers={"Authorization": f"Basic {basic}"},
        data={
            "code": query["code"][0],
            "grant_type": "authorization_code",
            "redirect_uri": "http://127.0.0.1/cb",
            "code_verifier": verifier,
        },
    ).json()
    assert token["token_type"] == "bearer" and token["expires_in"] == 7200
    assert token["scope"] == "offline.access tweet.read tweet.write users.read"
    refresh = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"], "client_id": "sandbox-x-client"}
    rotated = http.post("/x/2/oauth2/token", data=refresh)
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != token["refresh_token"]
    assert http.post("/x/2/oauth2/token", data=refresh).status_code == 400

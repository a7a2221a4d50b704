"""Threads API behaviour, over real HTTP against the sandbox."""

from urllib.parse import parse_qs, urlsplit

import httpx

from azmth_sandbox.testing import SandboxAccount, SandboxHandle
from tests.sandbox.conftest import MediaServer, poll

V = "/threads/v1.0"


def _auth(account: SandboxAccount, **extra: str) -> dict[str, str]:
    return {"access_token": account.access_token, **extra}


def _status(http: httpx.Client, account: SandboxAccount, container_id: str) -> dict:
    return http.get(f"{V}/{container_id}", params=_auth(account, fields="status,error_message")).json()


def test_text_post_is_created_processed_and_published(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("threads", "wordsmith")
    created = http.post(f"{V}/me/threads", data=_auth(account, media_type="TEXT", text="Out Friday."))
    assert created.status_code == 200, created.text
    container_id = created.json()["id"]
    poll(lambda: _status(http, account, container_id), lambda s: s["status"] == "FINISHED")
    published = http.post(f"{V}/{account.remote_id}/threads_publish", data=_auth(account, creation_id=container_id))
    assert published.status_code == 200, published.text
    media_id = published.json()["id"]
    media = http.get(f"{V}/{media_id}", params=_auth(account, fields="text,media_type,permalink")).json()
    assert media["text"] == "Out Friday." and media["media_type"] == "TEXT_POST"
    limit = http.get(f"{V}/me/threads_publishing_limit", params=_auth(account, fields="quota_usage,config")).json()
    assert limit["data"] == [{"quota_usage": 1, "config": {"quota_total": 250, "quota_duration": 86400}}]
    assert [row["remote_id"] for row in sandbox.published("threads")] == [media_id]


def test_text_over_500_characters_is_refused(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("threads", "verbose")
    response = http.post(f"{V}/me/threads", data=_auth(account, media_type="TEXT", text="a" * 501))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100


def test_unreachable_video_ends_failed_downloading_video(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("threads", "filmmaker")
    container_id = http.post(
        f"{V}/me/threads", data=_auth(account, media_type="VIDEO", video_url=media_server.url("missing.mp4"))
    ).json()["id"]
    status = poll(lambda: _status(http, account, container_id), lambda s: s["status"] != "IN_PROGRESS")
    assert status == {"status": "ERROR", "error_message": "FAILED_DOWNLOADING_VIDEO", "id": container_id}
    refused = http.post(f"{V}/me/threads_publish", data=_auth(account, creation_id=container_id))
    assert refused.status_code == 400


def test_video_post_and_insights_that_grow(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("threads", "viewer_magnet")
    container_id = http.post(
        f"{V}/me/threads", data=_auth(account, media_type="VIDEO", video_url=media_server.url("reel.mp4"), text="clip")
    ).json()["id"]
    poll(lambda: _status(http, account, container_id), lambda s: s["status"] == "FINISHED")
    media_id = http.post(f"{V}/me/threads_publish", data=_auth(account, creation_id=container_id)).json()["id"]

    def insights() -> dict[str, int]:
        body = http.get(
            f"{V}/{media_id}/insights", params=_auth(account, metric="views,likes,replies,reposts,quotes,shares")
        ).json()
        return {row["name"]: row["values"][0]["value"] for row in body["data"]}

    sandbox.advance_clock(60)
    early = insights()
    sandbox.advance_clock(3 * 86400)
    late = insights()
    assert late["views"] > early["views"]
    user = http.get(f"{V}/me/threads_insights", params=_auth(account, metric="followers_count,likes")).json()
    followers = next(row for row in user["data"] if row["name"] == "followers_count")
    assert followers["total_value"]["value"] > 0


def test_publishing_without_permission_is_refused(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("threads", "lurker", scopes=["threads_basic"])
    response = http.post(f"{V}/me/threads", data=_auth(account, media_type="TEXT", text="hi"))
    assert response.status_code == 403
    assert "threads_content_publish" in response.json()["error"]["message"]


def test_oauth_code_long_lived_and_refresh_rules(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("threads", "oauth_user")
    redirect = http.get(
        "/threads-www/oauth/authorize",
        params={
            "client_id": "sandbox-threads-client",
            "redirect_uri": "http://127.0.0.1/cb",
            "scope": "threads_basic,threads_content_publish",
            "response_type": "code",
            "state": "q",
        },
    )
    code = parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]
    short = http.post(
        "/threads/oauth/access_token",
        data={
            "client_id": "sandbox-threads-client",
            "client_secret": "sandbox-threads-secret",
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": "http://127.0.0.1/cb",
        },
    ).json()
    assert short["user_id"] == int(account.remote_id)
    long = http.get(
        "/threads/access_token",
        params={
            "grant_type": "th_exchange_token",
            "client_secret": "sandbox-threads-secret",
            "access_token": short["access_token"],
        },
    ).json()
    assert long["expires_in"] == 5183944
    too_soon = http.get(
        "/threads/refresh_access_token", params={"grant_type": "th_refresh_token", "access_token": long["access_token"]}
    )
    assert too_soon.status_code == 400
    sandbox.advance_clock(86401)
    refreshed = http.get(
        "/threads/refresh_access_token", params={"grant_type": "th_refresh_token", "access_token": long["access_token"]}
    )
    assert refreshed.status_code == 200 and refreshed.json()["expires_in"] == 5183944

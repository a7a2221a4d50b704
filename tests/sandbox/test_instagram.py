"""Instagram Graph API (Facebook Login) behaviour, over real HTTP against the sandbox."""

from urllib.parse import parse_qs, urlsplit

import httpx

from azmth_sandbox.testing import SandboxAccount, SandboxHandle
from tests.sandbox.conftest import MediaServer, poll

V = "/instagram/v25.0"


def _params(account: SandboxAccount, **extra: str) -> dict[str, str]:
    return {"access_token": account.access_token, **extra}


def _create(http: httpx.Client, account: SandboxAccount, **fields: str) -> httpx.Response:
    return http.post(f"{V}/{account.remote_id}/media", data=_params(account, **fields))


def _status(http: httpx.Client, account: SandboxAccount, container_id: str) -> dict:
    return http.get(f"{V}/{container_id}", params=_params(account, fields="status_code,status")).json()


def _publish(http: httpx.Client, account: SandboxAccount, container_id: str) -> httpx.Response:
    return http.post(f"{V}/{account.remote_id}/media_publish", data=_params(account, creation_id=container_id))


def _error(response: httpx.Response) -> dict:
    assert response.status_code == 400, response.text
    return response.json()["error"]


def test_pages_lead_to_the_instagram_business_account(sandbox: SandboxHandle, http: httpx.Client) -> None:
    linked = sandbox.create_account("instagram", "band_official")
    unlinked = sandbox.create_account("instagram", "no_business", has_ig_business_account=False)
    pages = http.get(f"{V}/me/accounts", params=_params(linked)).json()["data"]
    page = http.get(f"{V}/{pages[0]['id']}", params=_params(linked, fields="instagram_business_account")).json()
    assert page["instagram_business_account"] == {"id": linked.remote_id}
    pages = http.get(f"{V}/me/accounts", params=_params(unlinked)).json()["data"]
    page = http.get(f"{V}/{pages[0]['id']}", params=_params(unlinked, fields="instagram_business_account")).json()
    assert "instagram_business_account" not in page


def test_image_post_goes_container_finished_publish_published(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("instagram", "poster")
    created = _create(http, account, image_url=media_server.url("portrait.jpg"), caption="Tour dates! #live")
    assert created.status_code == 200, created.text
    assert "x-app-usage" in created.headers and "x-business-use-case-usage" in created.headers
    container_id = created.json()["id"]
    poll(lambda: _status(http, account, container_id), lambda s: s["status_code"] == "FINISHED")
    published = _publish(http, account, container_id)
    assert published.status_code == 200, published.text
    media_id = published.json()["id"]
    assert _status(http, account, container_id)["status_code"] == "PUBLISHED"
    fields = http.get(
        f"{V}/{media_id}",
        params=_params(account, fields="id,caption,media_type,media_product_type,permalink,like_count,comments_count"),
    ).json()
    assert fields["caption"] == "Tour dates! #live"
    assert fields["media_product_type"] == "FEED" and fields["permalink"].startswith("https://www.instagram.com/")
    [row] = sandbox.published("instagram")
    assert row["remote_id"] == media_id and row["media"] == [media_server.url("portrait.jpg")]


def test_image_outside_the_aspect_range_is_refused(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("instagram", "panoramic")
    error = _error(_create(http, account, image_url=media_server.url("panorama.jpg")))
    assert (error["code"], error["error_subcode"]) == (36003, 2207009)
    assert {"message", "type", "is_transient", "error_user_title", "error_user_msg", "fbtrace_id"} <= set(error)


def test_png_images_are_refused_as_jpeg_only(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("instagram", "png_fan")
    error = _error(_create(http, account, image_url=media_server.url("square.png")))
    assert (error["code"], error["error_subcode"]) == (36001, 2207005)


def test_unfetchable_media_url_is_error_9004(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("instagram", "dead_link")
    error = _error(_create(http, account, image_url=media_server.url("gone.jpg")))
    assert (error["code"], error["error_subcode"]) == (9004, 2207052)
    assert error["error_user_msg"] == "The media could not be fetched from this URI."


def test_reel_not_ready_cannot_be_published_until_processing_finishes(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    sandbox.configure(processing_delay_s=3600)
    account = sandbox.create_account("instagram", "reeler")
    container_id = _create(http, account, media_type="REELS", video_url=media_server.url("reel.mp4")).json()["id"]
    assert _status(http, account, container_id)["status_code"] == "IN_PROGRESS"
    error = _error(_publish(http, account, container_id))
    assert (error["code"], error["error_subcode"]) == (9007, 2207027)
    sandbox.advance_clock(3601)
    poll(lambda: _status(http, account, container_id), lambda s: s["status_code"] != "IN_PROGRESS")
    media_id = _publish(http, account, container_id).json()["id"]
    media = http.get(f"{V}/{media_id}", params=_params(account, fields="media_type,media_product_type")).json()
    assert media == {"media_type": "VIDEO", "media_product_type": "REELS", "id": media_id}


def test_reel_that_is_too_short_ends_in_error(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("instagram", "stills")
    # An image handed over as a reel is not a video: the container errors with a 2207026 status.
    container_id = _create(http, account, media_type="REELS", video_url=media_server.url("square.jpg")).json()["id"]
    status = poll(lambda: _status(http, account, container_id), lambda s: s["status_code"] != "IN_PROGRESS")
    assert status["status_code"] == "ERROR"
    assert "2207026" in status["status"]


def test_publishing_limit_stops_the_post_over_quota(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    sandbox.set_limits(instagram_quota_total=1)
    account = sandbox.create_account("instagram", "prolific")
    ids = [_create(http, account, image_url=media_server.url("square.jpg")).json()["id"] for _ in range(2)]
    for container_id in ids:
        poll(lambda cid=container_id: _status(http, account, cid), lambda s: s["status_code"] == "FINISHED")
    assert _publish(http, account, ids[0]).status_code == 200
    error = _error(_publish(http, account, ids[1]))
    assert (error["code"], error["error_subcode"]) == (9, 2207042)
    assert error["error_user_title"] == "Max posts reached"
    limit = http.get(
        f"{V}/{account.remote_id}/content_publishing_limit", params=_params(account, fields="quota_usage,config")
    ).json()
    assert limit["data"] == [{"quota_usage": 1, "config": {"quota_total": 1, "quota_duration": 86400}}]
    sandbox.advance_clock(86401)
    account_token = sandbox.issue_token(account.id)["access_token"]
    fresh = http.get(
        f"{V}/{account.remote_id}/content_publishing_limit",
        params={"access_token": account_token, "fields": "quota_usage"},
    ).json()
    assert fresh["data"] == [{"quota_usage": 0}]


def test_container_expires_after_24_hours(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("instagram", "forgetful", token_expires_in=10 * 86400)
    container_id = _create(http, account, image_url=media_server.url("square.jpg")).json()["id"]
    sandbox.advance_clock(86401)
    assert _status(http, account, container_id)["status_code"] == "EXPIRED"
    error = _error(_publish(http, account, container_id))
    assert error["error_subcode"] == 2207020


def test_expired_token_is_190_463_and_missing_permission_is_10(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("instagram", "expiring", token_expires_in=60)
    sandbox.advance_clock(61)
    error = _error(_create(http, account, image_url=media_server.url("square.jpg")))
    assert (error["code"], error["error_subcode"], error["type"]) == (190, 463, "OAuthException")
    reader = sandbox.create_account("instagram", "reader", scopes=["instagram_basic", "pages_show_list"])
    response = _create(http, reader, image_url=media_server.url("square.jpg"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == 10
    assert "instagram_content_publish" in response.json()["error"]["message"]


def test_insights_grow_and_refuse_deprecated_metrics(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("instagram", "measured", token_expires_in=10 * 86400)
    container_id = _create(http, account, image_url=media_server.url("square.jpg")).json()["id"]
    poll(lambda: _status(http, account, container_id), lambda s: s["status_code"] == "FINISHED")
    media_id = _publish(http, account, container_id).json()["id"]

    def insights() -> dict[str, int]:
        body = http.get(
            f"{V}/{media_id}/insights",
            params=_params(account, metric="views,reach,likes,comments,shares,saved,total_interactions"),
        ).json()
        return {row["name"]: row["values"][0]["value"] for row in body["data"]}

    sandbox.advance_clock(60)
    minute = insights()
    sandbox.advance_clock(86400)
    day = insights()
    assert day["views"] > minute["views"] > 0
    assert day["total_interactions"] == day["likes"] + day["comments"] + day["shares"] + day["saved"]
    deprecated = http.get(f"{V}/{media_id}/insights", params=_params(account, metric="impressions"))
    assert _error(deprecated)["code"] == 100


def test_container_error_fault_fails_the_next_container(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("instagram", "unlucky")
    sandbox.set_fault("instagram", "container_error", "Error: Media upload has failed with error code 2207001", times=1)
    first = _create(http, account, media_type="REELS", video_url=media_server.url("reel.mp4")).json()["id"]
    second = _create(http, account, media_type="REELS", video_url=media_server.url("reel.mp4")).json()["id"]
    failed = poll(lambda: _status(http, account, first), lambda s: s["status_code"] != "IN_PROGRESS")
    assert failed == {
        "status_code": "ERROR",
        "status": "Error: Media upload has failed with error code 2207001",
        "id": first,
    }
    ok = poll(lambda: _status(http, account, second), lambda s: s["status_code"] != "IN_PROGRESS")
    assert ok["status_code"] == "FINISHED"


def test_resumable_upload_through_rupload(
    sandbox: SandboxHandle, http: httpx.Client, media_server: MediaServer
) -> None:
    account = sandbox.create_account("instagram", "resumer")
    created = _create(http, account, media_type="REELS", upload_type="resumable").json()
    assert created["uri"].startswith(f"{sandbox.base_url}/rupload/ig-api-upload/v25.0/")
    video = (media_server.directory / "reel.mp4").read_bytes()
    upload = httpx.post(
        created["uri"],
        content=video,
        headers={"Authorization": f"OAuth {account.access_token}", "offset": "0", "file_size": str(len(video))},
    )
    assert upload.json() == {"success": True, "message": "Upload successful."}
    status = poll(lambda: _status(http, account, created["id"]), lambda s: s["status_code"] != "IN_PROGRESS")
    assert status["status_code"] == "FINISHED"


def test_facebook_login_code_and_long_lived_exchange(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("instagram", "logging_in")
    redirect = http.get(
        "/facebook/v25.0/dialog/oauth",
        params={
            "client_id": "sandbox-instagram-client",
            "redirect_uri": "http://127.0.0.1/cb",
            "state": "st",
            "scope": "instagram_basic,instagram_content_publish",
            "response_type": "code",
        },
    )
    query = parse_qs(urlsplit(redirect.headers["location"]).query)
    assert query["state"] == ["st"]
    short = http.get(
        f"{V}/oauth/access_token",
        params={
            "client_id": "sandbox-instagram-client",
            "client_secret": "sandbox-instagram-secret",
            "redirect_uri": "http://127.0.0.1/cb",
            "code": query["code"][0],
        },
    ).json()
    assert short["token_type"] == "bearer" and short["expires_in"] <= 7200
    long = http.get(
        f"{V}/oauth/access_token",
        params={
            "grant_type": "fb_exchange_token",
            "client_id": "sandbox-instagram-client",
            "client_secret": "sandbox-instagram-secret",
            "fb_exchange_token": short["access_token"],
        },
    ).json()
    assert long["expires_in"] == 5183944
    me = http.get(f"{V}/me", params={"access_token": long["access_token"], "fields": "id,name"}).json()
    assert me["id"] == account.fb_user_id

"""The rate_limit fault answers as each platform documents its throttling, saying when to come back where it does."""

import json

import httpx
import pytest

from azmth_sandbox.faults import parse_fault_spec
from azmth_sandbox.testing import SandboxHandle
from tests.sandbox.conftest import bearer


def test_an_x_rate_limit_resets_the_given_seconds_ahead_else_with_the_15_minute_window(
    sandbox: SandboxHandle, http: httpx.Client
) -> None:
    account = sandbox.create_account("x", "limited")
    sandbox.set_fault("x", "rate_limit", 3600, scope="publish", times=1)
    before = sandbox.now()
    limited = http.post("/x/2/tweets", headers=bearer(account), json={"text": "later"})
    assert limited.status_code == 429
    assert limited.headers["x-rate-limit-limit"] == "100"
    assert limited.headers["x-rate-limit-remaining"] == "0"
    assert before + 3600 <= int(limited.headers["x-rate-limit-reset"]) <= sandbox.now() + 3601
    assert "retry-after" not in limited.headers  # X documents no Retry-After
    assert limited.json() == {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}
    sandbox.set_fault("x", "rate_limit", scope="publish", times=1)
    before = sandbox.now()
    limited = http.post("/x/2/tweets", headers=bearer(account), json={"text": "later"})
    assert before + 900 <= int(limited.headers["x-rate-limit-reset"]) <= sandbox.now() + 901


def test_an_instagram_business_use_case_limit_says_when_access_comes_back(
    sandbox: SandboxHandle, http: httpx.Client
) -> None:
    account = sandbox.create_account("instagram", "throttled")
    sandbox.set_fault("instagram", "rate_limit", 1790, times=1)
    response = http.get(f"/instagram/v25.0/{account.remote_id}", params={"access_token": account.access_token})
    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (400, 80002)
    assert "too many calls to this Instagram account" in error["message"]
    [usage] = json.loads(response.headers["x-business-use-case-usage"])[account.remote_id]
    assert usage["type"] == "instagram"
    assert usage["call_count"] == 100
    assert usage["estimated_time_to_regain_access"] == 30  # minutes, rounded up


def test_a_threads_limit_with_seconds_reports_the_regain_time_beside_the_app_usage(
    sandbox: SandboxHandle, http: httpx.Client
) -> None:
    account = sandbox.create_account("threads", "throttled")
    sandbox.set_fault("threads", "rate_limit", 3600, times=1)
    response = http.post(
        f"/threads/v1.0/{account.remote_id}/threads",
        data={"media_type": "TEXT", "text": "later", "access_token": account.access_token},
    )
    assert response.json()["error"]["code"] == 4
    assert json.loads(response.headers["x-app-usage"])["call_count"] == 100
    [usage] = json.loads(response.headers["x-business-use-case-usage"])[account.remote_id]
    assert usage["estimated_time_to_regain_access"] == 60
    sandbox.set_fault("threads", "rate_limit", times=1)  # without seconds: the app's limit, no regain time
    response = http.get("/threads/v1.0/me", params={"access_token": account.access_token})
    assert response.json()["error"]["code"] == 4
    assert "x-business-use-case-usage" not in response.headers


def test_rate_limit_faults_take_seconds_until_the_reset_which_tiktok_never_gives(
    sandbox: SandboxHandle, http: httpx.Client
) -> None:
    assert parse_fault_spec("x:rate_limit=3600,scope=publish").value == "3600"
    for bad in ("x:rate_limit=soon", "x:rate_limit=-5"):
        with pytest.raises(ValueError):
            parse_fault_spec(bad)
    # tiktok-api-v2-rate-limit documents a 429 rate_limit_exceeded and no time to come back.
    account = sandbox.create_account("tiktok", "throttled")
    sandbox.set_fault("tiktok", "rate_limit", 3600, times=1)
    response = http.post("/tiktok/v2/post/publish/creator_info/query/", headers=bearer(account))
    assert (response.status_code, response.json()["error"]["code"]) == (429, "rate_limit_exceeded")
    assert "retry-after" not in response.headers

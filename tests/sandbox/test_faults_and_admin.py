"""Fault injection, the admin API, the env mapping and the CLI: what tests and operators rely on."""

import json

import httpx
import pytest
from typer.testing import CliRunner

from azmth_pipelines.cli.sandbox import sandbox_app
from azmth_sandbox.config import sandbox_env
from azmth_sandbox.faults import parse_fault_spec
from azmth_sandbox.testing import SandboxHandle, running_sandbox
from tests.sandbox.conftest import bearer


def test_env_points_every_client_variable_at_the_sandbox() -> None:
    env = sandbox_env("http://127.0.0.1:8700/")
    assert env == {
        "AZMTH_TIKTOK_API_URL": "http://127.0.0.1:8700/tiktok",
        "AZMTH_TIKTOK_AUTH_URL": "http://127.0.0.1:8700/tiktok-www",
        "AZMTH_INSTAGRAM_API_URL": "http://127.0.0.1:8700/instagram/v25.0",
        "AZMTH_FACEBOOK_AUTH_URL": "http://127.0.0.1:8700/facebook",
        "AZMTH_THREADS_API_URL": "http://127.0.0.1:8700/threads",
        "AZMTH_THREADS_AUTH_URL": "http://127.0.0.1:8700/threads-www",
        "AZMTH_X_API_URL": "http://127.0.0.1:8700/x",
        "AZMTH_X_AUTH_URL": "http://127.0.0.1:8700/x-www",
    }


def test_cli_env_prints_shell_exports() -> None:
    result = CliRunner().invoke(sandbox_app, ["env", "--host", "127.0.0.1", "--port", "9000"])
    assert result.exit_code == 0
    assert "export AZMTH_X_API_URL=http://127.0.0.1:9000/x" in result.output.splitlines()


def test_fixture_sets_the_client_variables(sandbox: SandboxHandle) -> None:
    import os

    assert os.environ["AZMTH_INSTAGRAM_API_URL"] == f"{sandbox.base_url}/instagram/v25.0"


def test_a_5xx_fault_limited_to_one_request_fails_exactly_one_step(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("x", "flaky")
    sandbox.set_fault("x", "status_5xx", 503, scope="publish", times=1)
    assert http.get("/x/2/users/me", headers=bearer(account)).status_code == 200  # other scope untouched
    failed = http.post("/x/2/tweets", headers=bearer(account), json={"text": "first try"})
    assert failed.status_code == 503 and failed.json()["status"] == 503
    assert http.post("/x/2/tweets", headers=bearer(account), json={"text": "first try"}).status_code == 201
    assert len(sandbox.published("x")) == 1


def test_a_lost_reply_fault_carries_the_request_out_and_answers_a_5xx(
    sandbox: SandboxHandle, http: httpx.Client
) -> None:
    account = sandbox.create_account("x", "unlucky")
    sandbox.set_fault("x", "lost_reply", 500, scope="publish", times=1)
    lost = http.post("/x/2/tweets", headers=bearer(account), json={"text": "made, answer lost"})
    assert lost.status_code == 500 and lost.json()["status"] == 500
    [post] = sandbox.published("x")
    assert post["text"] == "made, answer lost"


def test_an_http_status_fault_answers_in_the_platform_shape(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("x", "missing")
    sandbox.set_fault("x", "http_status", 404, scope=f"/users/{account.remote_id}/tweets", times=1)
    timeline = http.get(f"/x/2/users/{account.remote_id}/tweets", headers=bearer(account))
    assert timeline.status_code == 404
    assert timeline.json()["type"] == "https://api.x.com/2/problems/resource-not-found"
    assert http.get(f"/x/2/users/{account.remote_id}/tweets", headers=bearer(account)).status_code == 200


def test_error_rate_one_fails_every_matching_request_with_the_platform_envelope(
    sandbox: SandboxHandle, http: httpx.Client
) -> None:
    account = sandbox.create_account("tiktok", "doomed")
    sandbox.set_fault("tiktok", "error_rate", 1.0, scope="publish")
    response = http.post("/tiktok/v2/post/publish/creator_info/query/", headers=bearer(account))
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    sandbox.clear_faults()
    assert http.post("/tiktok/v2/post/publish/creator_info/query/", headers=bearer(account)).status_code == 200


def test_malformed_json_fault(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("instagram", "garbled")
    sandbox.set_fault("instagram", "malformed", times=1)
    response = http.get(f"/instagram/v25.0/{account.remote_id}", params={"access_token": account.access_token})
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_timeout_fault_outlasts_the_client_timeout(sandbox: SandboxHandle) -> None:
    account = sandbox.create_account("threads", "waiting")
    sandbox.set_fault("threads", "timeout", 5, times=1)
    with (
        httpx.Client(base_url=sandbox.base_url, timeout=0.3, trust_env=False) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get("/threads/v1.0/me", params={"access_token": account.access_token})


def test_rate_limit_fault_answers_meta_throttling(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("instagram", "throttled")
    sandbox.set_fault("instagram", "rate_limit", times=1)
    response = http.get(f"/instagram/v25.0/{account.remote_id}", params={"access_token": account.access_token})
    assert response.json()["error"]["code"] == 4
    assert json.loads(response.headers["x-app-usage"])["call_count"] == 100


def test_latency_fault_still_answers(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("x", "slowpoke")
    sandbox.set_fault("x", "latency", "10..30", times=2)
    assert http.get("/x/2/users/me", headers=bearer(account)).status_code == 200


def test_fault_specs_parse_and_reject_nonsense() -> None:
    rule = parse_fault_spec("instagram:error_rate=0.2,scope=publish,times=3")
    assert (rule.platform, rule.kind, rule.value, rule.scope, rule.times) == (
        "instagram",
        "error_rate",
        "0.2",
        "publish",
        3,
    )
    assert parse_fault_spec("x:lost_reply=502,scope=publish").kind == "lost_reply"
    endpoint_only = parse_fault_spec("threads:lost_reply=500,scope=/threads_publish$")
    assert endpoint_only.matches("threads", "publish", "/threads/v1.0/me/threads_publish")
    assert not endpoint_only.matches("threads", "publish", "/threads/v1.0/me/threads_publishing_limit")
    for bad in (
        "myspace:error_rate=1",
        "x:explode=1",
        "x:latency=9..1",
        "x:error_rate=2",
        "x:malformed,scope=nope",
        "x:http_status=200",
        "x:lost_reply=404",
    ):
        with pytest.raises(ValueError):
            parse_fault_spec(bad)


def test_faults_given_at_start_apply(media_server: object) -> None:
    with running_sandbox(faults=["tiktok:status_5xx=502,times=1"]) as sandbox:
        account = sandbox.create_account("tiktok", "boot")
        with httpx.Client(base_url=sandbox.base_url, trust_env=False) as client:
            first = client.post("/tiktok/v2/post/publish/creator_info/query/", headers=bearer(account))
            second = client.post("/tiktok/v2/post/publish/creator_info/query/", headers=bearer(account))
        assert (first.status_code, second.status_code) == (502, 200)


def test_reset_forgets_accounts_posts_faults_limits_and_clock(sandbox: SandboxHandle, http: httpx.Client) -> None:
    account = sandbox.create_account("x", "temporary")
    http.post("/x/2/tweets", headers=bearer(account), json={"text": "gone soon"})
    sandbox.set_fault("x", "malformed")
    sandbox.set_limits(x_create_tweets_per_15min=1)
    before = sandbox.now()
    sandbox.advance_clock(10 * 86400)
    sandbox.reset()
    assert sandbox.published() == []
    assert http.get("/x/2/users/me", headers=bearer(account)).status_code == 401
    assert sandbox.now() < before + 86400
    assert sandbox.set_limits()["x_create_tweets_per_15min"] == 100


def test_admin_rejects_unknown_options(sandbox: SandboxHandle) -> None:
    with pytest.raises(RuntimeError, match="unknown account option"):
        sandbox.create_account("x", "typo", tierr="pro")
    with pytest.raises(RuntimeError, match="unknown limits"):
        sandbox.set_limits(not_a_limit=1)

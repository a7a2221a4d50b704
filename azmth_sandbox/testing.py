"""Run a sandbox in-process for tests and benchmarks: `with running_sandbox() as sandbox: ...`.

The server is a real uvicorn on 127.0.0.1 with a free port, in a background thread, so clients talk to it
over real HTTP. The handle wraps the /_admin endpoints with typed helpers.
"""

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

import httpx
import uvicorn

from azmth_sandbox.app import create_app
from azmth_sandbox.config import SandboxConfig, SandboxLimits, TokenLifetimes, sandbox_env
from azmth_sandbox.state import SandboxState

_START_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class SandboxAccount:
    """An account created through the admin API, with a ready access token (no OAuth needed)."""

    id: str
    platform: str
    username: str
    remote_id: str
    access_token: str
    refresh_token: str | None
    expires_in: int | None
    scopes: list[str]
    page_id: str | None = None
    fb_user_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


class SandboxHandle:
    def __init__(self, base_url: str, state: SandboxState | None = None) -> None:
        self.base_url = base_url
        self.env: dict[str, str] = sandbox_env(base_url)
        # The live state, for assertions a test cannot make over HTTP; prefer the admin helpers.
        self.state = state
        self._admin = httpx.Client(base_url=f"{base_url}/_admin", timeout=30, trust_env=False)

    def close(self) -> None:
        self._admin.close()

    def _call(self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        response = self._admin.request(method, path, json=json, params=params)
        if response.status_code >= 400:
            raise RuntimeError(f"sandbox admin {method} {path} failed: {response.status_code} {response.text}")
        return response.json()

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def create_account(self, platform: str, username: str, **options: Any) -> SandboxAccount:
        """Options: scopes, tier, privacy, max_video_post_duration_sec, has_ig_business_account,
        is_test_user, posting_blocked, display_name, followers_base, token_expires_in, token_scopes."""
        raw = self._call("POST", "/accounts", {"platform": platform, "username": username, **options})
        return SandboxAccount(
            id=raw["id"],
            platform=raw["platform"],
            username=raw["username"],
            remote_id=raw["remote_id"],
            access_token=raw["access_token"],
            refresh_token=raw["refresh_token"],
            expires_in=raw["expires_in"],
            scopes=raw["scopes"],
            page_id=raw.get("page_id"),
            fb_user_id=raw.get("fb_user_id"),
            raw=raw,
        )

    def update_account(self, account_id: str, **changes: Any) -> dict[str, Any]:
        return self._call("PATCH", f"/accounts/{account_id}", changes)

    def issue_token(
        self, account_id: str, *, scopes: list[str] | None = None, expires_in: float | None = None
    ) -> dict[str, Any]:
        return self._call("POST", "/tokens", {"account_id": account_id, "scopes": scopes, "expires_in": expires_in})

    def revoke_token(self, token: str) -> bool:
        return bool(self._call("POST", "/tokens/revoke", {"token": token})["revoked"])

    def create_app(
        self,
        platform: str,
        client_id: str,
        client_secret: str,
        *,
        redirect_uris: list[str] | None = None,
        audited: bool = True,
    ) -> dict[str, Any]:
        body = {
            "platform": platform,
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uris": redirect_uris or [],
            "audited": audited,
        }
        return self._call("POST", "/apps", body)

    def set_oauth_user(
        self,
        platform: str,
        account_id: str | None = None,
        *,
        decision: str = "approve",
        granted_scopes: list[str] | None = None,
    ) -> dict[str, Any]:
        body = {"platform": platform, "account_id": account_id, "decision": decision, "granted_scopes": granted_scopes}
        return self._call("POST", "/oauth", body)

    def set_fault(
        self, platform: str, kind: str, value: Any = "", *, scope: str = "all", times: int | None = None
    ) -> dict[str, Any]:
        """kind: error_rate | status_5xx | http_status | lost_reply | latency | timeout | malformed | rate_limit |
        container_error (see sandbox/faults.py KINDS);
        scope: all | publish | status | upload | metrics | oauth | account | a path fragment."""
        body = {"platform": platform, "kind": kind, "value": value, "scope": scope, "times": times}
        return self._call("POST", "/faults", body)

    def faults(self) -> list[dict[str, Any]]:
        """The fault rules still armed: a rule given `times` is gone once it was applied that many times."""
        return list(self._call("GET", "/faults")["data"])

    def clear_faults(self, platform: str | None = None) -> None:
        self._call("DELETE", "/faults", params={"platform": platform} if platform else None)

    def advance_clock(self, seconds: float) -> float:
        return float(self._call("POST", "/clock/advance", {"seconds": seconds})["now"])

    def now(self) -> float:
        return float(self._call("GET", "/clock")["now"])

    def set_limits(self, *, lift_all: bool = False, **limits: Any) -> dict[str, Any]:
        return self._call("PATCH", "/limits", {"lift_all": lift_all, **limits})

    def configure(self, **config: Any) -> dict[str, Any]:
        """processing_delay_s, tiktok_verified_url_prefixes, tiktok_allow_loopback_http."""
        return self._call("PATCH", "/config", config)

    def reset(self) -> None:
        self._call("POST", "/reset")

    def requests_served(self) -> dict[str, int]:
        """Platform API requests the sandbox has served, per platform."""
        return dict(self._call("GET", "/stats")["requests"])

    def published(self, platform: str | None = None, account_id: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"platform": platform, "account_id": account_id}.items() if v}
        return list(self._call("GET", "/published", params=params)["data"])


def build_config(**config: Any) -> SandboxConfig:
    """SandboxConfig from keywords; `limits` and `lifetimes` may be dicts of their fields."""
    limits = config.pop("limits", None)
    lifetimes = config.pop("lifetimes", None)
    known = {f.name for f in fields(SandboxConfig)}
    unknown = set(config) - known
    if unknown:
        raise TypeError(f"unknown sandbox option(s): {sorted(unknown)}")
    result = SandboxConfig(**config)
    if isinstance(limits, SandboxLimits):
        result.limits = limits
    elif limits:
        result.limits.update(dict(limits))
    if isinstance(lifetimes, TokenLifetimes):
        result.lifetimes = lifetimes
    elif lifetimes:
        for key, value in dict(lifetimes).items():
            setattr(result.lifetimes, key, value)
    return result


@contextlib.contextmanager
def running_sandbox(*, port: int = 0, **config: Any) -> Iterator[SandboxHandle]:
    """Start a sandbox on 127.0.0.1:<port> (default: a free one) in a background thread; stop it on exit."""
    app = create_app(build_config(**config))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="azmth-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        server.should_exit = True
        thread.join(5)
        raise RuntimeError("the sandbox server did not start")
    port = server.servers[0].sockets[0].getsockname()[1]
    handle = SandboxHandle(f"http://127.0.0.1:{port}", app.state.sandbox)
    try:
        yield handle
    finally:
        handle.close()
        server.should_exit = True
        thread.join(10)

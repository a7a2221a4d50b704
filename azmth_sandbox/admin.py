"""The /_admin JSON API: accounts and tokens without OAuth, apps, OAuth user choices, faults, the clock,
limits, reset, and the list of everything published (so tests can count duplicates).

Not part of any platform: clients never call it; tests and the CLI do (see testing.py).
"""

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from azmth_sandbox.common import json_body
from azmth_sandbox.faults import make_rule, parse_fault_spec
from azmth_sandbox.state import App, SandboxState

ACCOUNT_OPTIONS = {
    "scopes",
    "tier",
    "privacy",
    "max_video_post_duration_sec",
    "has_ig_business_account",
    "is_test_user",
    "posting_blocked",
    "display_name",
    "followers_base",
}


class AdminError(Exception):
    pass


class AdminApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        def r(path: str, handler: Any, methods: list[str]) -> Route:
            async def run(request: Request) -> Response:
                try:
                    return await handler(request)
                except (AdminError, ValueError, KeyError, TypeError) as exc:
                    return JSONResponse({"error": str(exc)}, 400)

            return Route(path, run, methods=methods)

        return [
            r("/health", self.health, ["GET"]),
            r("/accounts", self.create_account, ["POST"]),
            r("/accounts", self.list_accounts, ["GET"]),
            r("/accounts/{account_id}", self.update_account, ["PATCH"]),
            r("/tokens", self.create_token, ["POST"]),
            r("/tokens/revoke", self.revoke_token, ["POST"]),
            r("/apps", self.create_app, ["POST"]),
            r("/oauth", self.set_oauth_user, ["POST"]),
            r("/faults", self.add_fault, ["POST"]),
            r("/faults", self.list_faults, ["GET"]),
            r("/faults", self.clear_faults, ["DELETE"]),
            r("/clock", self.clock, ["GET"]),
            r("/clock/advance", self.advance_clock, ["POST"]),
            r("/limits", self.get_limits, ["GET"]),
            r("/limits", self.set_limits, ["PATCH", "POST"]),
            r("/config", self.set_config, ["PATCH", "POST"]),
            r("/reset", self.reset, ["POST"]),
            r("/published", self.published, ["GET"]),
            r("/stats", self.stats, ["GET"]),
        ]

    async def _body(self, request: Request) -> dict[str, Any]:
        body = await json_body(request)
        if body is None:
            raise AdminError("the body must be a JSON object")
        return body

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True, "now": self.state.now()})

    def _token_fields(self, account_id: str, scopes: list[str] | None, expires_in: float | None) -> dict[str, Any]:
        account = self.state.accounts[account_id]
        access, refresh = self.state.issue_token_pair(account, scopes=frozenset(scopes) if scopes is not None else None)
        if expires_in is not None:
            access.expires_at = self.state.now() + expires_in
        now = self.state.now()
        return {
            "access_token": access.value,
            "expires_in": None if access.expires_at is None else round(access.expires_at - now),
            "refresh_token": refresh.value if refresh else None,
            "scopes": sorted(access.scopes),
        }

    async def create_account(self, request: Request) -> Response:
        body = await self._body(request)
        unknown = set(body) - ACCOUNT_OPTIONS - {"platform", "username", "token_expires_in", "token_scopes"}
        if unknown:
            raise AdminError(f"unknown account option(s): {sorted(unknown)}")
        options = {k: v for k, v in body.items() if k in ACCOUNT_OPTIONS}
        account = self.state.add_account(body["platform"], body["username"], **options)
        result = account.public() | self._token_fields(
            account.id, body.get("token_scopes"), body.get("token_expires_in")
        )
        return JSONResponse(result, 201)

    async def list_accounts(self, request: Request) -> Response:
        return JSONResponse({"data": [a.public() for a in self.state.accounts.values()]})

    async def update_account(self, request: Request) -> Response:
        body = await self._body(request)
        account = self.state.accounts[request.path_params["account_id"]]
        unknown = set(body) - ACCOUNT_OPTIONS
        if unknown:
            raise AdminError(f"unknown account option(s): {sorted(unknown)}")
        with self.state.lock:
            for key, value in body.items():
                setattr(account, key, frozenset(value) if key == "scopes" else value)
        return JSONResponse(account.public())

    async def create_token(self, request: Request) -> Response:
        body = await self._body(request)
        return JSONResponse(self._token_fields(body["account_id"], body.get("scopes"), body.get("expires_in")), 201)

    async def revoke_token(self, request: Request) -> Response:
        body = await self._body(request)
        return JSONResponse({"revoked": self.state.revoke(body["token"])})

    async def create_app(self, request: Request) -> Response:
        body = await self._body(request)
        app = App(
            platform=body["platform"],
            client_id=body["client_id"],
            client_secret=body["client_secret"],
            redirect_uris=list(body.get("redirect_uris", [])),
            audited=bool(body.get("audited", True)),
        )
        self.state.add_app(app)
        return JSONResponse({"platform": app.platform, "client_id": app.client_id, "audited": app.audited}, 201)

    async def set_oauth_user(self, request: Request) -> Response:
        body = await self._body(request)
        platform = body["platform"]
        decision = body.get("decision", "approve")
        if decision not in ("approve", "deny"):
            raise AdminError("decision is approve or deny")
        self.state.oauth_users[platform] = {
            "account_id": body.get("account_id"),
            "decision": decision,
            "granted_scopes": body.get("granted_scopes"),
        }
        return JSONResponse(self.state.oauth_users[platform])

    async def add_fault(self, request: Request) -> Response:
        body = await self._body(request)
        if "spec" in body:
            rule = parse_fault_spec(body["spec"])
        else:
            rule = make_rule(
                body["platform"],
                body["kind"],
                body.get("value", ""),
                body.get("scope", "all"),
                body.get("times"),
            )
        return JSONResponse(self.state.faults.add(rule).public(), 201)

    async def list_faults(self, request: Request) -> Response:
        return JSONResponse({"data": [r.public() for r in self.state.faults.rules()]})

    async def clear_faults(self, request: Request) -> Response:
        self.state.faults.clear(request.query_params.get("platform"))
        return JSONResponse({"data": [r.public() for r in self.state.faults.rules()]})

    async def clock(self, request: Request) -> Response:
        return JSONResponse({"now": self.state.now(), "offset": self.state.clock.offset})

    async def advance_clock(self, request: Request) -> Response:
        body = await self._body(request)
        now = self.state.clock.advance(float(body["seconds"]))
        return JSONResponse({"now": now, "offset": self.state.clock.offset})

    async def get_limits(self, request: Request) -> Response:
        return JSONResponse(vars(self.state.limits))

    async def set_limits(self, request: Request) -> Response:
        body = await self._body(request)
        if body.pop("lift_all", False):
            self.state.limits.lift_all()
        self.state.limits.update(body)
        return JSONResponse(vars(self.state.limits))

    async def set_config(self, request: Request) -> Response:
        body = await self._body(request)
        config = self.state.config
        allowed = {"processing_delay_s", "tiktok_verified_url_prefixes", "tiktok_allow_loopback_http"}
        unknown = set(body) - allowed
        if unknown:
            raise AdminError(f"unknown config option(s): {sorted(unknown)}")
        for key, value in body.items():
            setattr(config, key, value)
        return JSONResponse({k: getattr(config, k) for k in sorted(allowed)})

    async def reset(self, request: Request) -> Response:
        self.state.reset()
        return JSONResponse({"ok": True})

    async def stats(self, request: Request) -> Response:
        return JSONResponse({"requests": dict(self.state.request_counts)})

    async def published(self, request: Request) -> Response:
        q = request.query_params
        return JSONResponse({"data": self.state.published(q.get("platform"), q.get("account_id"))})

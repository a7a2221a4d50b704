"""What Instagram (graph.facebook.com) and Threads (graph.threads.net) share: versioned paths, Graph-style
parameters and token checks, the login dialog and the code and long-lived token exchanges, media containers
(carousels included) that process asynchronously then publish against a rolling 24 h quota, media lists and
the insights row shape. instagram.py and threads.py add each platform's media rules, edges and token details.

Sources: https://developers.facebook.com/docs/instagram-platform/content-publishing and its ig-user/media,
ig-user/media_publish and ig-user/content_publishing_limit references, https://developers.facebook.com/docs/graph-api/guides/error-handling,
https://developers.facebook.com/docs/threads/posts and https://developers.facebook.com/docs/threads/insights;
for the dialog and tokens https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow,
https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived,
https://developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions and
https://developers.facebook.com/docs/threads/get-started/long-lived-tokens.
"""

import json
import re
import secrets
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from azmth_sandbox.common import (
    authorizing_account,
    bearer,
    form_or_query,
    new_job,
    post_cursor,
    posts_after,
    redirect_with,
    start_job,
)
from azmth_sandbox.config import DAY
from azmth_sandbox.errors import JSONBody, PlatformError, meta_error, meta_object_missing
from azmth_sandbox.routing import Handler, endpoint
from azmth_sandbox.state import Account, App, AuthCode, Container, Post, SandboxState, Token

# Graph paths start with the API version, e.g. /v25.0/... (Instagram) or /v1.0/... (Threads).
_VERSION = re.compile(r"^v\d+\.\d+$")


def graph_time(ts: float) -> str:
    """Graph timestamps look like 2026-03-14T09:30:12+0000."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def requested_fields(params: dict[str, str], default: str = "id") -> list[str]:
    return [f.strip() for f in (params.get("fields") or default).split(",") if f.strip()]


class MetaGraph:
    """Base for the two Meta platforms. Subclasses set the class attributes below, `quota_total()`,
    `default_processing_error()`, `media_fields()` and their media checks."""

    platform = ""
    publish_scope = ""
    insights_scope = ""
    # The permission every call needs ("" = none beyond a valid token).
    basic_scope = ""
    # How the platform's user tokens start (EAA... on Facebook Login, THQ... on Threads).
    token_prefix = ""
    # The login dialog's words for a redirect_uri the app did not register (error 191).
    redirect_refused = ""
    # The login dialog's redirect when the user declines, before `state`.
    denial: ClassVar[dict[str, str]] = {}
    # Scopes the login dialog knows; others are refused with invalid_scope. None: unknown scopes are ignored.
    known_scopes: ClassVar[frozenset[str] | None] = None

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._usage: dict[tuple[str, int], int] = {}

    def route(self, group: str, path: str, handler: Handler, methods: list[str]) -> BaseRoute:
        return endpoint(self.state, self.platform, group, path, handler, methods)

    # parameters and tokens -----------------------------------------------------------------------------

    async def params(self, request: Request) -> dict[str, str]:
        return await form_or_query(request)

    @staticmethod
    def check_version(request: Request) -> None:
        if not _VERSION.match(request.path_params.get("version", "")):
            raise meta_error(2500, "Unknown path components: /" + request.path_params.get("version", ""))

    async def authenticated(self, request: Request) -> tuple[dict[str, str], Token, Account]:
        """A versioned Graph call: its parameters, token and account, once the token passes."""
        self.check_version(request)
        params = await self.params(request)
        token, account = self.authenticate(request, params)
        self.require_scope(token, self.basic_scope)
        return params, token, account

    def authenticate(self, request: Request, params: dict[str, str]) -> tuple[Token, Account]:
        value = params.get("access_token") or bearer(request) or bearer(request, "oauth")
        if not value:
            raise meta_error(104, "An access token is required to request this resource.")
        token = self.state.token(value)
        now = self.state.now()
        if token is None or token.platform != self.platform:
            raise meta_error(190, "Invalid OAuth access token - Cannot parse access token")
        if token.revoked:
            raise meta_error(
                190,
                "Error validating access token: The session has been invalidated because the user changed "
                "their password or Facebook has changed the session for security reasons.",
                subcode=460,
            )
        if token.expired(now):
            expired = datetime.fromtimestamp(token.expires_at or now, UTC).strftime("%A, %d-%b-%y %H:%M:%S UTC")
            current = datetime.fromtimestamp(now, UTC).strftime("%A, %d-%b-%y %H:%M:%S UTC")
            raise meta_error(
                190,
                f"Error validating access token: Session has expired on {expired}. The current time is {current}.",
                subcode=463,
            )
        return token, self.state.accounts[token.account_id]

    def require_scope(self, token: Token, permission: str) -> None:
        if permission and permission not in token.scopes:
            # Permission errors are code 10 (or 200-299) naming the missing permission (error-handling guide).
            raise meta_error(
                10,
                f"(#10) Application does not have permission for this action: the user has not granted "
                f"the {permission} permission.",
                status=403,
            )

    def usage_headers(self, account: Account) -> dict[str, str]:
        """X-App-Usage / X-Business-Use-Case-Usage as percentages of an hourly budget (rate-limiting page)."""
        hour = int(self.state.now() // 3600)
        key = (account.id, hour)
        calls = self._usage.get(key, 0) + 1
        if len(self._usage) > 10_000:
            self._usage.clear()
        self._usage[key] = calls
        percent = min(100, calls * 100 // 4800)
        app_usage = json.dumps({"call_count": percent, "total_time": percent, "total_cputime": percent})
        buc = json.dumps(
            {
                account.remote_id: [
                    {
                        "type": self.platform,
                        "call_count": percent,
                        "total_cputime": percent,
                        "total_time": percent,
                        "estimated_time_to_regain_access": 0,
                    }
                ]
            }
        )
        return {"X-App-Usage": app_usage, "X-Business-Use-Case-Usage": buc}

    def ok(self, body: dict[str, Any], account: Account) -> Response:
        return JSONBody(body, 200, self.usage_headers(account))

    def own_container(self, account: Account, container_id: str, *, method: str = "GET") -> Container:
        container = self.state.containers.get(container_id)
        if container is None or container.account_id != account.id or container.platform != self.platform:
            raise meta_object_missing(container_id, method=method)
        return container

    def own_post(self, account: Account, post_id: str) -> Post:
        post = self.state.post(self.platform, post_id)
        if post is None or post.account_id != account.id:
            raise meta_object_missing(post_id)
        return post

    # login dialog and token exchanges --------------------------------------------------------------------

    async def dialog(self, request: Request) -> Response:
        """The login dialog: consent (or the admin's choice of it), then a redirect with a one-time code."""
        q = request.query_params
        app = self.state.apps.get(q.get("client_id", ""))
        redirect_uri = q.get("redirect_uri", "")
        if app is None or app.platform != self.platform:
            raise meta_error(101, "Error validating application. Invalid application ID.")
        if not app.redirect_allowed(redirect_uri):
            raise meta_error(191, self.redirect_refused)
        account, choice = authorizing_account(self.state, self.platform)
        if account is None or choice.get("decision") == "deny":
            return redirect_with(redirect_uri, {**self.denial, "state": q.get("state")})
        requested = {s.strip() for s in q.get("scope", "").split(",") if s.strip()}
        if self.known_scopes is not None and requested - self.known_scopes:
            return redirect_with(redirect_uri, {"error": "invalid_scope", "state": q.get("state")})
        granted = requested & set(choice.get("granted_scopes") or account.scopes)
        code = AuthCode(
            code=secrets.token_urlsafe(48),
            platform=self.platform,
            client_id=app.client_id,
            account_id=account.id,
            redirect_uri=redirect_uri,
            scopes=frozenset(granted),
            expires_at=self.state.now() + self.state.config.lifetimes.oauth_code_s,
        )
        self.state.codes[code.code] = code
        return redirect_with(redirect_uri, {"code": code.code, "state": q.get("state")})

    def redeem_code(self, app: App, params: dict[str, str]) -> tuple[AuthCode, Account]:
        """Spend the dialog's code: once, before it expires, with the redirect_uri the dialog was given."""
        with self.state.lock:
            code = self.state.codes.get(params.get("code", ""))
            if code is None or code.platform != self.platform or code.client_id != app.client_id:
                raise meta_error(100, "Invalid verification code format.", subcode=36007)
            if code.used or self.state.now() >= code.expires_at:
                raise meta_error(100, "This authorization code has been used.", subcode=36009)
            if params.get("redirect_uri") != code.redirect_uri:
                raise meta_error(
                    100,
                    "Error validating verification code. Please make sure your redirect_uri "
                    "is identical to the one you used in the OAuth dialog request",
                    subcode=36008,
                )
            code.used = True
        return code, self.state.accounts[code.account_id]

    def long_lived_answer(self, source: Token, *, client_id: str) -> Response:
        """A new long-lived token (about 60 days) with the scopes of `source`."""
        lifetime = self.state.config.lifetimes.meta_long_lived_s
        account = self.state.accounts[source.account_id]
        token = self.state.issue_token(
            account,
            client_id=client_id,
            scopes=source.scopes,
            lifetime_s=lifetime,
            long_lived=True,
            prefix=self.token_prefix,
        )
        return JSONBody({"access_token": token.value, "token_type": "bearer", "expires_in": lifetime})

    # containers ------------------------------------------------------------------------------------------

    def container_status(self, container: Container) -> tuple[str, str | None]:
        """(status_code, error detail) as the platform would report it now."""
        now = self.state.now()
        if container.published_id is not None:
            return "PUBLISHED", None
        if now >= container.created_at + DAY:
            return "EXPIRED", None
        if not container.job.finished(now):
            return "IN_PROGRESS", None
        if container.job.error is not None:
            return "ERROR", container.job.error
        # A carousel is ready when all its children are; one failed child fails it.
        for child_id in container.children:
            child = self.state.containers[child_id]
            if not child.job.finished(now):
                return "IN_PROGRESS", None
            if child.job.error is not None:
                return "ERROR", child.job.error
        return "FINISHED", None

    def new_container(
        self,
        account: Account,
        *,
        media_type: str,
        text: str,
        media_urls: list[str],
        children: list[str],
        params: dict[str, Any],
    ) -> Container:
        container = Container(
            id=self.state.new_id(self.platform),
            platform=self.platform,
            account_id=account.id,
            media_type=media_type,
            text=text,
            media_urls=media_urls,
            children=children,
            created_at=self.state.now(),
            job=new_job(self.state),
            is_carousel_item=params.get("is_carousel_item") in ("true", "1", "True"),
            params=params,
        )
        with self.state.lock:
            self.state.containers[container.id] = container
        return container

    def process(self, container: Container, work: Any) -> None:
        """Settle the container's job with `work()` unless a container_error fault forces the outcome."""
        forced = self.state.faults.take_processing_error(self.platform)
        if forced is not None:
            detail = forced or self.default_processing_error()

            async def fail() -> str | None:
                return detail

            start_job(self.state, container.job, fail)
            return
        start_job(self.state, container.job, work)

    def default_processing_error(self) -> str:
        raise NotImplementedError

    def carousel_answer(self, account: Account, params: dict[str, Any], *, text: str, max_items: int) -> Response:
        """A carousel container: ready as soon as it is made, since its children carry the media."""
        children = self.carousel_children(account, params.get("children", ""), max_items=max_items)
        container = self.new_container(
            account,
            media_type="CAROUSEL",
            text=text,
            media_urls=[],
            children=[c.id for c in children],
            params=params,
        )
        container.job.done = True
        return self.ok({"id": container.id}, account)

    def carousel_children(self, account: Account, raw: str, *, max_items: int) -> list[Container]:
        ids = [c.strip() for c in raw.split(",") if c.strip()]
        if not 2 <= len(ids) <= max_items:
            raise meta_error(
                100,
                f"The carousel must have between 2 and {max_items} items.",
                subcode=2207028,
                user_title="Carousel item count out of range",
                user_msg=f"A carousel needs 2 to {max_items} photos or videos.",
            )
        children = [self.own_container(account, cid, method="POST") for cid in ids]
        for child in children:
            if not child.is_carousel_item:
                raise meta_error(100, f"(#100) Container {child.id} was not created with is_carousel_item.")
        return children

    # publishing ------------------------------------------------------------------------------------------

    def quota_total(self) -> int | None:
        raise NotImplementedError

    def quota_payload(self, account: Account, fields: list[str]) -> dict[str, Any]:
        total = self.quota_total()
        row: dict[str, Any] = {
            "quota_usage": account.publishes_in_window(self.state.now()),
            "config": {"quota_total": total if total is not None else 1_000_000, "quota_duration": 86400},
        }
        return {k: v for k, v in row.items() if k in fields}

    def check_quota(self, account: Account) -> None:
        total = self.quota_total()
        if total is not None and account.publishes_in_window(self.state.now()) >= total:
            raise meta_error(
                9,
                "Application request limit reached",
                subcode=2207042,
                user_title="Max posts reached",
                user_msg="You have reached the maximum number of posts allowed in a 24-hour period.",
            )

    def container_to_publish(self, account: Account, params: dict[str, str]) -> Container:
        creation_id = params.get("creation_id")
        if not creation_id:
            raise meta_error(100, "(#100) The parameter creation_id is required")
        return self.own_container(account, creation_id, method="POST")

    def check_publishable(self, container: Container) -> None:
        status, _ = self.container_status(container)
        if status == "IN_PROGRESS":
            raise meta_error(
                9007,
                "The media is not ready for publishing, please wait for a moment",
                subcode=2207027,
                user_title="Media ID is not available",
                user_msg="The media is not ready for publishing, please wait for a moment",
            )
        if status == "EXPIRED":
            raise meta_error(
                -2,
                "The media container has expired.",
                subcode=2207020,
                user_title="The media you are trying to access has expired",
                user_msg="Please try to generate a new media container ID and try again.",
            )
        if status == "ERROR":
            raise meta_error(
                -1,
                "An unknown error occurred while processing the media.",
                subcode=2207053,
                user_title="Unknown upload error",
                user_msg="An unknown error occurred during upload. Generate a new container and try again.",
            )
        if status == "PUBLISHED":
            raise meta_error(
                24,
                "The media with the given id has already been published.",
                subcode=2207006,
                user_title="Media not found",
                user_msg="The media with the given id could not be found.",
            )

    def publish(self, account: Account, container: Container, *, media_type: str, product_type: str) -> Post:
        media_id = self.state.new_id(self.platform)
        now = self.state.now()
        with self.state.lock:
            container.published_id = media_id
            account.publish_times.append(now)
        media = list(container.media_urls)
        for child_id in container.children:
            media.extend(self.state.containers[child_id].media_urls)
        return self.state.record_post(
            Post(
                platform=self.platform,
                account_id=account.id,
                remote_id=media_id,
                text=container.text,
                media=media,
                media_type=media_type,
                published_at=now,
                product_type=product_type,
                extra={"container_id": container.id, "shortcode": f"C{int(media_id) % 10**10:x}"},
            )
        )

    # reads ---------------------------------------------------------------------------------------------------

    def media_fields(self, post: Post, fields: list[str]) -> dict[str, Any]:
        raise NotImplementedError

    def media_page(self, request: Request, account: Account, params: dict[str, str], posts: list[Post]) -> Response:
        """One page of the account's media, newest first (`posts` is already in that order), with Graph API
        cursor-based paging: `paging.cursors` on every page with data, `paging.next` only while more remain, and
        that URL carries the access token (as Meta's does)."""
        fields = requested_fields(params)
        limit = min(int(params.get("limit", "25") or 25), 100)
        rest = posts_after(posts, params.get("after"))
        page = rest[:limit]
        body: dict[str, Any] = {"data": [self.media_fields(p, fields) for p in page]}
        if page:
            paging: dict[str, Any] = {"cursors": {"before": post_cursor(page[0]), "after": post_cursor(page[-1])}}
            if len(rest) > limit:
                token = {"access_token": params.get("access_token") or bearer(request) or ""}
                query = {k: v for k, v in params.items() if k != "after"} | token | {"after": post_cursor(page[-1])}
                paging["next"] = str(request.url.replace(query=urlencode(query)))
            body["paging"] = paging
        return self.ok(body, account)

    # insights ----------------------------------------------------------------------------------------------

    @staticmethod
    def insight_row(object_id: str, name: str, value: int, title: str, description: str) -> dict[str, Any]:
        return {
            "name": name,
            "period": "lifetime",
            "values": [{"value": value}],
            "title": title,
            "description": description,
            "id": f"{object_id}/insights/{name}/lifetime",
        }

    @staticmethod
    def metric_names(params: dict[str, str]) -> list[str]:
        names = [m.strip() for m in params.get("metric", "").split(",") if m.strip()]
        if not names:
            raise meta_error(100, "(#100) The parameter metric is required")
        return names

    @staticmethod
    def check_metrics(names: list[str], allowed: list[str]) -> None:
        """The first requested metric outside `allowed` is refused."""
        for name in names:
            if name not in allowed:
                raise unsupported_metric(name, allowed)


def unsupported_metric(name: str, allowed: list[str]) -> PlatformError:
    return meta_error(
        100,
        f"(#100) metric[0] must be one of the following values: {', '.join(allowed)}",
        error_type="OAuthException",
        user_msg=f"The metric {name} is not supported for this media.",
    )

"""What Instagram (graph.facebook.com) and Threads (graph.threads.net) share: Graph-style parameters and token
checks, media containers that process asynchronously then publish against a rolling 24 h quota, and the
insights row shape. instagram.py and threads.py add each platform's media rules and edges.

Sources: https://developers.facebook.com/docs/instagram-platform/content-publishing and its ig-user/media,
ig-user/media_publish and ig-user/content_publishing_limit references, https://developers.facebook.com/docs/graph-api/guides/error-handling,
https://developers.facebook.com/docs/threads/posts and https://developers.facebook.com/docs/threads/insights.
"""

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from azmth_sandbox.common import bearer, form_or_query, new_job, start_job
from azmth_sandbox.config import DAY
from azmth_sandbox.errors import JSONBody, PlatformError, meta_error, meta_object_missing
from azmth_sandbox.state import Account, Container, Post, SandboxState, Token


def graph_time(ts: float) -> str:
    """Graph timestamps look like 2026-03-14T09:30:12+0000."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def requested_fields(params: dict[str, str], default: str = "id") -> list[str]:
    return [f.strip() for f in (params.get("fields") or default).split(",") if f.strip()]


class MetaGraph:
    """Base for the two Meta platforms. Subclasses set `platform`, `quota_total()` and media checks."""

    platform = ""
    publish_scope = ""
    insights_scope = ""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._usage: dict[tuple[str, int], int] = {}

    # parameters and tokens -----------------------------------------------------------------------------

    async def params(self, request: Request) -> dict[str, str]:
        return await form_or_query(request)

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


def unsupported_metric(name: str, allowed: list[str]) -> PlatformError:
    return meta_error(
        100,
        f"(#100) metric[0] must be one of the following values: {', '.join(allowed)}",
        error_type="OAuthException",
        user_msg=f"The metric {name} is not supported for this media.",
    )

"""Small request helpers every platform module shares: tokens from headers, bodies, PKCE, background jobs."""

import asyncio
import base64
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse

from azmth_sandbox.state import Account, Job, Post, SandboxState

_tasks: set[asyncio.Task[None]] = set()


def bearer(request: Request, scheme: str = "bearer") -> str | None:
    header = request.headers.get("authorization", "")
    name, _, value = header.partition(" ")
    if name.lower() == scheme and value.strip():
        return value.strip()
    return None


async def json_body(request: Request) -> dict[str, Any] | None:
    """The JSON object body, {} when empty, None when it is not a JSON object."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def form_or_query(request: Request) -> dict[str, str]:
    """Query parameters overlaid with a form or JSON body, as Graph-style endpoints accept either."""
    params: dict[str, str] = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    if request.method in ("POST", "PUT", "DELETE"):
        if content_type.startswith("application/json"):
            body = await json_body(request) or {}
            params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
        elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def pkce_matches(verifier: str | None, challenge: str | None, method: str | None, *, allow_hex: bool) -> bool:
    """RFC 7636 S256/plain; TikTok's desktop samples hex-encode the SHA-256 (https://developers.tiktok.com/doc/login-kit-desktop)."""
    if challenge is None:
        return True
    if not verifier:
        return False
    if (method or "plain").upper() == "PLAIN":
        return verifier == challenge
    digest = hashlib.sha256(verifier.encode()).digest()
    if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == challenge:
        return True
    return allow_hex and digest.hex() == challenge


def redirect_with(uri: str, params: dict[str, str | None]) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return RedirectResponse(f"{uri}{'&' if '?' in uri else '?'}{query}", status_code=302)


def authorizing_account(state: SandboxState, platform: str) -> tuple[Account | None, dict[str, Any]]:
    """Who is "logged in" on the authorize page: the admin's choice, else the newest account there, else a test
    user who signs up on the spot.

    A consent page nobody is logged in to asks the visitor to log in first; it is no decline. Only a user who
    says no (an admin `decision: deny`) is answered with error=access_denied (RFC 6749 4.1.2.1), so a client
    run against a freshly started sandbox connects without any admin call.
    """
    choice = state.oauth_users.get(platform, {})
    account_id = choice.get("account_id")
    if account_id:
        return state.accounts.get(account_id), choice
    candidates = [a for a in state.accounts.values() if a.platform == platform]
    if candidates:
        return candidates[-1], choice
    return state.add_account(platform, f"sandbox_{platform}_user"), choice


def start_job(state: SandboxState, job: Job, work: Callable[[], Awaitable[str | None]]) -> None:
    """Run `work` in the background; its return value (an error detail or None) settles the job."""

    async def runner() -> None:
        try:
            job.error = await work()
        except Exception as exc:  # a sandbox bug must still settle the job, as "internal" on the platform
            job.error = job.error or "internal"
            job.detail["exception"] = repr(exc)
        finally:
            job.done = True

    task = asyncio.get_running_loop().create_task(runner())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


def new_job(state: SandboxState) -> Job:
    return Job(ready_at=state.now() + state.config.processing_delay_s)


def post_cursor(post: Post) -> str:
    """An opaque cursor that points at one post, as the platforms' cursors point at an item, not an offset."""
    return base64.urlsafe_b64encode(post.remote_id.encode()).decode().rstrip("=")


def posts_after(posts: list[Post], cursor: str | None) -> list[Post]:
    """The posts after the one the cursor points at (all of them without a cursor; none for a cursor no post
    matches any more)."""
    if not cursor:
        return posts
    try:
        remote_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return []
    for index, post in enumerate(posts):
        if post.remote_id == remote_id:
            return posts[index + 1 :]
    return []

"""The four platforms' error envelopes, byte-for-byte in the documented shapes: https://developers.tiktok.com/doc/tiktok-api-v2-error-handling,
https://developers.facebook.com/docs/graph-api/guides/error-handling, https://docs.x.com/x-api/fundamentals/response-codes-and-errors.

Handlers raise `PlatformError(response)`; the route wrapper turns it into the response, so a deep check can
fail a request without threading return values back up.
"""

import json
import secrets
import time
from typing import Any

from starlette.responses import Response


class JSONBody(Response):
    """JSON without starlette's extra checks, and with the compact separators the platforms use."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


class PlatformError(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def log_id() -> str:
    """TikTok log ids look like 20260314093012A1B2C3D4E5F60718293A: a timestamp then hex."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(9).upper()


def fbtrace_id() -> str:
    return secrets.token_urlsafe(8)


# TikTok ------------------------------------------------------------------------------------------------


def tiktok_ok(data: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return JSONBody({"data": data, "error": {"code": "ok", "message": "", "log_id": log_id()}}, 200, headers)


def tiktok_error(status: int, code: str, message: str, *, data: dict[str, Any] | None = None) -> PlatformError:
    body = {"data": data or {}, "error": {"code": code, "message": message, "log_id": log_id()}}
    return PlatformError(JSONBody(body, status))


def tiktok_oauth_error(error: str, description: str, status: int = 400) -> PlatformError:
    # OAuth endpoints use their own flat shape (oauth-error-handling), not the data/error envelope.
    return PlatformError(JSONBody({"error": error, "error_description": description, "log_id": log_id()}, status))


# Meta (Instagram Graph, Threads) ------------------------------------------------------------------------


def meta_body(
    code: int | str,
    message: str,
    *,
    subcode: int | None = None,
    error_type: str = "OAuthException",
    is_transient: bool = False,
    user_title: str | None = None,
    user_msg: str | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": error_type, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["is_transient"] = is_transient
    if user_title is not None:
        error["error_user_title"] = user_title
    if user_msg is not None:
        error["error_user_msg"] = user_msg
    error["fbtrace_id"] = fbtrace_id()
    return {"error": error}


def meta_error(
    code: int | str,
    message: str,
    *,
    status: int = 400,
    subcode: int | None = None,
    error_type: str = "OAuthException",
    is_transient: bool = False,
    user_title: str | None = None,
    user_msg: str | None = None,
    headers: dict[str, str] | None = None,
) -> PlatformError:
    body = meta_body(
        code,
        message,
        subcode=subcode,
        error_type=error_type,
        is_transient=is_transient,
        user_title=user_title,
        user_msg=user_msg,
    )
    return PlatformError(JSONBody(body, status, headers))


def meta_object_missing(object_id: str, *, method: str = "GET") -> PlatformError:
    # The Graph API answers the same for "does not exist" and "not yours", so ids cannot be probed.
    verb = "get" if method == "GET" else "post"
    return meta_error(
        100,
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation. Please read the Graph API documentation "
        "at https://developers.facebook.com/docs/graph-api",
        subcode=33,
        error_type="GraphMethodException",
    )


# X ------------------------------------------------------------------------------------------------------


def x_problem(
    status: int,
    title: str,
    detail: str,
    *,
    problem: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> PlatformError:
    problem_type = problem if problem == "about:blank" else f"https://api.x.com/2/problems/{problem}"
    body: dict[str, Any] = {"title": title, "detail": detail, "type": problem_type, "status": status, **extra}
    return PlatformError(JSONBody(body, status, headers))


def x_rate_limited(shape: str, headers: dict[str, str]) -> PlatformError:
    """Both documented 429 bodies: the classic code-88 list and the v2 problem object."""
    if shape == "problem":
        body: dict[str, Any] = {
            "title": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
            "detail": "Too Many Requests",
        }
    else:
        body = {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}
    return PlatformError(JSONBody(body, 429, headers))


def x_unauthorized() -> PlatformError:
    return x_problem(401, "Unauthorized", "Unauthorized")


def x_oauth_error(error: str, description: str, status: int = 400) -> PlatformError:
    return PlatformError(JSONBody({"error": error, "error_description": description}, status))

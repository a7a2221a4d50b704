"""X API v2 failure rules: problem types, the legacy code 88, rate-limit headers and access tiers.

Sources: docs.x.com x-api/fundamentals/response-codes-and-errors (problem types, partial errors in 200
answers), x-api/fundamentals/rate-limits (x-rate-limit-* headers, reset in unix seconds, no Retry-After;
24-hour caps in x-user-limit-24hour-* / x-app-limit-24hour-*).
"""

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from azmth_pipelines.integrations.common.errors import Disposition, NotAvailableOnTier, PlatformError, error_for
from azmth_pipelines.integrations.common.http import ApiResponse, ambiguous_failure_of_a_write
from azmth_pipelines.vocabulary import Platform

PLATFORM = Platform.X
_PROBLEM_PREFIXES = ("https://api.x.com/2/problems/", "https://api.twitter.com/2/problems/")
# Answers meaning "your access level does not include this", not "slow down": a 403 client-forbidden
# (reason client-not-enrolled) or the monthly usage cap (usage-capped, 429 or 403).
TIER_PROBLEMS = frozenset({"client-forbidden", "usage-capped"})
RATE_LIMIT_CODE = 88
_LIMIT_FAMILIES = ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour")


@dataclass(frozen=True)
class RateLimitState:
    limit: int | None
    remaining: int | None
    reset_at: float | None  # unix seconds

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], family: str = "x-rate-limit") -> "RateLimitState | None":
        if f"{family}-remaining" not in headers and f"{family}-reset" not in headers:
            return None
        return cls(
            limit=_int(headers.get(f"{family}-limit")),
            remaining=_int(headers.get(f"{family}-remaining")),
            reset_at=_int(headers.get(f"{family}-reset")),
        )


def problem_kind(type_url: str | None) -> str | None:
    """`client-forbidden` from https://api.x.com/2/problems/client-forbidden (or the api.twitter.com form)."""
    if not type_url:
        return None
    for prefix in _PROBLEM_PREFIXES:
        if type_url.startswith(prefix):
            return type_url.removeprefix(prefix)
    return type_url  # "about:blank"


def classify_x_failure(http_status: int, problem: str | None, codes: Iterable[int] = ()) -> Disposition:
    """Sort an X error answer (status, problem kind, legacy error codes) into what the caller should do."""
    if problem in TIER_PROBLEMS:
        return Disposition.PERMANENT  # raised as NotAvailableOnTier
    if RATE_LIMIT_CODE in set(codes) or http_status == 429 or problem == "rate-limit-exceeded":
        return Disposition.RATE_LIMITED
    if http_status == 401:
        return Disposition.RECONNECT
    if http_status >= 500:
        return Disposition.RETRY
    return Disposition.PERMANENT


def rate_limit_wait_s(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds until the exhausted window resets; the latest reset when several (15-min, 24-h) are spent."""
    now = time.time() if now is None else now
    resets = []
    for family in _LIMIT_FAMILIES:
        state = RateLimitState.from_headers(headers, family)
        if state and state.reset_at is not None and state.remaining == 0:
            resets.append(state.reset_at)
    if not resets:
        state = RateLimitState.from_headers(headers)
        if state is None or state.reset_at is None:
            return None
        resets.append(state.reset_at)
    return max(0.0, max(resets) - now)


def x_error(
    answer: ApiResponse,
    *,
    required_scope: str | None = None,
    secrets: Iterable[str] = (),
    errors_are_rows: bool = False,
) -> PlatformError | None:
    """The error of a failed answer, or None on success.

    A 2xx carrying `errors` but no `data` failed too, unless `errors_are_rows` (batch reads, where
    per-id errors are results for the caller).
    """
    body: Any = answer.body if isinstance(answer.body, dict) else {}
    errors = [item for item in body.get("errors") or [] if isinstance(item, dict)]
    if answer.ok and (errors_are_rows or "data" in body or not errors):
        return None
    if answer.ok:  # an answer made only of partial errors: the first one says what went wrong
        body = {**errors[0], **body}
    problem = problem_kind(body.get("type"))
    codes = [item["code"] for item in errors if isinstance(item.get("code"), int)]
    detail = str(body.get("detail") or (errors[0].get("message") if errors else "") or "")
    title = str(body.get("title") or "")
    message = ": ".join(part for part in (title, detail) if part) or f"HTTP {answer.status}"
    fields: dict[str, Any] = {
        "platform": PLATFORM,
        "http_status": answer.status,
        "code": problem or (codes[0] if codes else None),
        "subcode": body.get("reason"),
        "may_have_succeeded": ambiguous_failure_of_a_write(answer),
        "payload": answer.payload(),
        "secrets": secrets,
    }
    if problem in TIER_PROBLEMS:
        return NotAvailableOnTier(message, **fields)
    disposition = classify_x_failure(answer.status, problem, codes)
    if disposition is Disposition.RATE_LIMITED:
        fields["retry_after_s"] = rate_limit_wait_s(answer.headers)
    if answer.status == 403 and "scope" in message.lower():
        disposition = Disposition.RECONNECT
        fields["missing_scope"] = required_scope
    return error_for(disposition, message, **fields)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None

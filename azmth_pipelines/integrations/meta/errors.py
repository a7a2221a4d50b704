"""The Graph API error object Instagram and Threads share, its rules, and the usage headers (rate limits).

Sources: developers.facebook.com/docs/graph-api/guides/error-handling (codes 1, 2, 4, 17, 32, 613, 102, 190
and its subcodes 458-467, 10 and 200-299 permissions), docs/graph-api/overview/rate-limiting
(X-App-Usage, X-Business-Use-Case-Usage with estimated_time_to_regain_access in minutes),
docs/threads/troubleshooting ("same parser").
"""

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from azmth_pipelines.integrations.common.errors import Disposition, PlatformError, error_for
from azmth_pipelines.integrations.common.http import ApiResponse, ambiguous_failure_of_a_write, retry_after_seconds

# Throttling: 4 app, 17 user, 32 Page, 613 custom rate limit, 80002 Instagram BUC, 341 app limit reached.
_THROTTLE_CODES = frozenset({4, 17, 32, 613, 341, 80002})
_TRANSIENT_CODES = frozenset({1, 2})
# 102 session / 190 access token problems (subcodes 458 app not installed, 459 checkpoint, 460 password
# changed, 463 expired, 464 unconfirmed user, 467 invalid): only a new login fixes them.
_TOKEN_CODES = frozenset({102, 190})
_TOKEN_SUBCODES = frozenset({458, 459, 460, 463, 464, 467})
_PERMISSION_CODES = frozenset({10, *range(200, 300)})
_PERMISSION_NAME = re.compile(
    r"\b(instagram_[a-z_]+|pages_[a-z_]+|threads_[a-z_]+|business_management|ads_management|ads_read)\b"
)


@dataclass(frozen=True)
class SubcodeRule:
    """A platform-specific override keyed by error_subcode (Instagram's 2207xxx table)."""

    disposition: Disposition
    may_have_succeeded: bool = False


@dataclass(frozen=True)
class AppUsage:
    """X-App-Usage: percentages of the app's rolling-hour allowance."""

    call_count: float
    total_time: float
    total_cputime: float


@dataclass(frozen=True)
class BusinessUseCaseUsage:
    """One entry of X-Business-Use-Case-Usage: percentages, and minutes until calls are allowed again."""

    business_id: str
    type: str
    call_count: float
    total_time: float
    total_cputime: float
    estimated_time_to_regain_access_min: float


@dataclass(frozen=True)
class MetaUsage:
    app: AppUsage | None
    business: tuple[BusinessUseCaseUsage, ...]

    @property
    def highest_percent(self) -> float:
        """The fullest of all reported allowances (100 = throttled)."""
        values = [0.0]
        if self.app:
            values += [self.app.call_count, self.app.total_time, self.app.total_cputime]
        for entry in self.business:
            values += [entry.call_count, entry.total_time, entry.total_cputime]
        return max(values)

    @property
    def regain_access_s(self) -> float | None:
        minutes = max((entry.estimated_time_to_regain_access_min for entry in self.business), default=0.0)
        return minutes * 60.0 if minutes > 0 else None


def parse_usage(headers: Mapping[str, str]) -> MetaUsage | None:
    """The usage a Graph answer reports in its headers, or None when it reports none (or garbage)."""
    app = _parse_app_usage(headers.get("x-app-usage"))
    business = _parse_buc_usage(headers.get("x-business-use-case-usage"))
    if app is None and not business:
        return None
    return MetaUsage(app=app, business=business)


def classify_graph_failure(
    http_status: int,
    code: int | str | None,
    subcode: int | str | None,
    *,
    is_transient: bool = False,
    subcode_rules: Mapping[int, SubcodeRule] | None = None,
) -> Disposition:
    """Sort a Graph API error object into what the caller should do."""
    rule = (subcode_rules or {}).get(as_int(subcode) or -1)
    if rule is not None:
        return rule.disposition
    number = as_int(code)
    if number in _THROTTLE_CODES or http_status == 429:
        return Disposition.RATE_LIMITED
    if is_transient or number in _TRANSIENT_CODES:
        return Disposition.RETRY
    if number in _TOKEN_CODES or as_int(subcode) in _TOKEN_SUBCODES or number in _PERMISSION_CODES:
        return Disposition.RECONNECT
    if number is None and http_status == 401:
        return Disposition.RECONNECT
    if http_status >= 500:
        return Disposition.RETRY
    return Disposition.PERMANENT


def graph_error(
    answer: ApiResponse,
    *,
    platform: str,
    subcode_rules: Mapping[int, SubcodeRule] | None = None,
    secrets: Iterable[str] = (),
) -> PlatformError | None:
    """The error a Graph answer carries, or None when it is a success."""
    body = answer.body if isinstance(answer.body, dict) else {}
    error = body.get("error")
    if answer.ok and not isinstance(error, dict):
        return None
    error = error if isinstance(error, dict) else {}
    code, subcode = error.get("code"), error.get("error_subcode")
    disposition = classify_graph_failure(
        answer.status,
        code,
        subcode,
        is_transient=bool(error.get("is_transient")),
        subcode_rules=subcode_rules,
    )
    message = str(error.get("message") or f"HTTP {answer.status}")
    rule = (subcode_rules or {}).get(as_int(subcode) or -1)
    missing_scope = None
    if as_int(code) in _PERMISSION_CODES:
        found = _PERMISSION_NAME.search(message)
        missing_scope = found.group(1) if found else None
    retry_after = None
    if disposition is Disposition.RATE_LIMITED:
        usage = parse_usage(answer.headers)
        retry_after = retry_after_seconds(answer.headers) or (usage.regain_access_s if usage else None)
    return error_for(
        disposition,
        message,
        platform=platform,
        http_status=answer.status,
        code=code,
        subcode=subcode,
        user_title=error.get("error_user_title"),
        user_message=error.get("error_user_msg"),
        retry_after_s=retry_after,
        missing_scope=missing_scope,
        may_have_succeeded=bool(rule and rule.may_have_succeeded) or ambiguous_failure_of_a_write(answer),
        trace_id=error.get("fbtrace_id"),
        payload=answer.payload(),
        secrets=secrets,
    )


def _parse_app_usage(raw: str | None) -> AppUsage | None:
    data = _json_object(raw)
    if data is None:
        return None
    return AppUsage(
        call_count=_as_float(data.get("call_count")),
        total_time=_as_float(data.get("total_time")),
        total_cputime=_as_float(data.get("total_cputime")),
    )


def _parse_buc_usage(raw: str | None) -> tuple[BusinessUseCaseUsage, ...]:
    data = _json_object(raw)
    if data is None:
        return ()
    entries = []
    for business_id, items in data.items():
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            entries.append(
                BusinessUseCaseUsage(
                    business_id=str(business_id),
                    type=str(item.get("type") or ""),
                    call_count=_as_float(item.get("call_count")),
                    total_time=_as_float(item.get("total_time")),
                    total_cputime=_as_float(item.get("total_cputime")),
                    estimated_time_to_regain_access_min=_as_float(item.get("estimated_time_to_regain_access")),
                )
            )
    return tuple(entries)


def _json_object(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _as_float(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0

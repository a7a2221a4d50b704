"""TikTok's failure rules: which error codes mean retry, reconnect, rate-limited or give up.

Sources: developers.tiktok.com/doc/tiktok-api-v2-error-handling, content-posting-api-reference-* (error
tables), oauth-error-handling, content-posting-api-reference-get-video-status (fail_reason).
TikTok answers some failures with HTTP 200 and `error.code != "ok"` (creator_info's spam_risk_* codes),
so the envelope decides, not the status.
"""

from collections.abc import Iterable
from typing import Any

from azmth_pipelines.integrations.common.errors import Disposition, PlatformError, error_for
from azmth_pipelines.integrations.common.http import ApiResponse, ambiguous_failure_of_a_write, retry_after_seconds
from azmth_pipelines.vocabulary import Platform

PLATFORM = Platform.TIKTOK

_RATE_LIMITED = frozenset(
    {
        "rate_limit_exceeded",
        # The app's daily quota of posting users: the same request works once the quota resets.
        "reached_active_user_cap",
    }
)
_RECONNECT = frozenset(
    {
        "access_token_invalid",
        "scope_not_authorized",
        "scope_permission_missed",
        # OAuth errors (oauth-error-handling): the refresh token or code is dead, or the user said no.
        "invalid_grant",
        "access_denied",
    }
)
_SCOPE = frozenset({"scope_not_authorized", "scope_permission_missed"})
_RETRY = frozenset({"internal_error", "server_error", "temporarily_unavailable"})
# Everything else is permanent for this request, notably: invalid_param(s), invalid_file_upload,
# spam_risk_too_many_posts, spam_risk_user_banned_from_posting, spam_risk_too_many_pending_share,
# unaudited_client_can_only_post_to_private_accounts, url_ownership_unverified, privacy_level_option_mismatch,
# app_version_check_failed, invalid_publish_id, token_not_authorized_for_specified_publish_id.

# Status polling `fail_reason` values (get-video-status): the doc says internal is retryable and the pull
# failures are worth retrying when the URL is fine; the spam_risk* family must not be retried.
_FAIL_REASON_RETRY = frozenset({"internal", "video_pull_failed", "photo_pull_failed"})
_FAIL_REASON_RECONNECT = frozenset({"auth_removed"})


def classify_tiktok_failure(http_status: int, code: str) -> Disposition:
    """Sort a TikTok error code (or a bare HTTP status) into what the caller should do."""
    if code in _RATE_LIMITED or http_status == 429:
        return Disposition.RATE_LIMITED
    if code in _RECONNECT or (http_status == 401 and not code):
        return Disposition.RECONNECT
    if code in _RETRY or http_status >= 500:
        return Disposition.RETRY
    return Disposition.PERMANENT


def classify_fail_reason(fail_reason: str) -> Disposition:
    """Sort a FAILED publish's `fail_reason` (status fetch) the same way."""
    if fail_reason in _FAIL_REASON_RETRY:
        return Disposition.RETRY
    if fail_reason in _FAIL_REASON_RECONNECT:
        return Disposition.RECONNECT
    return Disposition.PERMANENT


def tiktok_error(
    answer: ApiResponse, *, required_scope: str | None = None, secrets: Iterable[str] = ()
) -> PlatformError | None:
    """The error an answer carries (v2 envelope or OAuth shape), or None when it is a success."""
    body: Any = answer.body if isinstance(answer.body, dict) else {}
    envelope = body.get("error")
    if isinstance(envelope, dict):
        code = str(envelope.get("code") or "")
        message = str(envelope.get("message") or "")
        log_id = envelope.get("log_id")
    elif isinstance(envelope, str):  # OAuth endpoints: {"error": "invalid_grant", "error_description": ...}
        code, message, log_id = envelope, str(body.get("error_description") or ""), body.get("log_id")
    else:
        code, message, log_id = "", "", None
    if answer.ok and code in ("", "ok"):
        return None
    disposition = classify_tiktok_failure(answer.status, code)
    rate_limited = disposition is Disposition.RATE_LIMITED
    return error_for(
        disposition,
        message or code or f"HTTP {answer.status}",
        platform=PLATFORM,
        http_status=answer.status,
        code=code or None,
        retry_after_s=retry_after_seconds(answer.headers) if rate_limited else None,
        missing_scope=required_scope if code in _SCOPE else None,
        may_have_succeeded=ambiguous_failure_of_a_write(answer),
        trace_id=str(log_id) if log_id else None,
        payload=answer.payload(),
        secrets=secrets,
    )

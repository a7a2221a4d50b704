"""Scrub credentials out of anything an error keeps (message, URL, headers, body).

Errors end up in logs, Dagster event records and the database, so a token must never survive into one.
Two layers: names that carry secrets (`access_token=...` in URLs and form bodies, `"refresh_token": "..."`
in JSON, `Authorization` headers), and the literal tokens the caller used for the request, in case a platform
echoes one back somewhere we did not foresee.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[REDACTED]"

# Names whose values are credentials wherever they appear as key=value (URLs, form bodies, free text).
# `code` is the OAuth authorization code there; in JSON error bodies `code` is the platform's error code,
# so JSON keys use the narrower _SECRET_JSON_KEYS below.
_SECRET_PARAMS = (
    "access_token",
    "refresh_token",
    "client_secret",
    "fb_exchange_token",
    "input_token",
    "upload_token",
    "code_verifier",
    "code",
    "token",
)
_SECRET_JSON_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "client_secret",
        "fb_exchange_token",
        "input_token",
        "upload_token",
        "code_verifier",
        "token",
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "file_url",
    }
)
_PARAM_RE = re.compile(
    r"(?P<lead>^|[?&;,\s\"'(])(?P<name>" + "|".join(_SECRET_PARAMS) + r")=(?P<value>[^&\s\"'<>;,)]+)",
    re.IGNORECASE,
)
_JSON_PAIR_RE = re.compile(
    r"(?P<name>\"(?:access_token|refresh_token|client_secret|fb_exchange_token|input_token|upload_token|"
    r"code_verifier|token)\"\s*:\s*)\"[^\"]*\"",
    re.IGNORECASE,
)
# Credentials are long; the length floor keeps prose like "Invalid OAuth access token" readable.
_AUTH_SCHEME_RE = re.compile(r"\b(?P<scheme>Bearer|OAuth|Basic)\s+[A-Za-z0-9._~+/=|%:-]{8,}", re.IGNORECASE)
# Shorter strings than this are not treated as literal secrets: replacing "1" everywhere would ruin payloads.
_MIN_LITERAL_SECRET = 6


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in sorted({s for s in secrets if s and len(s) >= _MIN_LITERAL_SECRET}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _PARAM_RE.sub(lambda m: f"{m['lead']}{m['name']}={REDACTED}", text)
    text = _JSON_PAIR_RE.sub(lambda m: f'{m["name"]}"{REDACTED}"', text)
    return _AUTH_SCHEME_RE.sub(lambda m: f"{m['scheme']} {REDACTED}", text)


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of `value` (JSON-like data, headers, text) with every credential replaced by [REDACTED]."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if str(key).lower() in _SECRET_JSON_KEYS else redact(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item, secrets) for item in value]
    return value

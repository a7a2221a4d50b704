"""Where each platform lives: the real hosts by default, one environment variable each to point elsewhere.

The clients differ from production only by these base URLs (the local platform sandbox sets them), so the
paths under each base are exactly the documented ones. Read at client construction, never at import.
"""

import os
from enum import StrEnum


class Host(StrEnum):
    """Each value is the environment variable that overrides the host."""

    TIKTOK_API = "AZMTH_TIKTOK_API_URL"
    TIKTOK_AUTH = "AZMTH_TIKTOK_AUTH_URL"
    # Graph API host including the version: paths below it are /{ig-user-id}/media etc.
    INSTAGRAM_API = "AZMTH_INSTAGRAM_API_URL"
    FACEBOOK_AUTH = "AZMTH_FACEBOOK_AUTH_URL"
    # Threads host WITHOUT version: API calls go to /v1.0/..., token endpoints sit at the host root.
    THREADS_API = "AZMTH_THREADS_API_URL"
    THREADS_AUTH = "AZMTH_THREADS_AUTH_URL"
    X_API = "AZMTH_X_API_URL"
    X_AUTH = "AZMTH_X_AUTH_URL"


DEFAULTS: dict[Host, str] = {
    Host.TIKTOK_API: "https://open.tiktokapis.com",
    Host.TIKTOK_AUTH: "https://www.tiktok.com",
    Host.INSTAGRAM_API: "https://graph.facebook.com/v25.0",
    Host.FACEBOOK_AUTH: "https://www.facebook.com",
    Host.THREADS_API: "https://graph.threads.net",
    Host.THREADS_AUTH: "https://threads.net",
    Host.X_API: "https://api.x.com",
    Host.X_AUTH: "https://x.com",
}

THREADS_API_VERSION = "v1.0"


def host_url(host: Host) -> str:
    """The base URL for `host`: its environment variable when set, else the real platform host."""
    value = os.environ.get(host.value, "").strip()
    return (value or DEFAULTS[host]).rstrip("/")

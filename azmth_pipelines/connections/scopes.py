"""What each connection asks for: read scopes first, write scopes only when the artist opts into publishing.

Sources: platform-apis.md 1.2 (TikTok scopes), 2.1 (Instagram permissions), 3.1 (Threads), 4.1 (X, where
posting with media needs tweet.read tweet.write users.read media.write, and offline.access for a refresh token).
"""

from azmth_pipelines.vocabulary import Platform

READ_SCOPES: dict[Platform, tuple[str, ...]] = {
    Platform.TIKTOK: ("user.info.basic", "user.info.profile", "user.info.stats", "video.list"),
    # business_management: needed when the artist's Page role comes through Business Manager (2.1).
    Platform.INSTAGRAM: (
        "instagram_basic",
        "pages_show_list",
        "pages_read_engagement",
        "instagram_manage_insights",
        "business_management",
    ),
    Platform.THREADS: ("threads_basic", "threads_manage_insights"),
    # offline.access on the first connection too: without it X issues no refresh token and the
    # connection dies after two hours.
    Platform.X: ("tweet.read", "users.read", "offline.access"),
}

WRITE_SCOPES: dict[Platform, tuple[str, ...]] = {
    # video.publish posts directly; video.upload sends to the drafts inbox (and photo MEDIA_UPLOAD).
    Platform.TIKTOK: ("video.publish", "video.upload"),
    Platform.INSTAGRAM: ("instagram_content_publish",),
    Platform.THREADS: ("threads_content_publish",),
    Platform.X: ("tweet.write", "media.write"),
}


def requested_scopes(platform: Platform, *, publish: bool) -> list[str]:
    """The scopes a connect asks for, in a stable order."""
    return list(READ_SCOPES[platform]) + (list(WRITE_SCOPES[platform]) if publish else [])


def parse_scope_list(value: str | None) -> list[str]:
    """A granted-scope string: TikTok separates with commas, X with spaces (RFC 6749)."""
    if not value:
        return []
    return sorted({part for part in value.replace(",", " ").split() if part})

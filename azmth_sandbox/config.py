"""What a sandbox is configured with: seed, processing delay, limits, verified URL prefixes.

Every limit the platforms document is a field here so tests and benchmarks can lift it (None = unlimited).
Where the platform docs disagree (IG quota 50 vs 100, TikTok token lifetimes) the default is the value the
reference page shows and the other one is a setting away.
"""

from dataclasses import dataclass, field, fields
from typing import Any

HOUR = 3600
DAY = 24 * HOUR


@dataclass
class SandboxLimits:
    # Instagram content_publishing_limit: the reference page and example say 50, the guide says 100.
    instagram_quota_total: int | None = 50
    instagram_containers_per_day: int | None = 400
    threads_quota_total: int | None = 250
    threads_reply_quota_total: int | None = 1000
    # TikTok per-token windows (tiktok-api-v2-rate-limit): init 6/min, creator_info 20/min, status 30/min.
    tiktok_init_per_minute: int | None = 6
    tiktok_creator_info_per_minute: int | None = 20
    tiktok_status_per_minute: int | None = 30
    tiktok_read_per_minute: int | None = 600
    tiktok_pending_inbox_per_day: int | None = 5
    tiktok_unaudited_users_per_day: int | None = 5
    # X per-user 15-minute windows (x-api/fundamentals/rate-limits).
    x_create_tweets_per_15min: int | None = 100
    x_tweet_lookup_per_15min: int | None = 5000
    x_users_me_per_15min: int | None = 75
    x_media_upload_per_15min: int | None = 1875
    # X documents {"errors":[{"code":88,...}]} but v2 endpoints also answer problem JSON: "errors" | "problem".
    x_rate_limit_body: str = "errors"

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown limits: {sorted(unknown)}")
        for name, value in values.items():
            setattr(self, name, value)

    def lift_all(self) -> None:
        """No caps and no rate limits: for benchmarks that measure our code, not the platforms' patience."""
        for f in fields(self):
            if f.name != "x_rate_limit_body":
                setattr(self, f.name, None)


@dataclass
class TokenLifetimes:
    # TikTok: the long-standing doc says 24 h / 365 days; the 2026 revision 2 h / 180 days with rotation.
    tiktok_access_s: int = 24 * HOUR
    tiktok_refresh_s: int = 365 * DAY
    meta_short_lived_s: int = 2 * HOUR
    meta_long_lived_s: int = 5183944
    threads_short_lived_s: int = HOUR
    x_access_s: int = 2 * HOUR
    x_refresh_s: int = 180 * DAY
    oauth_code_s: int = 600
    # X: "the code must be exchanged within 30 s" (oauth-2-0/authorization-code).
    x_oauth_code_s: int = 30


@dataclass
class SandboxConfig:
    seed: int = 0
    # Real seconds a container / upload stays IN_PROGRESS before its outcome shows; 0 = ready at once.
    processing_delay_s: float = 0.5
    # URL prefixes treated as verified in the TikTok developer portal (PULL_FROM_URL, photo_images).
    tiktok_verified_url_prefixes: list[str] = field(default_factory=list)
    # Real TikTok only pulls https; loopback http is let through so a local media server can serve tests.
    tiktok_allow_loopback_http: bool = True
    media_fetch_timeout_s: float = 30.0
    media_max_bytes: int = 1024 * 1024 * 1024
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    lifetimes: TokenLifetimes = field(default_factory=TokenLifetimes)
    # Fault specs as given on the CLI ("PLATFORM:KIND=VALUE[,scope=..][,times=N]"), applied at start.
    faults: list[str] = field(default_factory=list)


def sandbox_env(base_url: str) -> dict[str, str]:
    """The AZMTH_*_URL variables that point every platform client at a sandbox served at `base_url`."""
    base = base_url.rstrip("/")
    return {
        "AZMTH_TIKTOK_API_URL": f"{base}/tiktok",
        "AZMTH_TIKTOK_AUTH_URL": f"{base}/tiktok-www",
        "AZMTH_INSTAGRAM_API_URL": f"{base}/instagram/v25.0",
        "AZMTH_FACEBOOK_AUTH_URL": f"{base}/facebook",
        "AZMTH_THREADS_API_URL": f"{base}/threads",
        "AZMTH_THREADS_AUTH_URL": f"{base}/threads-www",
        "AZMTH_X_API_URL": f"{base}/x",
        "AZMTH_X_AUTH_URL": f"{base}/x-www",
    }


def default_apps(platforms: tuple[str, ...] = ("tiktok", "instagram", "threads", "x")) -> dict[str, tuple[str, str]]:
    """The app every sandbox registers on each platform at start, as (client id, client secret): what a developer
    portal would show for an app already set up, so a client can run the OAuth flow without any admin call."""
    return {platform: (f"sandbox-{platform}-client", f"sandbox-{platform}-secret") for platform in platforms}

"""The sandbox's in-memory world: apps, accounts, tokens, containers, uploads and published posts.

Handlers run on one event loop and mutate state only between awaits; the lock makes the same true for the
admin helpers and any thread that touches the store, and it is never held across an await.
"""

import copy
import itertools
import secrets
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from azmth_sandbox.clock import SandboxClock
from azmth_sandbox.config import DAY, SandboxConfig, default_apps
from azmth_sandbox.faults import FaultBook
from azmth_sandbox.media import MediaFetcher
from azmth_sandbox.ratelimit import SlidingWindows

PLATFORMS = ("tiktok", "instagram", "threads", "x")

# Default publishing scopes per platform, as a test user who approved everything would have granted.
DEFAULT_SCOPES: dict[str, tuple[str, ...]] = {
    "tiktok": (
        "user.info.basic",
        "user.info.profile",
        "user.info.stats",
        "video.list",
        "video.upload",
        "video.publish",
    ),
    "instagram": (
        "instagram_basic",
        "instagram_content_publish",
        "pages_read_engagement",
        "pages_show_list",
        "instagram_manage_insights",
        "business_management",
    ),
    "threads": (
        "threads_basic",
        "threads_content_publish",
        "threads_manage_insights",
        "threads_read_replies",
    ),
    "x": ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access"),
}


@dataclass
class App:
    platform: str
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)
    # TikTok: unaudited clients may only serve registered test users, posting privately.
    audited: bool = True

    def redirect_allowed(self, uri: str) -> bool:
        if self.redirect_uris:
            return uri in self.redirect_uris
        # An app registered without URIs accepts loopback callbacks only, so local runs need no setup.
        return uri.startswith(("http://127.0.0.1", "http://localhost", "https://127.0.0.1", "https://localhost"))


@dataclass
class Account:
    id: str
    platform: str
    username: str
    remote_id: str
    scopes: frozenset[str]
    created_at: float
    display_name: str = ""
    tier: str = "basic"
    privacy: str = "public"
    max_video_post_duration_sec: int = 600
    has_ig_business_account: bool = True
    fb_user_id: str = ""
    page_id: str = ""
    is_test_user: bool = True
    # TikTok creator_info answers these with HTTP 200 (content-posting-api-reference-query-creator-info).
    posting_blocked: str | None = None
    followers_base: int = 1000
    publish_times: deque[float] = field(default_factory=deque)
    page_token: str | None = None
    pending_inbox: deque[float] = field(default_factory=deque)

    def publishes_in_window(self, now: float, window_s: float = DAY) -> int:
        while self.publish_times and self.publish_times[0] <= now - window_s:
            self.publish_times.popleft()
        return len(self.publish_times)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "platform": self.platform,
            "username": self.username,
            "remote_id": self.remote_id,
            "scopes": sorted(self.scopes),
            "tier": self.tier,
            "privacy": self.privacy,
            "max_video_post_duration_sec": self.max_video_post_duration_sec,
            "has_ig_business_account": self.has_ig_business_account,
            "fb_user_id": self.fb_user_id or None,
            "page_id": self.page_id or None,
            "is_test_user": self.is_test_user,
            "posting_blocked": self.posting_blocked,
        }


@dataclass
class Token:
    value: str
    platform: str
    account_id: str
    client_id: str
    scopes: frozenset[str]
    issued_at: float
    expires_at: float | None
    kind: str = "access"  # access | refresh | page
    long_lived: bool = False
    revoked: bool = False
    # The refresh token issued with an access token (TikTok and X rotate them together).
    refresh_value: str | None = None

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass
class AuthCode:
    code: str
    platform: str
    client_id: str
    account_id: str
    redirect_uri: str
    scopes: frozenset[str]
    expires_at: float
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    used: bool = False


@dataclass
class Post:
    """Something that went live (or to the inbox): what admins list to count duplicates."""

    platform: str
    account_id: str
    remote_id: str
    text: str
    media: list[str]
    media_type: str
    published_at: float
    product_type: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def public(self, username: str) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "account_id": self.account_id,
            "username": username,
            "remote_id": self.remote_id,
            "text": self.text,
            "media": self.media,
            "media_type": self.media_type,
            "product_type": self.product_type,
            "published_at": self.published_at,
            **self.extra,
        }


@dataclass
class Job:
    """Asynchronous processing: the outcome is known when the task finishes, shown once ready_at passes."""

    ready_at: float
    done: bool = False
    error: str | None = None  # platform-specific failure detail
    detail: dict[str, Any] = field(default_factory=dict)

    def finished(self, now: float) -> bool:
        return self.done and now >= self.ready_at


@dataclass
class Container:
    """An Instagram or Threads media container."""

    id: str
    platform: str
    account_id: str
    media_type: str
    text: str
    media_urls: list[str]
    children: list[str]
    created_at: float
    job: Job
    is_carousel_item: bool = False
    upload_uri: str | None = None
    uploaded_bytes: int = 0
    published_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class TikTokPublish:
    publish_id: str
    account_id: str
    token: str
    mode: str  # direct | inbox
    media_type: str  # VIDEO | PHOTO
    source: str  # FILE_UPLOAD | PULL_FROM_URL
    title: str
    privacy_level: str | None
    created_at: float
    job: Job | None = None
    media_urls: list[str] = field(default_factory=list)
    upload_id: str | None = None
    upload_token: str | None = None
    upload_expires_at: float = 0.0
    video_size: int = 0
    chunk_size: int = 0
    total_chunk_count: int = 0
    received: bytearray = field(default_factory=bytearray)
    downloaded_bytes: int = 0
    post_id: int | None = None
    cancelled: bool = False
    probe: dict[str, Any] = field(default_factory=dict)


@dataclass
class XMedia:
    id: str
    account_id: str
    media_type: str
    category: str
    total_bytes: int
    created_at: float
    segments: dict[int, bytes] = field(default_factory=dict)
    finalized: bool = False
    job: Job | None = None
    expires_after_secs: int = DAY


class SandboxState:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._initial_config = copy.deepcopy(config)
        self.limits = config.limits
        self.clock = SandboxClock()
        self.faults = FaultBook(seed=config.seed)
        self.windows = SlidingWindows()
        self.fetcher = MediaFetcher(config.media_fetch_timeout_s, config.media_max_bytes)
        self.lock = threading.RLock()
        # Who the browser is "logged in as" on each platform's authorize page, and what they answer.
        self.oauth_users: dict[str, dict[str, Any]] = {}
        self._reset_data()

    def _reset_data(self) -> None:
        self.apps: dict[str, App] = {}
        self.accounts: dict[str, Account] = {}
        self.by_remote: dict[tuple[str, str], Account] = {}
        self.tokens: dict[str, Token] = {}
        self.codes: dict[str, AuthCode] = {}
        self.containers: dict[str, Container] = {}
        self.tiktok_publishes: dict[str, TikTokPublish] = {}
        self.tiktok_uploads: dict[str, TikTokPublish] = {}
        self.x_media: dict[str, XMedia] = {}
        self.posts: dict[tuple[str, str], Post] = {}
        self.post_order: list[Post] = []
        # Platform API requests served, per platform (admin /stats): benchmarks count API calls with it.
        self.request_counts: Counter[str] = Counter()
        self.posts_by_account: dict[str, list[Post]] = {}
        self.unaudited_posters: dict[str, deque[tuple[float, str]]] = {}
        self.x_deleted: set[str] = set()
        # (account id, text) -> (time, tweet id) of the latest post, for X's duplicate-content check.
        self.x_recent_texts: dict[tuple[str, str], tuple[float, str]] = {}
        self._counter = itertools.count(1)
        for platform, (client_id, client_secret) in default_apps(PLATFORMS).items():
            self.add_app(App(platform, client_id, client_secret))

    def reset(self) -> None:
        """Back to the state at start: no data, no faults, clock at real time, the configured limits."""
        with self.lock:
            initial = copy.deepcopy(self._initial_config)
            self.config.__dict__.update(initial.__dict__)
            self.limits = self.config.limits
            self._reset_data()
            self.oauth_users.clear()
            self.faults.clear()
            self.windows.clear()
            self.clock.reset()

    def now(self) -> float:
        return self.clock.now()

    # ids ---------------------------------------------------------------------------------------------

    def next_number(self) -> int:
        return next(self._counter)

    def new_id(self, platform: str, kind: str = "object") -> str:
        """Platform-shaped ids: IG/Threads 17-18 digit numbers, X snowflakes, TikTok 19 digits."""
        n = self.next_number()
        base = {
            "instagram": 17841400000000000,
            "threads": 17889600000000000,
            "x": 1899012000000000000,
            "tiktok": 7391122000000000000,
            "facebook": 134895700000000,
        }[platform]
        return str(base + n * 1009 + (self.config.seed % 997))

    # apps, accounts, tokens ---------------------------------------------------------------------------

    def add_app(self, app: App) -> App:
        with self.lock:
            self.apps[app.client_id] = app
        return app

    def default_app(self, platform: str) -> App:
        return self.apps[default_apps((platform,))[platform][0]]

    def add_account(self, platform: str, username: str, **options: Any) -> Account:
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}; expected one of {PLATFORMS}")
        scopes = options.pop("scopes", None)
        with self.lock:
            n = self.next_number()
            # TikTok open_ids are opaque strings; the others are numeric ids.
            remote_id = f"-000{secrets.token_hex(6)}" if platform == "tiktok" else self.new_id(platform)
            account = Account(
                id=f"acct_{n}",
                platform=platform,
                username=username,
                remote_id=remote_id,
                scopes=frozenset(scopes if scopes is not None else DEFAULT_SCOPES[platform]),
                created_at=self.now(),
                display_name=options.pop("display_name", None) or username,
                **options,
            )
            if platform == "instagram":
                account.fb_user_id = self.new_id("facebook")
                account.page_id = self.new_id("facebook")
            self.accounts[account.id] = account
            self.by_remote[(platform, remote_id)] = account
            return account

    def account_by_remote(self, platform: str, remote_id: str) -> Account | None:
        return self.by_remote.get((platform, remote_id))

    def issue_token(
        self,
        account: Account,
        *,
        client_id: str | None = None,
        scopes: frozenset[str] | None = None,
        lifetime_s: float | None,
        kind: str = "access",
        long_lived: bool = False,
        prefix: str = "",
    ) -> Token:
        now = self.now()
        token = Token(
            value=prefix + secrets.token_urlsafe(24),
            platform=account.platform,
            account_id=account.id,
            client_id=client_id or self.default_app(account.platform).client_id,
            scopes=scopes if scopes is not None else account.scopes,
            issued_at=now,
            expires_at=None if lifetime_s is None else now + lifetime_s,
            kind=kind,
            long_lived=long_lived,
        )
        with self.lock:
            self.tokens[token.value] = token
        return token

    def issue_token_pair(self, account: Account, **kwargs: Any) -> tuple[Token, Token | None]:
        """An access token plus, where the platform issues one, its refresh token."""
        lifetimes = self.config.lifetimes
        scopes = kwargs.get("scopes")
        client_id = kwargs.get("client_id")
        refresh: Token | None
        if account.platform == "tiktok":
            access = self.issue_token(
                account,
                client_id=client_id,
                scopes=scopes,
                lifetime_s=lifetimes.tiktok_access_s,
                prefix="act.",
            )
            refresh = self.issue_token(
                account,
                client_id=client_id,
                scopes=scopes,
                lifetime_s=lifetimes.tiktok_refresh_s,
                kind="refresh",
                prefix="rft.",
            )
        elif account.platform == "x":
            access = self.issue_token(account, client_id=client_id, scopes=scopes, lifetime_s=lifetimes.x_access_s)
            granted = access.scopes
            refresh = (
                self.issue_token(
                    account,
                    client_id=client_id,
                    scopes=scopes,
                    lifetime_s=lifetimes.x_refresh_s,
                    kind="refresh",
                )
                if "offline.access" in granted
                else None
            )
        elif account.platform == "threads":
            access = self.issue_token(
                account,
                client_id=client_id,
                scopes=scopes,
                lifetime_s=lifetimes.meta_long_lived_s,
                long_lived=True,
                prefix="THQ",
            )
            refresh = None
        else:
            access = self.issue_token(
                account,
                client_id=client_id,
                scopes=scopes,
                lifetime_s=lifetimes.meta_long_lived_s,
                long_lived=True,
                prefix="EAA",
            )
            refresh = None
        if refresh is not None:
            access.refresh_value = refresh.value
        return access, refresh

    def token(self, value: str | None) -> Token | None:
        if not value:
            return None
        return self.tokens.get(value)

    def revoke(self, value: str) -> bool:
        with self.lock:
            token = self.tokens.get(value)
            if token is None:
                return False
            token.revoked = True
            if token.refresh_value and token.refresh_value in self.tokens:
                self.tokens[token.refresh_value].revoked = True
            return True

    # published posts ------------------------------------------------------------------------------------

    def record_post(self, post: Post) -> Post:
        with self.lock:
            self.posts[(post.platform, post.remote_id)] = post
            self.post_order.append(post)
            self.posts_by_account.setdefault(post.account_id, []).append(post)
        return post

    def account_posts(self, account_id: str) -> list[Post]:
        """The account's posts, oldest first (kept per account so per-user reads stay cheap)."""
        return self.posts_by_account.get(account_id, [])

    def post(self, platform: str, remote_id: str) -> Post | None:
        return self.posts.get((platform, remote_id))

    def published(self, platform: str | None = None, account_id: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            rows = [
                p.public(self.accounts[p.account_id].username)
                for p in self.post_order
                if (platform is None or p.platform == platform) and (account_id is None or p.account_id == account_id)
            ]
        return rows

"""Engagement that grows with time: a saturating curve per post, deterministic from the seed and post id.

value(t) = ceiling * (1 - exp(-age / tau)), with the ceiling and tau drawn from a hash of (seed, post,
metric). Values never go down, differ between a pull at +60 s, +24 h and a nightly one, and two sandboxes
with the same seed agree.
"""

import hashlib
import math

_HOUR = 3600.0


def _unit(seed: int, *parts: str) -> float:
    digest = hashlib.blake2b(":".join((str(seed), *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _curve(seed: int, key: str, age_s: float, ceiling: float, tau_h: float) -> float:
    if age_s <= 0:
        return 0.0
    tau = tau_h * _HOUR * (0.5 + _unit(seed, key, "tau"))
    return ceiling * (1 - math.exp(-age_s / tau))


# Per-view ratios (low, high) for the engagement metrics every platform reports in some form.
_RATIOS: dict[str, tuple[float, float]] = {
    "likes": (0.03, 0.12),
    "comments": (0.002, 0.015),
    "shares": (0.001, 0.01),
    "saves": (0.001, 0.02),
    "reposts": (0.001, 0.008),
    "quotes": (0.0002, 0.002),
    "bookmarks": (0.001, 0.01),
    "reach": (0.6, 0.9),
    "profile_visits": (0.002, 0.02),
    "follows": (0.0002, 0.003),
    "link_clicks": (0.001, 0.01),
}


def post_metrics(seed: int, platform: str, post_id: str, published_at: float, now: float) -> dict[str, int]:
    """views plus engagement counts for one post at sandbox time `now`."""
    key = f"{platform}:{post_id}"
    age = now - published_at
    ceiling = 500 + 50_000 * _unit(seed, key, "views") ** 2
    views = _curve(seed, key, age, ceiling, tau_h=8)
    values = {"views": int(views)}
    for name, (low, high) in _RATIOS.items():
        ratio = low + (high - low) * _unit(seed, key, name)
        values[name] = int(views * ratio)
    return values


def follower_count(seed: int, platform: str, account_remote_id: str, base: int, created_at: float, now: float) -> int:
    """A follower count that climbs slowly from `base` (a few dozen a day)."""
    key = f"{platform}:{account_remote_id}"
    per_day = 10 + 90 * _unit(seed, key, "followers")
    return base + int(max(0.0, now - created_at) / 86400 * per_day)

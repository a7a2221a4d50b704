"""Request budgets shared by every process that calls a platform: the app's and each account's documented limits,
and the holds a platform's own answers put on them (a 429, a usage header at its limit), kept in one store.

On one machine the store may be the process's memory (`memory://`, the default); with several shards or workers it
must be Redis (`async+redis://host:6379/N`): a budget each process kept for itself would let every process spend the
whole of it. The counting is the `limits` library's moving window (atomic in Redis), so no window of the rule's
length ever holds more requests than the rule allows, whichever worker sent them.

A call that would overspend waits when the budget frees within `max_wait_s`; otherwise it is refused before it is
sent, as `RateLimited` with the time the budget frees, which publishing treats like the platform's own 429 with a
reset: the next attempt comes on the first tick after it and spends none of the post's retries.
"""

import asyncio
import hashlib
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, cast

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from azmth_pipelines.integrations.common.errors import RateLimited

Scope = Literal["app", "account"]
DEFAULT_STORAGE = "memory://"
# Longer than this, a call is refused and tried on a later tick rather than holding its shard.
DEFAULT_MAX_WAIT_S = 10.0
# How stale a worker's view of the holds may be: reading them from Redis on every call cost 1.6 ms of CPU a call, as
# much as the call itself; once a second per key costs nothing measurable.
HOLD_REFRESH_S = 1.0
_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")


@dataclass(frozen=True)
class BudgetRule:
    """At most `limit` (the `limits` notation: "100/day") requests of `method` to a path matching `path` (a regular
    expression over the URL path) in any moving window of the limit's length, counted for the whole app or per
    account."""

    name: str
    method: str
    path: str
    limit: str
    per: Scope

    def __post_init__(self) -> None:
        parse(self.limit)  # a typo in a limit fails at start-up, not on the first call
        re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        return method.upper() == self.method and re.fullmatch(self.path, path) is not None

    @property
    def item(self) -> RateLimitItem:
        return parse(self.limit)


@dataclass(frozen=True)
class Hold:
    """A platform said its app-wide (or this account's) allowance is spent, for every call or for the calls to one
    `path` (an endpoint's own limit): nobody makes them for `seconds`."""

    per: Scope
    seconds: float
    path: str = ""


def account_key(token: str) -> str:
    """Who an account's budget belongs to: a digest of its token (the platforms count per user token), never the
    token itself, which must not reach a shared store."""
    return hashlib.blake2b(token.encode(), digest_size=9).hexdigest()


class RequestBudget:
    def __init__(
        self,
        rules: Mapping[str, Sequence[BudgetRule]],
        *,
        storage_uri: str = DEFAULT_STORAGE,
        max_wait_s: float = DEFAULT_MAX_WAIT_S,
        namespace: str = "azmth",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.rules = {platform: tuple(platform_rules) for platform, platform_rules in rules.items()}
        self.storage_uri = storage_uri
        self.max_wait_s = max_wait_s
        # Prefixes every key, so apps (or test runs) sharing one Redis keep their own budgets.
        self.namespace = namespace
        self._clock = clock
        self._storage = cast(Storage, storage_from_string(_async(storage_uri)))
        self._limiter = MovingWindowRateLimiter(self._storage)
        # Hold keys read lately: key -> (when read, when the hold ends; 0 for none).
        self._seen: dict[str, tuple[float, float]] = {}

    async def spend(self, platform: str, method: str, path: str, account: str) -> None:
        """Take one request of `platform`'s budgets for `account` (see `account_key`), waiting for one that frees
        soon; raises RateLimited when none frees within `max_wait_s`."""
        while True:
            until = await self._held_until(platform, account, path)
            if until is None:
                until = await self._hit_rules(platform, method, path, account)
            if until is None:
                return
            wait = until - self._clock()
            if wait > self.max_wait_s:
                raise RateLimited(
                    f"{method} {path}: the app's shared {platform} request budget is spent for {wait:.0f} s more "
                    "(a documented limit, or the platform said so); not sent",
                    platform=platform,
                    retry_after_s=wait,
                )
            await asyncio.sleep(max(wait, 0.05))

    async def hold(self, platform: str, account: str, hold: Hold) -> None:
        """Keep every process off `platform` (or off this account) for `hold.seconds`, unless a longer hold stands."""
        until = self._clock() + max(1, round(hold.seconds))
        await self._extend(self._hold_key(platform, hold.per, account, hold.path), until)
        # One flag per platform says whether any hold of it stands, so a call with none reads one key, not four.
        await self._extend(self._flag_key(platform), until)

    async def _extend(self, key: str, until: float) -> None:
        current = await self._storage.get_expiry(key) if await self._storage.get(key) else 0.0
        if current < until:
            await self._storage.clear(key)
            await self._storage.incr(key, max(1, round(until - self._clock())))
        self._seen[key] = (self._clock(), max(current, until))

    async def _held_until(self, platform: str, account: str, path: str) -> float | None:
        if await self._expiry(self._flag_key(platform)) is None:
            return None
        keys = [self._hold_key(platform, per, account, on) for per in ("app", "account") for on in ("", path)]
        ends = [end for end in [await self._expiry(key) for key in keys] if end is not None]
        return max(ends, default=None)

    async def _expiry(self, key: str) -> float | None:
        """When the hold `key` ends (None: no hold), as read from the store at most HOLD_REFRESH_S ago: a hold
        another worker sets reaches this one within that time, and a call costs no round trip to Redis."""
        now = self._clock()
        seen = self._seen.get(key)
        if seen is None or now - seen[0] > HOLD_REFRESH_S:
            end = await self._storage.get_expiry(key) if await self._storage.get(key) else 0.0
            seen = self._seen[key] = (now, end)
        return seen[1] if seen[1] > now else None

    async def _hit_rules(self, platform: str, method: str, path: str, account: str) -> float | None:
        """Count the request against every rule it falls under; the time the fullest frees, if one is full. A
        request refused by one rule stays counted by the rules before it: a budget is spent early, never
        overspent."""
        for rule in self.rules.get(platform, ()):
            if not rule.matches(method, path):
                continue
            who = "app" if rule.per == "app" else account
            if not await self._limiter.hit(rule.item, self.namespace, platform, rule.name, who):
                stats = await self._limiter.get_window_stats(rule.item, self.namespace, platform, rule.name, who)
                return stats.reset_time
        return None

    def _hold_key(self, platform: str, per: Scope | str, account: str, path: str) -> str:
        return f"{self.namespace}/hold/{platform}/{'app' if per == 'app' else account}{_endpoint(path)}"

    def _flag_key(self, platform: str) -> str:
        return f"{self.namespace}/held/{platform}"


def _endpoint(path: str) -> str:
    """The endpoint a path calls, its ids replaced ("/2/users/{id}/tweets"), as the platforms count per endpoint."""
    return _ID_SEGMENT.sub("/{id}", path)


def _async(uri: str) -> str:
    """The `limits` URI of the asyncio storage (`async+redis://`, `async+memory://`) for a plain one."""
    return uri if uri.startswith("async+") else f"async+{uri}"

"""Fault injection: error rates, latency, 5xx, hangs, malformed JSON, 429 bursts, failed processing, errors
of any status, and lost replies (the platform did the work, then its answer was a 5xx).

A rule is scoped to a platform, an endpoint group ("publish", "status", "upload", "metrics", "oauth",
"all") or a path fragment (starting with "/"; ending with "$", the path's end), and optionally to the next N
matching requests, so a test can fail exactly one step. The CLI form is `PLATFORM:KIND=VALUE[,scope=GROUP][,times=N]`.
"""

import itertools
import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

KINDS = (
    "error_rate",  # VALUE = probability 0..1 of a platform-shaped 500
    "status_5xx",  # VALUE = HTTP status (500, 502, 503, 504), answered before the handler runs: nothing was done
    "http_status",  # VALUE = HTTP status 400-599 with the platform's error body for it, before the handler runs
    "lost_reply",  # VALUE = HTTP status (default 500): the handler runs (the post is made), its answer is replaced
    "latency",  # VALUE = "MS" or "MIN..MAX" ms added before the handler runs
    "timeout",  # VALUE = seconds to hang before answering 504 (longer than a client timeout)
    "malformed",  # VALUE ignored: 200 with a truncated JSON body
    "rate_limit",  # VALUE = seconds until the limit resets (optional): the platform's 429 / throttling answer
    "container_error",  # VALUE = error detail: the next processing job fails with it
)
GROUPS = ("all", "publish", "status", "upload", "metrics", "oauth", "account")
FAULT_PLATFORMS = ("tiktok", "instagram", "threads", "x")


@dataclass
class FaultRule:
    platform: str
    kind: str
    value: str = ""
    scope: str = "all"
    times: int | None = None
    id: int = 0

    def matches(self, platform: str, group: str, path: str) -> bool:
        if self.platform not in ("*", platform):
            return False
        if self.scope == "all":
            return True
        if self.scope.startswith("/"):
            # "/threads_publish$" names the endpoint itself, not /threads_publishing_limit beside it.
            return path.endswith(self.scope[:-1]) if self.scope.endswith("$") else self.scope in path
        return self.scope == group

    def public(self) -> dict[str, Any]:
        return asdict(self)


def parse_fault_spec(spec: str) -> FaultRule:
    """`instagram:error_rate=0.2,scope=publish,times=3` -> FaultRule."""
    head, _, rest = spec.partition(",")
    platform, _, kind_value = head.partition(":")
    kind, _, value = kind_value.partition("=")
    options: dict[str, str] = {}
    for part in filter(None, rest.split(",")):
        key, _, val = part.partition("=")
        options[key.strip()] = val.strip()
    unknown = set(options) - {"scope", "times"}
    if unknown:
        raise ValueError(f"unknown fault option(s) {sorted(unknown)} in {spec!r}")
    return make_rule(
        platform=platform.strip(),
        kind=kind.strip(),
        value=value.strip(),
        scope=options.get("scope", "all"),
        times=int(options["times"]) if "times" in options else None,
    )


def make_rule(platform: str, kind: str, value: Any = "", scope: str = "all", times: int | None = None) -> FaultRule:
    if platform not in (*FAULT_PLATFORMS, "*"):
        raise ValueError(f"unknown platform {platform!r} in fault; expected one of {FAULT_PLATFORMS} or *")
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {KINDS}")
    if not (scope in GROUPS or scope.startswith("/")):
        raise ValueError(f"unknown fault scope {scope!r}; expected one of {GROUPS} or a path fragment")
    rule = FaultRule(platform, kind, str(value), scope, times)
    if kind == "error_rate" and not 0 <= float(rule.value or 1) <= 1:
        raise ValueError("error_rate is a probability between 0 and 1")
    if kind == "latency":
        latency_range(rule.value)
    if kind == "rate_limit" and rule.value and not float(rule.value) >= 0:
        raise ValueError("rate_limit takes the seconds until the limit resets (X, Instagram, Threads)")
    if kind == "status_5xx" and not 500 <= int(rule.value or 503) <= 599:
        raise ValueError("status_5xx takes a 5xx status code")
    if kind == "http_status" and not 400 <= int(rule.value or 0) <= 599:
        raise ValueError("http_status takes a 4xx or 5xx status code")
    if kind == "lost_reply" and not 500 <= int(rule.value or 500) <= 599:
        raise ValueError("lost_reply takes a 5xx status code")
    return rule


def latency_range(value: str) -> tuple[float, float]:
    low, sep, high = value.partition("..")
    lo = float(low or 0)
    hi = float(high) if sep else lo
    if lo < 0 or hi < lo:
        raise ValueError(f"latency {value!r}: expected MS or MIN..MAX with 0 <= MIN <= MAX")
    return lo, hi


@dataclass(frozen=True)
class FaultPlan:
    """What the matching rules say to do with one request."""

    delay_s: float = 0.0
    action: str | None = None  # error | status_5xx | http_status | lost_reply | timeout | malformed | rate_limit
    value: str = ""


class FaultBook:
    def __init__(self, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._random = random.Random(seed)

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            rule.id = next(self._ids)
            self._rules.append(rule)
        return rule

    def clear(self, platform: str | None = None) -> None:
        with self._lock:
            self._rules = [r for r in self._rules if platform is not None and r.platform != platform]

    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def _consume(self, rule: FaultRule) -> None:
        if rule.times is not None:
            rule.times -= 1
            if rule.times <= 0:
                self._rules.remove(rule)

    def plan(self, platform: str, group: str, path: str) -> FaultPlan:
        if not self._rules:
            return FaultPlan()
        delay = 0.0
        with self._lock:
            for rule in list(self._rules):
                if rule.kind == "container_error" or not rule.matches(platform, group, path):
                    continue
                if rule.kind == "latency":
                    lo, hi = latency_range(rule.value)
                    delay += self._random.uniform(lo, hi) / 1000
                    self._consume(rule)
                    continue
                if rule.kind == "error_rate" and self._random.random() >= float(rule.value or 1):
                    continue
                self._consume(rule)
                action = "error" if rule.kind == "error_rate" else rule.kind
                return FaultPlan(delay, action, rule.value)
        return FaultPlan(delay)

    def take_processing_error(self, platform: str, group: str = "publish", path: str = "") -> str | None:
        """The error detail a `container_error` rule forces onto the next processing job, if any."""
        if not self._rules:
            return None
        with self._lock:
            for rule in list(self._rules):
                if rule.kind == "container_error" and rule.matches(platform, group, path):
                    self._consume(rule)
                    return rule.value
        return None

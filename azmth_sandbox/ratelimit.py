"""Sliding-window counters keyed by (endpoint, token/user), read against the sandbox clock."""

import threading
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class WindowVerdict:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float


class SlidingWindows:
    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, endpoint: str, key: str, limit: int | None, window_s: float, now: float) -> WindowVerdict:
        """Count one call if it fits in the window; a refused call is not counted (as the platforms do)."""
        if limit is None:
            return WindowVerdict(True, 0, 0, now)
        with self._lock:
            hits = self._hits.setdefault((endpoint, key), deque())
            while hits and hits[0] <= now - window_s:
                hits.popleft()
            if len(hits) >= limit:
                return WindowVerdict(False, limit, 0, hits[0] + window_s)
            hits.append(now)
            reset_at = hits[0] + window_s
            return WindowVerdict(True, limit, limit - len(hits), reset_at)

    def count(self, endpoint: str, key: str, window_s: float, now: float) -> int:
        with self._lock:
            hits = self._hits.get((endpoint, key))
            if not hits:
                return 0
            return sum(1 for t in hits if t > now - window_s)

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()

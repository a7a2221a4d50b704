"""Sandbox time: the wall clock plus an offset that the admin endpoint moves forward.

Token expiry, container expiry, rate-limit windows, 24 h caps and metric growth all read this clock, so a
test can jump a day ahead instead of sleeping.
"""

import threading
import time


class SandboxClock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Unix seconds as the sandbox sees them."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()

    @property
    def offset(self) -> float:
        return self._offset

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0

"""A per-key token bucket (the API's per-trader order rate limit), thread-safe, clock injectable.

Each key holds up to ``burst`` tokens and regains ``rate`` per second; ``take`` spends one or says
how long to wait. Buckets that are full again are forgotten when the table grows past
``max_keys``, so a flood of fresh keys cannot grow memory without bound.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """See the module docstring."""

    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float | None:
        """Spends a token of ``key``; None when allowed, else the seconds until one is back."""
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self._max_keys:
                self._forget_full(now)
            return None

    def _forget_full(self, now: float) -> None:
        full = [k for k, (t, at) in self._buckets.items() if t + (now - at) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]

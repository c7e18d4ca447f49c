"""Cal.com's throttler: a fixed window per tracker, then a block during which every request is refused."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RateLimitSettings:
    limit: int = 120
    window_seconds: float = 60.0
    block_seconds: float = 60.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        """The ``-Default`` suffixed headers; Cal.com sends no ``Retry-After`` and no unsuffixed variants."""
        return {
            "X-RateLimit-Limit-Default": str(self.limit),
            "X-RateLimit-Remaining-Default": str(self.remaining),
            "X-RateLimit-Reset-Default": str(self.reset_seconds),
        }


@dataclass
class _Bucket:
    hits: int = 0
    window_ends: float = 0.0
    blocked_until: float = 0.0


@dataclass
class RateLimiter:
    """Counts hits per tracker (API key, else client IP); uses a monotonic clock, never the shifted one."""

    settings: RateLimitSettings = field(default_factory=RateLimitSettings)
    monotonic: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, settings: RateLimitSettings) -> None:
        with self._lock:
            self.settings = settings
            self._buckets.clear()

    def reset(self) -> None:
        self.configure(RateLimitSettings())

    def hit(self, tracker: str) -> Decision:
        with self._lock:
            now = self.monotonic()
            settings = self.settings
            bucket = self._buckets.setdefault(tracker, _Bucket())
            if now < bucket.blocked_until:
                return Decision(False, settings.limit, 0, _ceil(bucket.blocked_until - now))
            if now >= bucket.window_ends:
                bucket.hits = 0
                bucket.window_ends = now + settings.window_seconds
            bucket.hits += 1
            if bucket.hits > settings.limit:
                bucket.blocked_until = now + settings.block_seconds
                return Decision(False, settings.limit, 0, _ceil(settings.block_seconds))
            return Decision(True, settings.limit, settings.limit - bucket.hits, _ceil(bucket.window_ends - now))


def _ceil(seconds: float) -> int:
    # Cal.com's Redis store reports ceil(ms / 1000); never report 0 while a window or block is still running.
    return max(1, math.ceil(round(seconds * 1000) / 1000))

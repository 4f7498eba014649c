"""Requests per token per minute, counted in the cache (Redis in production), answered in `RateLimit-*`
headers on every API response and with 429 and `Retry-After` once spent."""

from __future__ import annotations

import dataclasses
import time

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60


@dataclasses.dataclass(frozen=True)
class Budget:
    limit: int
    remaining: int
    reset_seconds: int

    @property
    def spent(self) -> bool:
        return self.remaining < 0

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(self.remaining, 0)),
            "RateLimit-Reset": str(self.reset_seconds),
        }


def limit_per_minute() -> int:
    return int(settings.CMHUB_API_RATE_LIMIT)


def take(token_id: int, *, now: float | None = None) -> Budget:
    """Count one request against the token's current window."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    key = f"api:rate:{token_id}:{window}"
    cache.add(key, 0, WINDOW_SECONDS + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS + 5)
        used = 1
    limit = limit_per_minute()
    reset = (window + 1) * WINDOW_SECONDS - int(now)
    return Budget(limit=limit, remaining=limit - used, reset_seconds=max(reset, 1))

"""The default cache, made to outlive its server, and reads for what a page can show without it.

Queued work survives a Redis outage (the tasks wait in the broker); the web must too. Two kinds of callers
use the cache, and an outage means something different to each:

- **Things that must keep working**: allauth's rate limits (sign-in, password reset) and its TOTP replay
  guard. `FallbackCache`, the default cache's backend when Redis is configured, serves them from this
  process's memory while Redis is unreachable. We chose this over failing closed on purpose: failing closed
  turns a cache outage into a locked back office, the people who must answer customers (and fix the outage)
  included, and a locked sign-in page protects nothing a limit would not. The cost is that, during the
  outage, each web process counts on its own: a limit of 5 becomes 5 per process, still a handful of
  guesses, still bounded, and the counts start afresh when Redis comes back.
- **Decoration** (who else has a conversation open): `decoration_get` / `decoration_set` answer "nothing"
  instead of raising, and never read the fallback, where each process would show a different subset of
  the people present.

The outage is logged once when it starts and once when it ends, not on every request; while it lasts,
Redis is tried again every RETRY_AFTER seconds, so a request pays for at most one failed connection then.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

try:
    from redis import exceptions as _redis
except ImportError:  # pragma: no cover - redis is in requirements.txt
    UNREACHABLE: tuple[type[BaseException], ...] = (OSError,)
else:
    UNREACHABLE = (OSError, _redis.ConnectionError, _redis.TimeoutError)

RETRY_AFTER = 5.0  # seconds on the fallback before the server is tried again


class CacheUnavailable(Exception):
    """The cache server is unreachable (now, or it was a moment ago and it is not time to try again)."""


class _Health:
    """One per cache location and process: every thread's backend instance (Django makes one per thread)
    shares it, so an outage is logged once per process, not once per thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_since: float | None = None
        self.next_try = 0.0


_health: dict[str, _Health] = {}
_health_lock = threading.Lock()


class FallbackCache(BaseCache):
    """OPTIONS["BACKEND"] (e.g. RedisCache) with the rest of OPTIONS; this process's memory when it is
    unreachable. Only connection failures switch over: any other error (a missing key for `incr`, a value
    that does not pickle) is the caller's, and propagates as it would without the wrapper."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        backend = options.pop("BACKEND")
        super().__init__({**params, "OPTIONS": {}})
        self._primary: BaseCache = import_string(backend)(location, {**params, "OPTIONS": options})
        self._fallback = LocMemCache(f"fallback:{location}", {**params, "OPTIONS": {}})
        with _health_lock:
            self._health = _health.setdefault(location, _Health())

    @property
    def degraded(self) -> bool:
        return self._health.down_since is not None

    def call_primary(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """The server's answer, or CacheUnavailable: for callers that would rather have nothing than one
        process's memory."""
        health = self._health
        if health.down_since is not None and time.monotonic() < health.next_try:
            raise CacheUnavailable
        try:
            result = getattr(self._primary, name)(*args, **kwargs)
        except UNREACHABLE as exc:
            self._mark_down(exc)
            raise CacheUnavailable from exc
        if health.down_since is not None:
            self._mark_up()
        return result

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.call_primary(name, *args, **kwargs)
        except CacheUnavailable:
            return getattr(self._fallback, name)(*args, **kwargs)

    def _mark_down(self, exc: BaseException) -> None:
        health = self._health
        with health.lock:
            now = time.monotonic()
            if health.down_since is None:
                health.down_since = now
                log.warning(
                    "cache unreachable: rate limits count in this process's memory, presence is off",
                    extra={"error": f"{type(exc).__name__}: {exc}"},
                )
            health.next_try = now + RETRY_AFTER

    def _mark_up(self) -> None:
        health = self._health
        with health.lock:
            if health.down_since is not None:
                log.info(
                    "cache reachable again",
                    extra={"down_seconds": round(time.monotonic() - health.down_since)},
                )
                health.down_since = None

    # The cache API, each call through _call. get_or_set, incr_version and the async variants are
    # BaseCache's, built on these.
    def add(self, *args: Any, **kwargs: Any) -> bool:
        return self._call("add", *args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> None:
        return self._call("set", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> bool:
        return self._call("touch", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> bool:
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> bool:
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args: Any, **kwargs: Any) -> int:
        return self._call("incr", *args, **kwargs)

    def decr(self, *args: Any, **kwargs: Any) -> int:
        return self._call("decr", *args, **kwargs)

    def set_many(self, *args: Any, **kwargs: Any) -> list[str]:
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> None:
        return self._call("delete_many", *args, **kwargs)

    def clear(self) -> None:
        self._fallback.clear()
        with contextlib.suppress(CacheUnavailable):
            self.call_primary("clear")

    def close(self, **kwargs: Any) -> None:
        with contextlib.suppress(*UNREACHABLE):
            self._primary.close(**kwargs)


# --- Decoration: nothing rather than an error page ------------------------------------------------------

_decoration_failing = threading.Event()  # set while a plain backend (no FallbackCache) keeps failing


def _decoration(name: str, *args: Any, default: Any = None) -> Any:
    try:
        backend = caches[DEFAULT_CACHE_ALIAS]
        if isinstance(backend, FallbackCache):
            result = backend.call_primary(name, *args)  # FallbackCache logs the outage itself
        else:
            result = getattr(backend, name)(*args)
    except CacheUnavailable:
        return default
    except UNREACHABLE as exc:
        if not _decoration_failing.is_set():
            _decoration_failing.set()
            log.warning(
                "cache unreachable: decoration is off", extra={"error": f"{type(exc).__name__}: {exc}"}
            )
        return default
    _decoration_failing.clear()
    return result


def decoration_get(key: str, default: Any = None) -> Any:
    """The cached value, or `default` when the cache cannot be reached."""
    return _decoration("get", key, default, default=default)


def decoration_set(key: str, value: Any, timeout: float | None) -> None:
    """Store the value if the cache can be reached; otherwise drop it (it is decoration)."""
    _decoration("set", key, value, timeout)

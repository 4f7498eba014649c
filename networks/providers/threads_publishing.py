"""Publishing on Threads exactly once: the two-step container, the 24-hour publishing limits.

From https://developers.facebook.com/documentation/threads/posts and the troubleshooting guide
(https://developers.facebook.com/docs/threads/troubleshooting):

- `POST /{threads-user-id}/threads` (`media_type` TEXT or IMAGE, `text`, `image_url`, `reply_to_id`) makes
  a container and answers `{"id"}`; nothing is public yet, and a container not published within 24 hours
  expires. `GET /{container-id}?fields=id,status,error_message` says IN_PROGRESS, FINISHED, PUBLISHED,
  ERROR or EXPIRED.
- `POST /{threads-user-id}/threads_publish?creation_id=` publishes it and answers the media `{"id"}`.
- 250 posts and 1,000 replies per profile in a moving 24-hour window, enforced at threads_publish;
  `GET /{threads-user-id}/threads_publishing_limit?fields=quota_usage,config,reply_quota_usage,reply_config`
  answers `{"data": [{"quota_usage", "config": {"quota_total", "quota_duration"}, ...}]}`.

Exactly once: the container made for a delivery is remembered under the delivery's key (a `Memo`, shared by
every worker), so an attempt after a failure publishes that container instead of making another; a
container already PUBLISHED means an earlier attempt landed and lost its answer, which is said as Ambiguous
so the delivery engine reads it back. Making a container is always safe to repeat (it is invisible), so a
lost answer to that step is Transient. Meta documents no error body for an exhausted limit: whatever
threads_publish refuses, the limit is read, and a spent one is RateLimited until the oldest publish of the
window is 24 hours old (read from our own posts or replies).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from networks.providers.base import (
    Ambiguous,
    Invalid,
    NotFound,
    ProviderError,
    PublishResult,
    RateLimited,
    Transient,
)
from networks.providers.graph import Clock, GraphClient, parse_graph_time

log = logging.getLogger(__name__)

#: Our own posts or replies read to find when the window frees a place (a page is up to 100).
MAX_WINDOW_PAGES = 12
#: When the limit is spent and Threads' lists do not say when it frees, wait this long.
DEFAULT_LIMIT_WAIT = dt.timedelta(hours=1)
#: A reading of the limit is trusted this long while this many publishes remain.
QUOTA_FRESH = dt.timedelta(minutes=10)
QUOTA_MARGIN = 10
#: A container is remembered a little longer than Threads keeps it.
CONTAINER_TTL = dt.timedelta(hours=25)


class Memo(Protocol):
    """What survives between attempts of one delivery, in whichever worker runs them."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any, ttl: dt.timedelta) -> None: ...

    def delete(self, key: str) -> None: ...


class DictMemo:
    """A Memo in this process only (tests, one-off providers)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def set(self, key: str, value: Any, ttl: dt.timedelta) -> None:
        self.data[key] = value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


class CacheMemo:
    """The deployment's cache (Redis, or the file cache every process shares)."""

    def __init__(self, prefix: str = "threads"):
        self.prefix = prefix

    def _cache(self) -> Any:
        from django.core.cache import cache

        return cache

    def get(self, key: str) -> Any:
        return self._cache().get(f"{self.prefix}:{key}")

    def set(self, key: str, value: Any, ttl: dt.timedelta) -> None:
        self._cache().set(f"{self.prefix}:{key}", value, int(ttl.total_seconds()))

    def delete(self, key: str) -> None:
        self._cache().delete(f"{self.prefix}:{key}")


@dataclass(frozen=True, slots=True)
class Quota:
    used: int
    total: int

    @property
    def left(self) -> int:
        return max(0, self.total - self.used)


@dataclass(frozen=True, slots=True)
class Kind:
    """Posts or replies: which half of the limit, and where our own are listed."""

    usage_field: str
    config_field: str
    listing: str  # the edge of the user listing them, newest first
    words: str


POSTS = Kind("quota_usage", "config", "threads", "posts")
REPLIES = Kind("reply_quota_usage", "reply_config", "replies", "replies")


class Publisher:
    def __init__(
        self,
        graph: GraphClient,
        *,
        user_id: str,
        memo: Memo,
        clock: Clock,
        sleep: Callable[[float], None] = time.sleep,
        container_checks: int = 5,
        container_check_interval: float = 2.0,
    ):
        self.graph = graph
        self.user_id = user_id
        self.memo = memo
        self.clock = clock
        self.sleep = sleep
        self.container_checks = container_checks
        self.container_check_interval = container_check_interval

    def publish(self, kind: Kind, params: dict[str, str], *, delivery_key: str) -> PublishResult:
        """Create (or take up again) the delivery's container, then publish it once."""
        key = f"{self.user_id}:container:{delivery_key}" if delivery_key else ""
        container = self._resume(key) if key else ""
        if not container:
            self._check_quota(kind)
            container = self._create(params)
            if key:
                self.memo.set(key, container, CONTAINER_TTL)
        self._wait_until_ready(container, key)
        try:
            body = self.graph.post(f"{self.user_id}/threads_publish", data={"creation_id": container})
        except RateLimited as exc:
            raise RateLimited(
                str(exc), reset_at=self._window_reset(kind), network_message=exc.network_message
            ) from exc
        except (Invalid, NotFound, Transient) as exc:
            # Meta documents no body for a spent limit: read it, and wait rather than fail if it is.
            spent = self._read_quota(kind)
            if spent is not None and spent.left == 0:
                raise RateLimited(
                    f"The Threads limit of {spent.total} {kind.words} a day is reached.",
                    reset_at=self._window_reset(kind),
                    network_message=exc.network_message,
                ) from exc
            if key and not isinstance(exc, Transient):
                self.memo.delete(key)
            raise
        if key:
            self.memo.delete(key)
        self._count_publish(kind)
        media = body.get("id")
        if not isinstance(media, str) or not media:
            raise Ambiguous("Threads published the container but answered no media id")
        return PublishResult(media, permalink=self._permalink(media), raw=body)

    # --- The container ----------------------------------------------------------------------------------

    def _status(self, container: str) -> tuple[str, str]:
        body = self.graph.get(container, {"fields": "id,status,error_message"})
        status, error = body.get("status"), body.get("error_message")
        return (status if isinstance(status, str) else "", error if isinstance(error, str) else "")

    def _resume(self, key: str) -> str:
        """The container an earlier attempt made, when it can still be published; "" to make a new one."""
        container = self.memo.get(key)
        if not isinstance(container, str) or not container:
            return ""
        try:
            status, _error = self._status(container)
        except NotFound:
            status = "EXPIRED"
        if status == "PUBLISHED":
            # An earlier attempt published it and lost the answer: the read-back finds the post.
            raise Ambiguous("This container was published by an earlier attempt; reading it back.")
        if status in ("ERROR", "EXPIRED"):
            self.memo.delete(key)
            return ""
        return container

    def _create(self, params: dict[str, str]) -> str:
        try:
            body = self.graph.post(f"{self.user_id}/threads", data=params)
        except Ambiguous as exc:
            # A container is invisible until published and expires in 24 h: making another is safe.
            raise Transient(str(exc), network_message=exc.network_message) from exc
        container = body.get("id")
        if not isinstance(container, str) or not container:
            raise Transient("Threads made no container (no id in its answer); nothing was published.")
        return container

    def _wait_until_ready(self, container: str, key: str) -> None:
        for check in range(self.container_checks):
            status, error = self._status(container)
            if status in ("FINISHED", ""):  # "" : Threads said nothing; publishing will tell
                return
            if status == "PUBLISHED":
                raise Ambiguous("This container was published by an earlier attempt; reading it back.")
            if status in ("ERROR", "EXPIRED"):
                if key:
                    self.memo.delete(key)
                raise Invalid(f"Threads could not use this post ({error or status}).", network_message=error)
            if check + 1 < self.container_checks:
                self.sleep(self.container_check_interval)
        # Kept under the delivery's key: the next attempt publishes this one once it is ready.
        raise Transient("Threads is still preparing the post; it is published at the next attempt.")

    def _permalink(self, media: str) -> str:
        """Best effort: the post is public, so a failure here must not turn into an error."""
        try:
            link = self.graph.get(media, {"fields": "permalink"}).get("permalink")
        except ProviderError as exc:
            log.info("No permalink for Threads media %s: %s", media, type(exc).__name__)
            return ""
        return link if isinstance(link, str) and link.startswith("https://") else ""

    # --- The 24-hour limits -----------------------------------------------------------------------------

    def _read_quota(self, kind: Kind) -> Quota | None:
        fields = "quota_usage,config,reply_quota_usage,reply_config"
        try:
            body = self.graph.get(f"{self.user_id}/threads_publishing_limit", {"fields": fields})
        except ProviderError as exc:
            log.info("Threads publishing limit unreadable: %s", type(exc).__name__)
            return None
        data = body.get("data")
        entry = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
        used, config = entry.get(kind.usage_field), entry.get(kind.config_field)
        total = config.get("quota_total") if isinstance(config, dict) else None
        if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 10**6 for v in (used, total)):
            return None
        quota = Quota(used, total)  # type: ignore[arg-type]
        self.memo.set(
            self._quota_key(kind),
            {"used": quota.used, "total": quota.total, "at": self.clock().isoformat()},
            QUOTA_FRESH,
        )
        return quota

    def _quota_key(self, kind: Kind) -> str:
        return f"{self.user_id}:quota:{kind.usage_field}"

    def _known_quota(self, kind: Kind) -> Quota | None:
        known = self.memo.get(self._quota_key(kind))
        if not isinstance(known, dict):
            return None
        try:
            at = dt.datetime.fromisoformat(str(known["at"]))
            quota = Quota(int(known["used"]), int(known["total"]))
        except (KeyError, TypeError, ValueError):
            return None
        return quota if self.clock() - at < QUOTA_FRESH else None

    def _check_quota(self, kind: Kind) -> None:
        """Before a write, when the last reading is old or near the limit: a spent limit waits for its
        reset instead of being refused by threads_publish."""
        known = self._known_quota(kind)
        if known is not None and known.left > QUOTA_MARGIN:
            return
        quota = self._read_quota(kind)
        if quota is not None and quota.left == 0:
            raise RateLimited(
                f"The Threads limit of {quota.total} {kind.words} a day is reached.",
                reset_at=self._window_reset(kind),
            )

    def _count_publish(self, kind: Kind) -> None:
        known = self.memo.get(self._quota_key(kind))
        if isinstance(known, dict) and isinstance(known.get("used"), int):
            self.memo.set(self._quota_key(kind), {**known, "used": known["used"] + 1}, QUOTA_FRESH)

    def _window_reset(self, kind: Kind) -> dt.datetime:
        """When the moving window frees a place: 24 hours after the oldest of our posts (or replies)
        published in it. Natively published ones are listed too, so this may come early; a retry then
        meets the limit again and waits again."""
        now = self.clock()
        since = now - dt.timedelta(hours=24)
        params = {"fields": "id,timestamp", "since": str(int(since.timestamp())), "limit": "100"}
        oldest: dt.datetime | None = None
        try:
            for number, (data, _has_next) in enumerate(
                self.graph.pages(f"{self.user_id}/{kind.listing}", params), start=1
            ):
                for raw in data:
                    try:
                        at = parse_graph_time(raw.get("timestamp") if isinstance(raw, dict) else None)
                    except ValueError:
                        continue
                    if at >= since and (oldest is None or at < oldest):
                        oldest = at
                if number >= MAX_WINDOW_PAGES:
                    break
        except ProviderError as exc:
            log.info("Threads %s unreadable for the limit's reset: %s", kind.listing, type(exc).__name__)
        if oldest is None:
            return now + DEFAULT_LIMIT_WAIT
        return max(oldest + dt.timedelta(hours=24, minutes=1), now + dt.timedelta(minutes=1))

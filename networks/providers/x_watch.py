"""Deletions on X, found by looking up again the mentions already delivered.

X tells nobody that a post was deleted: the mentions timeline simply stops listing it, and no listing of
a conversation is complete enough to conclude from an absence. What X does say, when asked for posts by
id (`GET /2/tweets?ids=`, up to 100 ids, https://docs.x.com/x-api/posts/lookup/quickstart), is which of
them are gone: each missing one comes back in `errors[]` with the type `.../resource-not-found`, the
parameter `ids` and its id as `resource_id`, while the answer is still 200. An `Authorization Error`
(`.../not-authorized-for-resource`: its author went private) is not a deletion, and errors about the
posts a found one refers to (`"section": "includes"`) are about other posts.

So the cursor keeps the ids of the mentions delivered in the last `WATCH_DAYS` (at most `WATCH_MAX`,
newest kept), and once every `RECHECK_EVERY` the poll looks them up, at most three requests an hour,
which the lookup's own rate limit bucket easily allows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from networks.providers import x_wire
from networks.providers.base import EngagementItem

WATCH_DAYS = 7  # a deletion later than this is no longer looked for
WATCH_MAX = 300  # ids kept at most: three lookups
RECHECK_EVERY = dt.timedelta(hours=1)
LOOKUP_MAX = 100  # ids per GET /2/tweets
NOT_FOUND = "/problems/resource-not-found"


@dataclass(slots=True)
class Watch:
    #: Delivered mention id -> when it was written (ISO 8601).
    ids: dict[str, str] = field(default_factory=dict)
    checked_at: dt.datetime | None = None

    def due(self, now: dt.datetime) -> bool:
        return bool(self.ids) and (self.checked_at is None or now - self.checked_at >= RECHECK_EVERY)

    def chunks(self) -> list[list[str]]:
        ids = list(self.ids)
        return [ids[start : start + LOOKUP_MAX] for start in range(0, len(ids), LOOKUP_MAX)]


def load(cursor: dict[str, Any]) -> Watch:
    """The watch stored in a poll cursor; anything unreadable is dropped, never fatal."""
    stored = cursor.get("watch")
    raw: dict[str, Any] = stored if isinstance(stored, dict) else {}
    listed = raw.get("ids")
    ids: dict[str, Any] = listed if isinstance(listed, dict) else {}
    kept = {str(k): str(v) for k, v in ids.items() if x_wire.numeric_id(str(k)) and isinstance(v, str)}
    checked = raw.get("checked_at")
    try:
        checked_at = dt.datetime.fromisoformat(checked) if isinstance(checked, str) else None
    except ValueError:
        checked_at = None
    return Watch(kept, checked_at)


def dump(watch: Watch) -> dict[str, Any]:
    out: dict[str, Any] = {"ids": watch.ids}
    if watch.checked_at is not None:
        out["checked_at"] = watch.checked_at.isoformat()
    return out


def remember(watch: Watch, items: Iterable[EngagementItem], *, now: dt.datetime) -> Watch:
    """Add what was just delivered, forget what is too old to look for, keep the newest `WATCH_MAX`."""
    ids = dict(watch.ids)
    for item in items:
        ids[item.external_id] = item.created_at.isoformat()
    horizon = now - dt.timedelta(days=WATCH_DAYS)
    recent = {k: v for k, v in ids.items() if _written(v) >= horizon}
    newest = sorted(recent, key=int, reverse=True)[:WATCH_MAX]
    # The first ids start the clock: what was just delivered is not looked up in the same poll.
    checked_at = watch.checked_at or (now if newest else None)
    return Watch({k: recent[k] for k in sorted(newest, key=int)}, checked_at)


def forget(watch: Watch, gone: Iterable[str], *, checked_at: dt.datetime) -> Watch:
    dropped = set(gone)
    return Watch({k: v for k, v in watch.ids.items() if k not in dropped}, checked_at)


def not_found(body: dict[str, Any], *, asked: set[str]) -> list[str]:
    """The asked ids X answered as deleted (see the module's docstring for what is not a deletion)."""
    errors = body.get("errors")
    gone: list[str] = []
    for error in errors if isinstance(errors, list) else []:
        if not isinstance(error, dict) or error.get("section") == "includes":
            continue
        if error.get("parameter") not in (None, "ids") or not str(error.get("type", "")).endswith(NOT_FOUND):
            continue
        resource = str(error.get("resource_id") or error.get("value") or "")
        if resource in asked:
            gone.append(resource)
    return gone


def _written(value: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)

"""Every error a remote service answers maps to exactly one of these: the networks' providers raise them,
and the delivery engine (`core.delivery`) decides from them what happens next. They live here, below every
app, so that the engine, the networks and later outgoing webhooks share one taxonomy.

Each carries `network_message`: the remote side's own words, safe to show to a person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


class ProviderError(Exception):
    """Base class. `network_message` is the network's own words, safe to show to a person."""

    def __init__(self, message: str = "", *, network_message: str = "", status: int | None = None):
        super().__init__(message or network_message)
        self.network_message = network_message or message
        self.status = status


# A network's reset or retry time is believed within this window only: a reset at or before now would make
# a limited channel retry on every tick while the network keeps refusing, one years ahead would park it for
# years, and one past datetime's range would raise inside every poll. A daily quota (LinkedIn, YouTube)
# resets within a day, so a day is the ceiling.
RESET_CEILING = dt.timedelta(hours=24)
# The least wait before a write refused with 429 is tried again, whatever reset the network announced.
RETRY_FLOOR = dt.timedelta(seconds=30)


def reset_in(seconds: Any, *, now: dt.datetime) -> dt.datetime | None:
    """`now` plus a delay a network sent (seconds, as a number or a string), bounded to [now, now + 24 h];
    None when it is not a number."""
    try:
        delay = float(seconds)
    except (TypeError, ValueError):
        return None
    if delay != delay:  # NaN
        return None
    return now + dt.timedelta(seconds=min(max(delay, 0.0), RESET_CEILING.total_seconds()))


def reset_at_epoch(epoch: Any, *, now: dt.datetime) -> dt.datetime | None:
    """A reset a network sent as Unix seconds, bounded to [now, now + 24 h]; None when unreadable."""
    try:
        value = float(epoch)
    except (TypeError, ValueError):
        return None
    if value != value:
        return None
    return reset_in(value - now.timestamp(), now=now)


class RateLimited(ProviderError):
    def __init__(self, message: str = "", *, reset_at: dt.datetime, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.reset_at = reset_at

    def resume_at(self, *, now: dt.datetime, floor: dt.timedelta) -> dt.datetime:
        """When to call again: the network's reset, but never sooner than `floor` from now (a reset in the
        past is not a licence to hammer) nor later than a day."""
        return min(max(self.reset_at, now + floor), now + RESET_CEILING)


class AuthExpired(ProviderError):
    """The token is expired or revoked: a person must reconnect (or a refresh may help)."""


class PermissionMissing(ProviderError):
    """The token lacks a scope or the user lacks a role on the account."""


class NotFound(ProviderError):
    """The object is deleted or invisible to us."""


class Invalid(ProviderError):
    """Our request was wrong (too long, bad media, duplicate...): retrying will not help."""


class Duplicate(Invalid):
    """The network refuses the same words again. After an ambiguous attempt this means the first one
    probably landed: read back again rather than calling it failed."""


class ReadBackIncomplete(ProviderError):
    """Reading our posts or replies back reached what the network lets us list before the time the step
    began: whether it landed cannot be told, and only a person looking at the account can decide."""


class Transient(ProviderError):
    """5xx or network trouble before the request could have been applied: safe to retry."""


class Ambiguous(ProviderError):
    """The request may have been applied (timeout after sending): reconcile before any retry."""

"""Plumbing shared by the JSON REST providers (X, LinkedIn, Mastodon): the clock, reading answers, ids,
transport failures.

The one decision made here matters for "never send twice": a transport failure is Transient only when the
request certainly did not apply (the connection never opened, or the request is safe to repeat); a write
that left our side and got no answer is Ambiguous, to be reconciled before any retry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx

from core.http import UnsafeDestination
from networks.providers.base import Ambiguous, Invalid, ProviderError, Transient

Clock = Callable[[], dt.datetime]

_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def transport_error(network: str, exc: httpx.TransportError, *, may_apply: bool) -> ProviderError:
    if isinstance(exc, UnsafeDestination):
        return Invalid(str(exc))  # nothing was sent, and trying again cannot help until the address changes
    if isinstance(exc, _NEVER_SENT) or not may_apply:
        return Transient(f"Could not reach {network} ({exc.__class__.__name__}); it is safe to try again.")
    return Ambiguous(
        f"The connection to {network} broke after the request was sent ({exc.__class__.__name__}); "
        "it may have been applied: check before trying again."
    )


def json_or_empty(response: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object, or {} (error bodies and answers we only glance at)."""
    try:
        body = response.json()
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than the parser goes
        return {}
    return body if isinstance(body, dict) else {}


def json_object(response: httpx.Response, network: str) -> dict[str, Any]:
    """The body of a successful read; garbage from the network is a passing fault, not our bug."""
    try:
        body = response.json()
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested deeper than the parser goes
        raise Transient(f"{network} answered {response.status_code} with a body that is not JSON.") from exc
    if not isinstance(body, dict):
        raise Transient(f"{network} answered with JSON that is not an object.")
    return body


def raise_if(problems: list[str]) -> None:
    if problems:
        raise Invalid(" ".join(problems))


# X and Mastodon ids are 64-bit unsigned integers sent as strings (https://developer.x.com/en/docs/x-ids,
# https://docs.joinmastodon.org/api/guidelines/#id): a longer "id" is not one, and believed it would carry a
# since_id or min_id cursor past every real post to come.
MAX_ID_DIGITS = 20


def numeric_id(value: Any) -> str | None:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= MAX_ID_DIGITS:
        return value
    return None


def require_numeric(value: Any, name: str) -> str:
    checked = numeric_id(value)
    if not checked:
        raise ValueError(f"{name} is not a numeric id")
    return checked


def max_id(a: str | None, b: str | None) -> str | None:
    """The later of two ids (numeric ids grow with time); None only when both are."""
    if a is None or b is None:
        return a or b
    return a if int(a) >= int(b) else b

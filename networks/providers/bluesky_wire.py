"""Bluesky's wire format: XRPC errors, rate-limit headers, AT URIs, record keys, times and JWT expiry.

Pure functions of what the network sent, so the provider stays about behaviour. Sources:
- XRPC errors are `{"error": "<Name>", "message": "..."}` (https://atproto.com/specs/xrpc); an expired
  access token is 400 `ExpiredToken`, a password refused 401 `AuthenticationRequired`, a call an app
  password may not make (DMs without the "direct messages" box) 400 `InvalidToken` "Bad token method"
  (packages/pds/src/pipethrough.ts in github.com/bluesky-social/atproto).
- Rate limits: `RateLimit-Limit`, `-Remaining`, `-Reset` (epoch seconds), `-Policy`; 429
  `RateLimitExceeded` (https://docs.bsky.app/docs/advanced-guides/rate-limits).
- Record keys of app.bsky.feed.post are TIDs (https://atproto.com/specs/tid): 13 characters of
  base32-sortable, a 64-bit integer whose top bit is 0, then 53 bits of microseconds, then a 10-bit clock id.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

from networks.providers.base import (
    AuthExpired,
    Invalid,
    NotFound,
    PermissionMissing,
    ProviderError,
    RateLimited,
    RateLimitState,
    Transient,
    reset_at_epoch,
)
from networks.providers.rest import json_or_empty

NETWORK = "Bluesky"
#: A time the network sets (indexedAt, sentAt, Jetstream's time_us) further ahead of our clock than this is
#: not believed: it would carry a mark past everything still to come. Generous, for a badly set clock.
MAX_AHEAD = dt.timedelta(days=1)
RATE_LIMIT_WINDOW = dt.timedelta(minutes=5)  # the PDS's shortest window; when a 429 says no reset
POST = "app.bsky.feed.post"
BLOCK = "app.bsky.graph.block"

_AT_URI = re.compile(
    r"^at://(did:[a-z]+:[a-zA-Z0-9._:%-]{1,2048})/([a-zA-Z0-9.-]{1,317})/([a-zA-Z0-9._:~-]{1,512})$"
)
_DID = re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]{1,2048}$")
MAX_TIME_CHARS = 64  # RFC 3339 with nanoseconds and an offset is 35; more is not a time
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


@dataclass(frozen=True, slots=True)
class AtUri:
    did: str
    collection: str
    rkey: str

    def __str__(self) -> str:
        return f"at://{self.did}/{self.collection}/{self.rkey}"


def at_uri(value: Any) -> AtUri:
    """An AT URI naming a record by its repo's DID (ValueError otherwise: handles in URIs are not stable)."""
    match = _AT_URI.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"not a record AT URI: {str(value)[:80]!r}")
    return AtUri(match[1], match[2], match[3])


def is_did(value: Any) -> bool:
    return isinstance(value, str) and bool(_DID.match(value))


def permalink(handle: str, uri: str) -> str:
    """`https://bsky.app/profile/{handle}/post/{rkey}`; the DID stands in for a handle we do not know."""
    try:
        parsed = at_uri(uri)
    except ValueError:
        return ""
    return f"https://bsky.app/profile/{handle or parsed.did}/post/{parsed.rkey}"


def parse_time(value: Any) -> dt.datetime:
    """An atproto datetime (RFC 3339, any number of fractional digits, `Z` or an offset), in UTC.

    ValueError for anything else, including a valid-looking time that falls outside what a datetime
    holds once converted to UTC ("9999-12-31T23:59:59-23:59" overflows there)."""
    if not isinstance(value, str):
        raise TypeError("datetime is not a string")
    if len(value) > MAX_TIME_CHARS:
        raise ValueError("datetime is too long")
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("datetime has no time zone")
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError as exc:
        raise ValueError(f"datetime out of range in UTC: {value!r}") from exc


def created_time(created_at: Any, indexed_at: Any) -> dt.datetime:
    """When a post was written, for the inbox: its record's `createdAt` (set by the author's client, so
    anything), never later than `indexedAt` (set by the AppView when it saw the post). The AppView sorts by
    the same rule, `sortAt` = the earlier of the two (https://docs.bsky.app/docs/advanced-guides/timestamps):
    a post dated in the future cannot sit above everything else in the inbox. An unreadable createdAt falls
    back to indexedAt; an unreadable indexedAt leaves createdAt as it is."""
    indexed: dt.datetime | None
    try:
        indexed = parse_time(indexed_at)
    except (TypeError, ValueError):
        indexed = None
    try:
        created = parse_time(created_at)
    except (TypeError, ValueError):
        if indexed is None:
            raise
        return indexed
    return min(created, indexed) if indexed is not None else created


def format_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def tid(timestamp_us: int, clock_id: int) -> str:
    value = ((timestamp_us & (2**53 - 1)) << 10) | (clock_id & 1023)
    out = ""
    for _ in range(13):
        out = _TID_ALPHABET[value & 31] + out
        value >>= 5
    return out


# Deterministic keys land their timestamp inside 2023 + ~407 days: a TID's time is only a hint (the spec
# says never to trust it); the app sorts by createdAt. 2**45 microseconds of spread, 10 bits of clock id.
_KEY_EPOCH_US = 1_672_531_200 * 1_000_000


def stable_record_key(seed: str) -> str:
    """A TID derived from `seed`: the same seed always gives the same record key, so a retried write
    lands on the record an earlier attempt may have written, never beside it."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    spread = int.from_bytes(digest[:8], "big") % 2**45
    return tid(_KEY_EPOCH_US + spread, int.from_bytes(digest[8:10], "big"))


def jwt_expiry(token: str) -> dt.datetime | None:
    """The `exp` claim of a JWT, unverified (the PDS checks its own tokens; we only plan the refresh)."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        exp = payload["exp"]
        if isinstance(exp, bool) or not isinstance(exp, int | float):
            return None
        return dt.datetime.fromtimestamp(exp, dt.UTC)
    except (ValueError, KeyError, TypeError, OverflowError, OSError, RecursionError):
        return None


def error_name(response: httpx.Response) -> tuple[str, str]:
    body = json_or_empty(response)
    name, message = body.get("error"), body.get("message")
    return (name if isinstance(name, str) else ""), (message if isinstance(message, str) else "")


def rate_limit_state(response: httpx.Response, *, now: dt.datetime) -> RateLimitState | None:
    limit = _int(response.headers.get("ratelimit-limit"))
    remaining = _int(response.headers.get("ratelimit-remaining"))
    if limit is None and remaining is None:
        return None
    return RateLimitState(
        remaining=remaining,
        limit=limit,
        reset_at=reset_at_epoch(response.headers.get("ratelimit-reset"), now=now),
    )


def status_error(response: httpx.Response, *, now: dt.datetime) -> ProviderError:
    status = response.status_code
    name, message = error_name(response)
    words = f"{name}: {message}" if name and message else (name or message or response.reason_phrase)
    if status == 429 or name == "RateLimitExceeded":
        reset_at = reset_at_epoch(response.headers.get("ratelimit-reset"), now=now) or now + RATE_LIMIT_WINDOW
        return RateLimited(
            "Bluesky rate limit reached.", network_message=words, status=status, reset_at=reset_at
        )
    if name == "InvalidToken" and "method" in message.lower():
        return PermissionMissing(
            "The app password does not allow this (direct messages need an app password with "
            "“Allow access to your direct messages” ticked).",
            network_message=words,
            status=status,
        )
    if status == 401 or name in ("ExpiredToken", "InvalidToken", "AuthenticationRequired", "AccountTakedown"):
        return AuthExpired("The Bluesky session is expired or revoked.", network_message=words, status=status)
    if status == 403:
        return PermissionMissing("Bluesky refused: permission missing.", network_message=words, status=status)
    if status == 404 or name in ("NotFound", "RecordNotFound"):
        return NotFound("Not found on Bluesky.", network_message=words, status=status)
    if 400 <= status < 500:
        return Invalid(f"Bluesky refused the request: {words}", network_message=words, status=status)
    return Transient(f"Bluesky answered {status}; try again later.", network_message=words, status=status)


_HEADER_INT = re.compile(r"^[0-9]{1,18}$")


def _int(value: str | None) -> int | None:
    """An integer header; None for anything else (str.isdigit() also takes "²", which int() refuses)."""
    value = value.strip() if isinstance(value, str) else ""
    return int(value) if _HEADER_INT.match(value) else None


def obj(value: Any) -> dict[str, Any]:
    """`value` if the network sent an object there, else {} (anything else is treated as absent)."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


# https://atproto.com/specs/handle: at most 253 characters, dot-separated labels of letters, digits, "-".
_HANDLE = re.compile(
    r"^(?=.{1,253}$)(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"
)


def handle(value: Any) -> str:
    """A handle as the network sent it, or "" when it is not one (it goes into profile and post links)."""
    return value if isinstance(value, str) and _HANDLE.match(value) else ""

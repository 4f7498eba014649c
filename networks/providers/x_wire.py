"""X's wire format: reading tweets (ids, times, includes) and turning answers into errors and rate limits.

Everything here is a pure function of what X sent, so the provider can stay about behaviour (what to ask,
when to stop, what is safe to retry).
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import httpx

from networks.providers.base import (
    AuthExpired,
    Duplicate,
    Invalid,
    NotFound,
    PermissionMissing,
    ProviderError,
    RateLimited,
    RateLimitState,
    Transient,
    reset_at_epoch,
)
from networks.providers.rest import Clock, json_or_empty
from networks.providers.rest import max_id as max_id
from networks.providers.rest import numeric_id as numeric_id
from networks.providers.rest import require_numeric as require_numeric

RATE_LIMIT_WINDOW = dt.timedelta(minutes=15)  # X's windows; used only when the reset header is missing


def status_error(response: httpx.Response, clock: Clock) -> ProviderError:
    status = response.status_code
    detail = problem_detail(json_or_empty(response)) or response.reason_phrase
    if status == 429:
        now = clock()
        capped = exhausted_daily_resets(response, now=now)
        window = rate_limit_reset(response, now=now)
        if capped:
            # A 24-hour cap is spent: sleeping until the 15-minute window's reset would only hit it again.
            reset_at = max([*capped, *([window] if window else [])])
        else:
            reset_at = window or now + RATE_LIMIT_WINDOW
        return RateLimited("X rate limit reached.", network_message=detail, status=status, reset_at=reset_at)
    if status == 401:
        return AuthExpired("The X token is expired or revoked.", network_message=detail, status=status)
    if status == 403:
        lowered = detail.lower()
        if "deleted or not visible" in lowered:
            return NotFound("The post is deleted or not visible.", network_message=detail, status=status)
        if "duplicate" in lowered:
            return Duplicate("X refuses duplicate posts.", network_message=detail, status=status)
        return PermissionMissing("X refused: permission missing.", network_message=detail, status=status)
    if status == 404:
        return NotFound("Not found on X.", network_message=detail, status=status)
    if 400 <= status < 500:
        return Invalid(f"X refused the request: {detail}", network_message=detail, status=status)
    return Transient(f"X answered {status}; try again later.", network_message=detail, status=status)


def problem_detail(body: Any) -> str:
    """The network's own words from an RFC 7807 problem, a legacy errors[] or an OAuth error."""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors")
    messages = []
    if isinstance(errors, list):
        messages = [str(e.get("message") or e.get("detail") or "") for e in errors if isinstance(e, dict)]
    parts = [str(body.get("detail") or body.get("error_description") or body.get("reason") or ""), *messages]
    return " ".join(part for part in parts if part).strip()


#: X's 24-hour caps, per user and per app, come as their own header families beside the 15-minute window
#: (https://docs.x.com/x-api/fundamentals/rate-limits).
DAILY_CAPS = ("x-user-limit-24hour", "x-app-limit-24hour")
DAY = dt.timedelta(hours=24)


def rate_limit_state(response: httpx.Response, *, now: dt.datetime) -> RateLimitState | None:
    limit, remaining = (
        response.headers.get("x-rate-limit-limit"),
        response.headers.get("x-rate-limit-remaining"),
    )
    capped = exhausted_daily_resets(response, now=now)
    if capped:
        # The tightest constraint wins: a spent daily cap holds the account until its own reset.
        daily_limit = next((int_or_none(response.headers.get(f"{cap}-limit")) for cap in DAILY_CAPS), None)
        return RateLimitState(remaining=0, limit=daily_limit, reset_at=max(capped))
    if limit is None and remaining is None:
        return None
    return RateLimitState(
        remaining=int_or_none(remaining),
        limit=int_or_none(limit),
        reset_at=rate_limit_reset(response, now=now),
    )


def exhausted_daily_resets(response: httpx.Response, *, now: dt.datetime) -> list[dt.datetime]:
    """The resets of the 24-hour caps this answer says are spent (remaining 0), believed within a day."""
    resets = []
    for cap in DAILY_CAPS:
        remaining = int_or_none(response.headers.get(f"{cap}-remaining"))
        if remaining is not None and remaining <= 0:
            reset = reset_at_epoch(response.headers.get(f"{cap}-reset"), now=now)
            resets.append(reset or now + DAY)
    return resets


def tweet_text(raw: dict[str, Any]) -> str:
    """A post's whole text: a long post's `text` is cut at 280, its `note_tweet.text` is not. X escapes
    &, < and > as HTML entities in both: unescaped here, once."""
    note = raw.get("note_tweet")
    text = note.get("text") if isinstance(note, dict) and isinstance(note.get("text"), str) else raw["text"]
    if not isinstance(text, str):
        raise TypeError("text is not a string")
    return html.unescape(text)


def rate_limit_reset(response: httpx.Response, *, now: dt.datetime) -> dt.datetime | None:
    """`x-rate-limit-reset` (Unix seconds), believed within a day of now."""
    return reset_at_epoch(response.headers.get("x-rate-limit-reset"), now=now)


def permalink(username: str, tweet_id: str) -> str:
    return (
        f"https://x.com/{username}/status/{tweet_id}"
        if username
        else f"https://x.com/i/web/status/{tweet_id}"
    )


def meta(body: dict[str, Any]) -> dict[str, Any]:
    meta = body.get("meta")
    return meta if isinstance(meta, dict) else {}


def users_by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    includes = body.get("includes")
    users = includes.get("users") if isinstance(includes, dict) else None
    if not isinstance(users, list):
        return {}
    return {str(u["id"]): u for u in users if isinstance(u, dict) and "id" in u}


def replied_to(references: Any) -> str | None:
    if references is None:
        return None
    for ref in references:  # TypeError on a non-list: the item is malformed
        if ref["type"] == "replied_to":
            return require_numeric(ref["id"], "referenced_tweets.id")
    return None


def parse_time(value: Any) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)  # TypeError/ValueError on anything but ISO 8601
    if parsed.tzinfo is None:
        raise ValueError("created_at has no time zone")
    return parsed.astimezone(dt.UTC)


def int_or_none(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().lstrip("-").isdigit() else None

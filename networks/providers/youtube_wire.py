"""YouTube Data API v3 on the wire: what each call costs, comment text, times, and reading the resources.

Pure functions of what YouTube sent, so `youtube` stays about behaviour. Sources:
- https://developers.google.com/youtube/v3/docs/commentThreads and /comments (resource representations:
  `snippet.textDisplay` is HTML unless textFormat=plainText; `textOriginal` is returned to the comment's
  author only; `moderationStatus` to the owner of the channel or video only);
- https://developers.google.com/youtube/v3/determine_quota_cost (list 1 unit; insert, update,
  setModerationStatus and delete 50 units);
- https://developers.google.com/youtube/v3/docs/errors (Google's envelope, mapped by google_auth).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any
from zoneinfo import ZoneInfo

import nh3

NETWORK = "YouTube"
SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
API_BASE = "https://www.googleapis.com"

#: Quota units per call (the quota calculator); a call is charged before it is sent, failed or not.
LIST_COST = 1
WRITE_COST = 50

#: Google's reasons for a spent daily quota (https://developers.google.com/youtube/v3/docs/errors).
DAILY_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
#: The quota day ends at midnight Pacific Time
#: (https://developers.google.com/youtube/v3/guides/quota_and_compliance_audits).
QUOTA_ZONE = ZoneInfo("America/Los_Angeles")

#: What the owner reads in `moderationStatus` for a comment the public does not see.
HELD_STATUSES = frozenset({"heldForReview", "likelySpam"})
STATUSES = HELD_STATUSES | {"published", "rejected"}
#: The longest comment YouTube accepts (commentTextTooLong beyond it) [documented in YouTube's help, not
#: in the API reference].
MAX_COMMENT_CHARS = 10_000
#: Comment ids and tokens are opaque strings of URL-safe characters; a longer or odder one is not one.
_ID = re.compile(r"[A-Za-z0-9_.\-]{1,200}")
#: Times a broken or hostile answer could put far ahead; beyond this, an item would carry the mark past
#: everything to come.
MAX_AHEAD = dt.timedelta(days=1)


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[dict[str, Any]]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def comment_id(value: Any) -> str:
    """An id as YouTube writes them; ValueError for anything else."""
    if isinstance(value, str) and _ID.fullmatch(value):
        return value
    raise ValueError("not a YouTube id")


def optional_id(value: Any) -> str:
    try:
        return comment_id(value)
    except ValueError:
        return ""


def page_token(value: Any) -> str:
    return value if isinstance(value, str) and 0 < len(value) <= 1000 and value.isascii() else ""


def parse_time(value: Any) -> dt.datetime:
    """An RFC 3339 time (`2024-05-01T10:30:00Z`, with or without fractions), aware and in UTC."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("not a time")
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("a time without a zone")
    return parsed.astimezone(dt.UTC)


def format_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v]+")


def plain_text(display: str) -> str:
    """What a person reads of `textDisplay` (HTML: `<br>`, `<a href>` for links and timestamps, `<b>`),
    as plain text: every tag dropped but line breaks, a link as its visible words, entities decoded
    once. nh3 parses it as a browser would, so markup cannot smuggle a tag through."""
    # A lone surrogate (half an emoji, cut by someone's truncation) cannot reach the HTML parser.
    display = display.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    cleaned = nh3.clean(display, tags={"br"}, attributes={})
    lines = html.unescape(_BREAK.sub("\n", cleaned)).split("\n")
    return "\n".join(_SPACES.sub(" ", line).strip() for line in lines).strip()


def comment_text(snippet: dict[str, Any]) -> str:
    """The comment's words: `textOriginal` where YouTube gave it (to its author), else the display HTML
    made plain."""
    original = snippet.get("textOriginal")
    if isinstance(original, str) and original:
        return original
    return plain_text(text(snippet.get("textDisplay")))


def status(snippet: dict[str, Any]) -> str:
    value = snippet.get("moderationStatus")
    return value if isinstance(value, str) and value in STATUSES else ""


def permalink(video_id: str, comment: str) -> str:
    if not video_id:
        return ""
    return f"https://www.youtube.com/watch?v={video_id}&lc={comment}"


def quota_resets_at(now: dt.datetime) -> dt.datetime:
    """The next midnight in California, when the project's daily units come back (23 or 25 hours after the
    last one on the days the clocks change)."""
    tomorrow = now.astimezone(QUOTA_ZONE).date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(0), tzinfo=QUOTA_ZONE).astimezone(dt.UTC)

"""Google Business Profile's wire format: resource names, timestamps, reviews, and the three API hosts.

Everything here reads what Google sends as untrusted: a review with a missing or mistyped field, a name
that is not a review's, a time that cannot be read or lies far ahead is a ValueError, and the poll skips
that one review (logged) instead of failing the batch.

Sources (https://developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews):
- Review: `name` (`accounts/{a}/locations/{l}/reviews/{r}`), `reviewId`, `reviewer` {`profilePhotoUrl`,
  `displayName`, `isAnonymous`: the name and photo are given only when the reviewer is not anonymous},
  `starRating` (`STAR_RATING_UNSPECIFIED`, `ONE`..`FIVE`), `comment` (may be absent: a rating without
  words), `createTime`, `updateTime`, `reviewReply` {`comment`, `updateTime`}.
- Timestamps are RFC 3339, "Z-normalized and uses 0, 3, 6 or 9 fractional digits"; offsets other than
  "Z" are accepted too.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from networks.normalise import clean_text

REVIEWS_HOST = "https://mybusiness.googleapis.com"
ACCOUNTS_HOST = "https://mybusinessaccountmanagement.googleapis.com"
LOCATIONS_HOST = "https://mybusinessbusinessinformation.googleapis.com"

STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
#: The reply's limit (ReviewReply.comment: "The maximum length is 4096 bytes").
MAX_REPLY_BYTES = 4096
#: What Google's own pages show for a reviewer who chose to stay anonymous.
ANONYMOUS_NAME = "A Google user"

# Ids are opaque: Google's are digits (accounts, locations) and URL-safe base64 (reviews). Anything else
# (a slash, a dot segment, a space) could steer a path we build from it somewhere else.
_ID = r"[A-Za-z0-9_-]{1,200}"
_LOCATION = re.compile(rf"^accounts/{_ID}/locations/{_ID}$")
_REVIEW = re.compile(rf"^(accounts/{_ID}/locations/{_ID})/reviews/({_ID})$")
_ACCOUNT = re.compile(rf"^accounts/{_ID}$")
_BARE_LOCATION = re.compile(rf"^locations/{_ID}$")
_REPLY_SUFFIX = "/reply"
#: Message.external_id holds 300 characters: a review whose reply id would not fit is not stored.
MAX_NAME_CHARS = 300 - len(_REPLY_SUFFIX)
#: A time this far ahead of ours is a lie, not a clock a little off: believed, it would become the mark and
#: every review written before it would be taken as already read.
MAX_AHEAD = dt.timedelta(days=1)


@dataclass(frozen=True)
class Hosts:
    """Where each of the three APIs is called: Google's own hosts, or one origin standing in for all
    three (the fake, a proxy), which serves each API under its own path."""

    reviews: str
    accounts: str
    locations: str


def hosts(api_base_url: str) -> Hosts:
    base = (api_base_url or REVIEWS_HOST).rstrip("/")
    if base == REVIEWS_HOST:
        return Hosts(REVIEWS_HOST, ACCOUNTS_HOST, LOCATIONS_HOST)
    return Hosts(base, base, base)


def review_reply_id(review_name: str) -> str:
    """The id CM Hub gives our reply to a review: one per review, the same whoever wrote it and however
    often it was replaced (Google keeps one reply per review; PUT .../reply replaces it)."""
    return f"{review_name}{_REPLY_SUFFIX}"


def review_of_reply(reply_id: str) -> str:
    """The review a reply id (review_reply_id) answers; the id itself when it names a review."""
    return reply_id[: -len(_REPLY_SUFFIX)] if reply_id.endswith(_REPLY_SUFFIX) else reply_id


def is_location_name(value: Any) -> bool:
    return isinstance(value, str) and bool(_LOCATION.match(value))


def is_account_name(value: Any) -> bool:
    return isinstance(value, str) and bool(_ACCOUNT.match(value))


def is_bare_location(value: Any) -> bool:
    return isinstance(value, str) and bool(_BARE_LOCATION.match(value))


def review_location(name: str) -> str:
    """The location (`accounts/{a}/locations/{l}`) a review name belongs to; ValueError if not one."""
    match = _REVIEW.match(name) if isinstance(name, str) else None
    if not match:
        raise ValueError("not a review name")
    return match[1]


def parse_time(value: Any, *, now: dt.datetime) -> dt.datetime:
    """An RFC 3339 timestamp (0 to 9 fractional digits, Z or an offset), aware and in UTC."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("not a timestamp")
    match = re.fullmatch(
        r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})", value
    )
    if not match:
        raise ValueError("not an RFC 3339 timestamp")
    day, clock, fraction, zone = match.groups()
    micro = (fraction or "").ljust(6, "0")[:6]  # nanoseconds are cut to what datetime holds
    zone = "+00:00" if zone in ("Z", "z") else zone
    moment = dt.datetime.fromisoformat(f"{day}T{clock}.{micro}{zone}")
    try:
        moment = moment.astimezone(dt.UTC)
    except OverflowError as exc:  # 9999-12-31T23:59:59-05:00 overflows in UTC
        raise ValueError("time out of range") from exc
    if moment > now + MAX_AHEAD:
        raise ValueError("time far in the future")
    return moment


def stars(value: Any) -> int | None:
    """1 to 5 from `starRating`; None for STAR_RATING_UNSPECIFIED or anything unknown."""
    return STARS.get(value) if isinstance(value, str) else None


def obj(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else {}."""
    return value if isinstance(value, dict) else {}


def token(value: Any) -> str:
    """A page token, or "" (the last page, or a value that is not one)."""
    return value if isinstance(value, str) and len(value) < 2000 else ""


def text(value: Any, *, limit: int = 20_000) -> str:
    """A string field, cleaned (no NUL, no lone surrogate) and bounded; "" when absent or not a string."""
    return clean_text(value)[:limit] if isinstance(value, str) else ""


@dataclass(frozen=True)
class Review:
    name: str
    review_id: str
    location: str
    stars: int | None
    comment: str
    created_at: dt.datetime
    updated_at: dt.datetime
    reviewer_name: str
    reviewer_photo: str
    anonymous: bool
    reply_comment: str
    reply_updated_at: dt.datetime | None


def review(raw: Any, *, now: dt.datetime) -> Review:
    """One review as Google sends it; ValueError for one that cannot be stored."""
    if not isinstance(raw, dict):
        raise ValueError("a review is not an object")
    name = raw.get("name")
    if not isinstance(name, str) or len(name) > MAX_NAME_CHARS:
        raise ValueError("a review without a usable name")
    location = review_location(name)
    created = parse_time(raw.get("createTime"), now=now)
    updated = parse_time(raw.get("updateTime"), now=now) if raw.get("updateTime") is not None else created
    reviewer = obj(raw.get("reviewer"))
    anonymous = reviewer.get("isAnonymous") is True
    reply = obj(raw.get("reviewReply"))
    reply_comment = text(reply.get("comment"))
    reply_time: dt.datetime | None = None
    if reply_comment:
        try:
            reply_time = parse_time(reply.get("updateTime"), now=now)
        except ValueError:
            reply_time = updated  # the reply is there; when it was written matters less than its words
    photo = text(reviewer.get("profilePhotoUrl"), limit=1000)
    return Review(
        name=name,
        review_id=text(raw.get("reviewId"), limit=200) or name.rsplit("/", 1)[-1],
        location=location,
        stars=stars(raw.get("starRating")),
        comment=text(raw.get("comment")),
        created_at=created,
        updated_at=max(updated, created),
        reviewer_name="" if anonymous else text(reviewer.get("displayName"), limit=200),
        reviewer_photo="" if anonymous or not photo.startswith("https://") else photo,
        anonymous=anonymous,
        reply_comment=reply_comment,
        reply_updated_at=reply_time,
    )


def error_status(body: dict[str, Any]) -> str:
    """`error.status` of Google's error envelope ("" when the body is not one)."""
    error = body.get("error")
    return error.get("status", "") if isinstance(error, dict) and isinstance(error.get("status"), str) else ""

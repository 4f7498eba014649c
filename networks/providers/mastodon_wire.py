"""Mastodon's wire format: status HTML, Link-header paging, rate-limit headers, errors and text length.

Everything here is a pure function of what an instance sent, so `mastodon` can stay about behaviour.
Sources (docs.joinmastodon.org is built from github.com/mastodon/documentation):
- paging: https://docs.joinmastodon.org/api/guidelines/#pagination (Link rel="next" = older, max_id;
  rel="prev" = newer, min_id);
- rate limits: https://docs.joinmastodon.org/api/rate-limits/ (X-RateLimit-Reset is an ISO 8601 timestamp
  with fractional seconds, e.g. 2020-09-08T13:25:00.019685Z);
- errors: https://docs.joinmastodon.org/entities/Error/ (`error`, optional `error_description`);
- length: app/validators/status_length_validator.rb in github.com/mastodon/mastodon (content warning plus
  text, grapheme clusters, every URL 23 characters, `@user@domain` counted as `@user`).
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import nh3
import regex

from networks.providers.base import (
    AuthExpired,
    Invalid,
    NotFound,
    PermissionMissing,
    ProviderError,
    RateLimited,
    RateLimitState,
    Transient,
    reset_in,
)
from networks.providers.rest import Clock, json_or_empty

#: What a default instance allows (GET /api/v2/instance `configuration`), used until the channel's own
#: server limits are known.
DEFAULT_MAX_CHARACTERS = 500
DEFAULT_URL_LENGTH = 23
DEFAULT_MAX_MEDIA = 4
DEFAULT_IMAGE_SIZE_LIMIT = 16 * 1024 * 1024
DEFAULT_IMAGE_MATRIX_LIMIT = 33_177_600
#: The default window (300 requests per 5 minutes per account): used only when the reset is unreadable.
RATE_LIMIT_WINDOW = dt.timedelta(minutes=5)

#: The few tags the inbox may show of a status (the plain text is what it shows today).
SHOWN_TAGS = {"p", "br", "a"}
_SHOWN_ATTRIBUTES = {"a": {"href"}}

# --- HTML --------------------------------------------------------------------------------------------


def sanitised_html(content: str) -> str:
    """A status's HTML cut down to paragraphs, line breaks and http(s) links: no script, no style, no
    attribute but href, every link opened without the opener."""
    return nh3.clean(
        content,
        tags=SHOWN_TAGS,
        attributes=_SHOWN_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
    )


class _PlainText(HTMLParser):
    """Text of sanitised status HTML: paragraphs as blank lines, <br> as newlines, a link as its address
    (Mastodon shortens the visible text of links with hidden spans), mentions and hashtags as written."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._link: str | None = None
        self._link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._emit("\n")
        elif tag == "p" and self.parts:
            self._emit("\n\n")
        elif tag == "a" and self._link is None:
            self._link = dict(attrs).get("href") or ""
            self._link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            text, href = "".join(self._link_text), self._link
            self._link = None
            shown = text if text.strip().startswith(("@", "#")) or not href else href
            self.parts.append(shown)

    def handle_data(self, data: str) -> None:
        self._emit(data)

    def _emit(self, text: str) -> None:
        if self._link is not None:
            self._link_text.append(text)
        else:
            self.parts.append(text)


_SPACES = re.compile(r"[ \t\r\f\v]+")


def plain_text(content: str) -> str:
    """What a person reads of a status's HTML, as plain text (line breaks kept, links as URLs)."""
    parser = _PlainText()
    parser.feed(sanitised_html(content))
    parser.close()
    text = "".join(parser.parts)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- Length ------------------------------------------------------------------------------------------

# URLs as Mastodon's FetchLinkCardService::URL_PATTERN finds them, near enough: http(s) with a host.
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]}]", re.IGNORECASE)
# Account::MENTION_RE: @user or @user@domain, not inside a word or an address.
_MENTION = re.compile(r"(?<![=/\w])@(\w+(?:[\w.-]+\w+)?)(?:@[\w.-]+\w+)?", re.UNICODE)


def countable_text(text: str, *, url_length: int = DEFAULT_URL_LENGTH) -> str:
    text = _URL.sub("x" * url_length, text)
    return _MENTION.sub(lambda m: f"@{m.group(1)}", text)


def text_length(text: str, *, url_length: int = DEFAULT_URL_LENGTH, spoiler_text: str = "") -> int:
    """The length Mastodon checks against `max_characters`: grapheme clusters of the content warning and
    the text, every URL as `url_length`, a remote mention as its local part."""
    return len(regex.findall(r"\X", spoiler_text + countable_text(text, url_length=url_length)))


# --- Paging ------------------------------------------------------------------------------------------

_LINK_PART = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


def link_params(response: httpx.Response) -> dict[str, dict[str, str]]:
    """The query parameters of each Link relation ("next", "prev"). Only the parameters are kept: the
    next request is built on the channel's own instance, so a Link naming another host never receives the
    token."""
    header = response.headers.get("link", "")
    found: dict[str, dict[str, str]] = {}
    for match in _LINK_PART.finditer(header):
        url, params = match.group(1), match.group(2)
        rel = re.search(r'rel="?([^";]+)"?', params)
        if not rel:
            continue
        query = parse_qs(urlsplit(url).query)
        found[rel.group(1).strip()] = {k: v[0] for k, v in query.items() if v}
    return found


# --- Ids and times -----------------------------------------------------------------------------------

# Ids are strings, "not guaranteed to be a number" (https://docs.joinmastodon.org/api/guidelines/#id):
# Mastodon's are numbers that grow with time, GoToSocial's ULIDs and Akkoma's flake ids sort as text. So
# an id is any short run of URL-safe characters, and the later of two the longer, else the greater as
# text (for numbers without leading zeros, the greater number). Nothing else: an id goes into paths.
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def status_id(value: Any) -> str | None:
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def require_id(value: Any, name: str) -> str:
    checked = status_id(value)
    if not checked:
        raise ValueError(f"{name} is not an id")
    return checked


def id_order(value: str) -> tuple[int, str]:
    return len(value), value


def newer(a: str | None, b: str | None) -> str | None:
    """The later of two ids of one instance; None only when both are."""
    if a is None or b is None:
        return a or b
    return a if id_order(a) >= id_order(b) else b


def is_newer(a: str, b: str) -> bool:
    """Whether id `a` came after id `b` on the same instance."""
    return id_order(a) > id_order(b)


def parse_time(value: Any) -> dt.datetime:
    """Mastodon's ISO 8601 datetimes (`2019-11-23T07:49:02.064Z`, https://docs.joinmastodon.org/api/datetime-format/)."""
    if not isinstance(value, str):
        raise TypeError("time is not a string")
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("time has no zone")
    return parsed.astimezone(dt.UTC)


def optional_time(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        return parse_time(value)
    except (TypeError, ValueError):
        return None


# --- Rate limits and errors --------------------------------------------------------------------------


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def reset_at(response: httpx.Response, *, now: dt.datetime) -> dt.datetime | None:
    """`X-RateLimit-Reset` (ISO 8601), believed within a day of now (reset_in clamps it)."""
    when = optional_time(response.headers.get("x-ratelimit-reset"))
    if when is None:
        return None
    return reset_in((when - now).total_seconds(), now=now)


def rate_limit_state(response: httpx.Response, *, now: dt.datetime) -> RateLimitState | None:
    limit, remaining = (
        response.headers.get("x-ratelimit-limit"),
        response.headers.get("x-ratelimit-remaining"),
    )
    if limit is None and remaining is None:
        return None
    return RateLimitState(remaining=_int(remaining), limit=_int(limit), reset_at=reset_at(response, now=now))


def error_words(response: httpx.Response) -> str:
    """The instance's own words: `error`, and `error_description` where OAuth gives one."""
    body = json_or_empty(response)
    parts = [str(body.get("error") or ""), str(body.get("error_description") or "")]
    return " ".join(part for part in parts if part).strip() or response.reason_phrase


def status_error(response: httpx.Response, clock: Clock) -> ProviderError:
    status = response.status_code
    words = error_words(response)
    if status == 429:
        now = clock()
        when = reset_at(response, now=now) or now + RATE_LIMIT_WINDOW
        return RateLimited(
            "Mastodon rate limit reached.", network_message=words, status=status, reset_at=when
        )
    if status == 401:
        return AuthExpired("The Mastodon token is invalid or revoked.", network_message=words, status=status)
    if status == 403:
        return PermissionMissing(
            "The Mastodon instance refused: permission missing.", network_message=words, status=status
        )
    if status in (404, 410):
        return NotFound("Not found on the Mastodon instance.", network_message=words, status=status)
    if 400 <= status < 500:
        return Invalid(f"Mastodon refused the request: {words}", network_message=words, status=status)
    return Transient(
        f"The Mastodon instance answered {status}; try again later.", network_message=words, status=status
    )

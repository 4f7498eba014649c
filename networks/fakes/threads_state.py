"""The Threads fake's world: profiles, tokens, media objects (posts and replies), containers and the
publishing log, with the rules Threads documents, written from its documentation (never from the client):

- Text: "Text posts are limited to 500 characters. Emojis are counted as the number of UTF-8 bytes."
  (https://developers.facebook.com/documentation/threads/posts); more than 5 unique links fail at container
  creation with THREADS_API__LINK_LIMIT_EXCEEDED
  (https://developers.facebook.com/documentation/threads/create-posts/text-attachments).
- Limits: 250 published posts and 1,000 published replies per profile in a moving 24-hour window, enforced
  at threads_publish (https://developers.facebook.com/docs/threads/overview#rate-limiting and
  https://developers.facebook.com/docs/threads/reply-management).
- Containers: IN_PROGRESS, FINISHED, PUBLISHED, ERROR, EXPIRED (not published within 24 hours)
  (https://developers.facebook.com/docs/threads/troubleshooting).
- Tokens: short-lived for an hour, long-lived for 60 days, refreshable once at least 24 hours old
  (https://developers.facebook.com/docs/threads/get-started/long-lived-tokens).
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import regex

SHORT_LIVED = dt.timedelta(hours=1)
LONG_LIVED = dt.timedelta(days=60)
REFRESH_MIN_AGE = dt.timedelta(hours=24)
CONTAINER_LIFETIME = dt.timedelta(hours=24)
WINDOW = dt.timedelta(hours=24)
POSTS_PER_WINDOW = 250
REPLIES_PER_WINDOW = 1000
TEXT_LIMIT = 500
LINK_LIMIT = 5

ALL_SCOPES = (
    "threads_basic",
    "threads_content_publish",
    "threads_read_replies",
    "threads_manage_replies",
    "threads_manage_mentions",
    "threads_delete",
)

_CLUSTER = regex.compile(r"\X")
_PICTOGRAPH = regex.compile(r"\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3")
_LINK = regex.compile(r"(?i)(?:https?://|www\.)\S+")


def counted_length(text: str) -> int:
    """Characters as Threads counts them: an emoji (a character drawn as a pictograph, a flag, a keycap)
    weighs its UTF-8 bytes."""
    return sum(
        len(c.encode("utf-8", "surrogatepass")) if _PICTOGRAPH.search(c) else len(c)
        for c in _CLUSTER.findall(unicodedata.normalize("NFC", text))
    )


def unique_links(text: str) -> int:
    seen = {
        m.rstrip(".,;:!?)]}'\"").lower().removeprefix("https://").removeprefix("http://")
        for m in _LINK.findall(text)
    }
    return len(seen)


@dataclass
class User:
    id: str
    username: str
    name: str = ""
    picture: str = ""
    private: bool = False  # Threads does not say who wrote a private profile's replies


@dataclass
class Token:
    value: str
    user_id: str
    scopes: frozenset[str]
    issued: dt.datetime
    expires: dt.datetime
    long_lived: bool


@dataclass
class Media:
    """A post or a reply: Threads calls both media objects."""

    id: str
    owner: str  # user id
    text: str
    created: dt.datetime
    media_type: str = "TEXT_POST"
    media_url: str = ""
    root_post: str = ""  # "" for a top-level post
    replied_to: str = ""
    hide_status: str = "NOT_HUSHED"
    via_api: bool = False
    deleted: bool = False

    @property
    def is_reply(self) -> bool:
        return bool(self.replied_to)

    @property
    def shortcode(self) -> str:
        return base64.urlsafe_b64encode(self.id.encode()).decode().rstrip("=")[:11]


@dataclass
class Container:
    id: str
    owner: str
    params: dict[str, str]
    created: dt.datetime
    status: str = "IN_PROGRESS"
    error_message: str = ""
    reads_until_ready: int = 0
    published_id: str = ""


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> authorize params
    media: dict[str, Media] = field(default_factory=dict)
    containers: dict[str, Container] = field(default_factory=dict)
    publishes: list[tuple[dt.datetime, str, str]] = field(default_factory=list)  # (when, user, kind)
    post_quota: int = POSTS_PER_WINDOW
    reply_quota: int = REPLIES_PER_WINDOW
    #: Fields left out of every media object, as Threads leaves out what it cannot answer (tests).
    omitted: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._ids = itertools.count(17_841_400_000_000_001)

    def next_id(self) -> str:
        return str(next(self._ids))

    def new_token(self, user_id: str, scopes: frozenset[str], *, now: dt.datetime, long_lived: bool) -> Token:
        prefix = "THAA" if long_lived else "THQV"
        token = Token(
            f"{prefix}{secrets.token_urlsafe(24)}",
            user_id,
            scopes,
            issued=now,
            expires=now + (LONG_LIVED if long_lived else SHORT_LIVED),
            long_lived=long_lived,
        )
        self.tokens[token.value] = token
        return token

    def used(self, user_id: str, kind: str, *, now: dt.datetime) -> int:
        return sum(
            1 for at, who, what in self.publishes if who == user_id and what == kind and at > now - WINDOW
        )

    def quota_total(self, kind: str) -> int:
        return self.post_quota if kind == "post" else self.reply_quota

    def visible(self) -> list[Media]:
        return [m for m in self.media.values() if not m.deleted]

    def permalink(self, media: Media) -> str:
        user = self.users.get(media.owner)
        name = user.username if user else "threads"
        return f"https://www.threads.net/@{name}/post/{media.shortcode}"

    def render(self, media: Media, *, viewer: str) -> dict[str, Any]:
        """Every field Threads can answer for a media object, as the viewer may see them."""
        owner = self.users.get(media.owner)
        rendered: dict[str, Any] = {
            "id": media.id,
            "media_product_type": "THREADS",
            "media_type": media.media_type,
            "text": media.text,
            "timestamp": media.created.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "shortcode": media.shortcode,
            "is_quote_post": False,
            "has_replies": any(m.replied_to == media.id for m in self.visible()),
            "owner": {"id": media.owner},
        }
        if owner is not None and (not owner.private or owner.id == viewer):
            rendered["username"] = owner.username
            rendered["permalink"] = self.permalink(media)
        if media.media_url:
            rendered["media_url"] = media.media_url
        if media.is_reply:
            rendered["is_reply"] = True
            rendered["root_post"] = {"id": media.root_post}
            rendered["replied_to"] = {"id": media.replied_to}
            rendered["is_reply_owned_by_me"] = media.owner == viewer
            rendered["reply_audience"] = "EVERYONE"
            root = self.media.get(media.root_post)
            if root is not None and root.owner == viewer:
                rendered["hide_status"] = media.hide_status
        else:
            rendered["is_reply"] = False
        return {k: v for k, v in rendered.items() if k not in self.omitted}

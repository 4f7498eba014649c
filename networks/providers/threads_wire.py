"""Reading Threads' media objects (posts, replies, mentions) into plain items; everything here is untrusted.

Fields, from https://developers.facebook.com/documentation/threads/reference/reply-management and the
replies and conversations guide (https://developers.facebook.com/docs/threads/retrieve-and-manage-replies/
replies-and-conversations): `id`, `text`, `username` (only for public profiles and our own), `permalink`,
`timestamp` (ISO 8601, `+0000`), `media_type` (TEXT_POST, IMAGE, VIDEO, CAROUSEL_ALBUM, AUDIO,
REPOST_FACADE), `media_url`, `has_replies`, `root_post` and `replied_to` (objects with an `id`), `is_reply`,
`is_reply_owned_by_me`, `hide_status` (NOT_HUSHED, UNHUSHED, HIDDEN, COVERED, BLOCKED, RESTRICTED).

A reply carries no author id, only a username: the username stands for the person (as a handle does on
Mastodon); our own replies are recognised by `is_reply_owned_by_me` (or our username) and carry our id,
which is how the inbox files them as outbound.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from networks.providers.base import Account, Attachment, Author, EngagementItem, ItemKind, Network
from networks.providers.graph import optional_dict, optional_str, parse_graph_time, required_str

log = logging.getLogger(__name__)

REPLY_FIELDS = (
    "id,text,username,timestamp,permalink,media_type,media_url,has_replies,root_post,replied_to,"
    "is_reply,is_reply_owned_by_me,hide_status,reply_audience"
)
POST_FIELDS = "id,text,timestamp,permalink,media_type,media_url,has_replies,username"
MENTION_FIELDS = "id,text,username,timestamp,permalink,media_type,media_url,root_post,replied_to,is_reply"
#: Kept from the public: stored hidden. NOT_HUSHED and UNHUSHED are visible.
HIDDEN_STATUSES = frozenset({"HIDDEN", "COVERED", "BLOCKED", "RESTRICTED"})
#: Media ids are numbers in text; anything else (or absurdly long) is not Threads'.
_ID = re.compile(r"[0-9A-Za-z_]{1,64}")
_USERNAME = re.compile(r"[\w.]{1,100}")
#: A time this far ahead of us is not a real one (a year 9999 is skipped, never stored).
FUTURE_SLACK = dt.timedelta(days=1)
#: How many steps up a reply chain are followed to find the reply that heads its thread.
MAX_CHAIN = 100


def media_id(raw: Any, key: str = "id") -> str:
    value = required_str(raw, key)
    if not _ID.fullmatch(value):
        raise ValueError(f"`{key}` is not a Threads id")
    return value


def ref_id(raw: dict[str, Any], key: str) -> str:
    """The id of a referenced object (`root_post`, `replied_to`), "" when absent."""
    ref = optional_dict(raw, key)
    return media_id(ref) if ref is not None else ""


def timestamp(raw: dict[str, Any], *, now: dt.datetime) -> dt.datetime:
    at = parse_graph_time(raw.get("timestamp"))
    if at > now + FUTURE_SLACK:
        raise ValueError("timestamp in the future")
    return at


def username(raw: dict[str, Any]) -> str:
    name = optional_str(raw, "username")
    if name and not _USERNAME.fullmatch(name):
        raise ValueError("`username` is not a Threads username")
    return name


def https(value: str) -> str:
    return value if value.startswith("https://") and len(value) <= 2048 else ""


def profile_url(name: str) -> str:
    return f"https://www.threads.net/@{name}" if name else ""


@dataclass(frozen=True, slots=True)
class PostSummary:
    """One of our posts as the list shows it: what its replies need to say about it."""

    id: str
    created: dt.datetime
    text: str = ""
    permalink: str = ""
    image_url: str = ""
    has_replies: bool | None = None  # None: Threads did not say (walk it to be safe)
    repost: bool = False


def parse_post(raw: Any, *, now: dt.datetime) -> PostSummary:
    post_id = media_id(raw)
    created = timestamp(raw, now=now)
    kind = optional_str(raw, "media_type")
    has_replies = raw.get("has_replies")
    return PostSummary(
        id=post_id,
        created=created,
        text=optional_str(raw, "text"),
        permalink=https(optional_str(raw, "permalink")),
        image_url=https(optional_str(raw, "media_url")) if kind == "IMAGE" else "",
        has_replies=has_replies if isinstance(has_replies, bool) else None,
        repost=kind == "REPOST_FACADE",
    )


def _attachments(raw: dict[str, Any]) -> tuple[Attachment, ...]:
    kind, url = optional_str(raw, "media_type"), https(optional_str(raw, "media_url"))
    if not url:
        return ()
    if kind == "IMAGE":
        return (Attachment("image", url=url),)
    if kind == "VIDEO":
        return (Attachment("video", url=url),)
    return ()


def _author(account: Account, raw: dict[str, Any], name: str) -> Author | None:
    ours = raw.get("is_reply_owned_by_me") is True or (bool(account.handle) and name == account.handle)
    if ours:
        return Author(account.external_id, handle=account.handle, profile_url=profile_url(account.handle))
    if not name:
        return None  # a private profile: Threads does not say who
    return Author(name, handle=name, profile_url=profile_url(name))


def top_of(reply_id: str, parents: Mapping[str, str], post_id: str) -> str:
    """The reply that heads `reply_id`'s thread: its ancestor right under the post. When the chain breaks
    (an ancestor deleted, or not read), the oldest ancestor known stands for it, so its replies still
    share one thread."""
    current = reply_id
    for _step in range(MAX_CHAIN):
        parent = parents.get(current, "")
        if not parent or parent == post_id:
            return current
        if parent not in parents:
            return parent
        current = parent
    return current


def parse_reply(
    raw: Any, *, account: Account, post: PostSummary, parents: Mapping[str, str], now: dt.datetime
) -> EngagementItem:
    """A reply from a post's conversation; ValueError when malformed."""
    reply_id = media_id(raw)
    created = timestamp(raw, now=now)
    parent = ref_id(raw, "replied_to") or post.id
    name = username(raw)
    status = optional_str(raw, "hide_status")
    top_level = parent == post.id
    return EngagementItem(
        network=Network.THREADS,
        external_id=reply_id,
        kind=ItemKind.COMMENT if top_level else ItemKind.REPLY,
        text=optional_str(raw, "text"),
        created_at=created,
        author=_author(account, raw, name),
        post_external_id=post.id,
        post_text=post.text,
        post_image_url=post.image_url,
        post_permalink=post.permalink,
        parent_external_id="" if top_level else parent,
        thread_root_external_id=reply_id if top_level else top_of(reply_id, parents, post.id),
        permalink=https(optional_str(raw, "permalink")) or post.permalink,
        attachments=_attachments(raw),
        held=status in HIDDEN_STATUSES,
        raw=raw,
    )


def parse_mention(raw: Any, *, account: Account, now: dt.datetime) -> EngagementItem:
    """A post or reply of someone else's that mentions the account: a thread of its own."""
    mention_id = media_id(raw)
    created = timestamp(raw, now=now)
    name = username(raw)
    link = https(optional_str(raw, "permalink"))
    return EngagementItem(
        network=Network.THREADS,
        external_id=mention_id,
        kind=ItemKind.MENTION,
        text=optional_str(raw, "text"),
        created_at=created,
        author=Author(name, handle=name, profile_url=profile_url(name)) if name else None,
        post_external_id=mention_id,
        thread_root_external_id=mention_id,
        permalink=link,
        attachments=_attachments(raw),
        raw=raw,
    )


def parents_of(raws: list[Any]) -> dict[str, str]:
    """Each reply's parent, from a conversation read whole (malformed entries are left out)."""
    parents: dict[str, str] = {}
    for raw in raws:
        try:
            reply_id = media_id(raw)
            parents[reply_id] = ref_id(raw, "replied_to")
        except ValueError:
            continue
    return parents

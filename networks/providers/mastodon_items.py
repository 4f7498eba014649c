"""Mastodon statuses as CM Hub's EngagementItems: the one reading the poll and the stream share.

A status's `content` is HTML written by anyone on the fediverse: it is sanitised with nh3 to the few tags
the inbox may show (kept as raw["content_html"]) and read as plain text for `EngagementItem.text`, which is
what the inbox shows, searches and hands to the assistant. A content warning (`spoiler_text`) is kept as
raw["spoiler_text"] and leads the text as "CW: ...", so nobody reads past it unknowingly. The raw status
itself is not kept: only the fields named here, each a plain string.

Sources: https://docs.joinmastodon.org/entities/Status/, https://docs.joinmastodon.org/entities/Account/,
https://docs.joinmastodon.org/entities/MediaAttachment/.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from networks.providers import mastodon_wire as wire
from networks.providers.base import Attachment, Author, EngagementItem, ItemKind, Network
from networks.providers.mastodon_auth import qualified_id

_MEDIA_KINDS = {"image": "image", "gifv": "video", "video": "video", "audio": "audio"}


def author_of(account: Any, *, server: str) -> Author:
    """The author of a status, their id qualified by the instance that knows them by it (`server`)."""
    if not isinstance(account, dict):
        raise TypeError("account is not an object")
    username = str(account.get("username") or "")
    return Author(
        external_id=qualified_id(wire.require_id(account.get("id"), "account.id"), server),
        handle=str(account.get("acct") or username),
        name=str(account.get("display_name") or username),
        avatar_url=_http(account.get("avatar")),
        profile_url=_http(account.get("url")),
    )


def _http(value: Any) -> str:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else ""


def status_text(status: dict[str, Any]) -> str:
    """The words of a status as a person reads them, its content warning first."""
    content = status.get("content")
    if not isinstance(content, str):
        raise TypeError("content is not a string")
    text = wire.plain_text(content)
    spoiler = status.get("spoiler_text")
    if isinstance(spoiler, str) and spoiler.strip():
        return f"CW: {spoiler.strip()}\n\n{text}".strip()
    return text


def attachments_of(status: dict[str, Any]) -> tuple[Attachment, ...]:
    found = []
    for media in status.get("media_attachments") or []:
        if not isinstance(media, dict):
            continue
        url = _http(media.get("url")) or _http(media.get("remote_url"))
        found.append(
            Attachment(
                kind=_MEDIA_KINDS.get(str(media.get("type")), "file"),
                url=url,
                preview_url=_http(media.get("preview_url")),
                title=str(media.get("description") or "")[:500],
            )
        )
    return tuple(found)


def status_item(
    status: dict[str, Any],
    *,
    account_id: str,
    server: str,
    kind: ItemKind,
    thread_root: str,
    root_status: dict[str, Any] | None = None,
) -> EngagementItem:
    """One status as an item; `thread_root` groups it (the thread's first status, or a DM conversation).
    `account_id` is our account's id on the instance `server` (not qualified)."""
    status_id = wire.require_id(status.get("id"), "id")
    created_at = wire.parse_time(status.get("created_at"))
    author = author_of(status.get("account"), server=server)
    parent = wire.status_id(status.get("in_reply_to_id")) or ""
    if kind == ItemKind.MENTION and str(status.get("in_reply_to_account_id") or "") == account_id:
        kind = ItemKind.REPLY  # an answer to one of our statuses
    spoiler = status.get("spoiler_text") if isinstance(status.get("spoiler_text"), str) else ""
    post_text = post_permalink = ""
    if root_status is not None and kind != ItemKind.DIRECT_MESSAGE:
        try:
            post_text = status_text(root_status)[:2000]
        except TypeError:
            post_text = ""
        post_permalink = _http(root_status.get("url")) or _http(root_status.get("uri"))
    return EngagementItem(
        network=Network.MASTODON,
        external_id=status_id,
        kind=kind,
        text=status_text(status),
        created_at=created_at,
        author=author,
        post_external_id="" if kind == ItemKind.DIRECT_MESSAGE else thread_root,
        post_text=post_text,
        post_permalink=post_permalink,
        parent_external_id=parent,
        thread_root_external_id=thread_root,
        permalink=_http(status.get("url")) or _http(status.get("uri")),
        attachments=attachments_of(status),
        edited_at=wire.optional_time(status.get("edited_at")),
        raw={
            "visibility": str(status.get("visibility") or ""),
            "spoiler_text": spoiler,
            "content_html": wire.sanitised_html(str(status.get("content") or "")),
            "language": str(status.get("language") or ""),
            "acct": author.handle,
        },
    )


def mentions_us(status: dict[str, Any], account_id: str) -> bool:
    mentions = status.get("mentions")
    if not isinstance(mentions, list):
        return False
    return any(isinstance(m, dict) and str(m.get("id") or "") == account_id for m in mentions)


def is_older(status: dict[str, Any], cutoff: dt.datetime | None) -> bool:
    if cutoff is None:
        return False
    when = wire.optional_time(status.get("created_at"))
    return when is not None and when < cutoff

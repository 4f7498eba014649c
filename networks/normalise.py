"""Every string a network sends is cleaned once, here, before anything is stored.

A poll hands its items to the storing apps only through `items`: whatever a provider parsed, what leaves
this module can be written by PostgreSQL and SQLite alike. PostgreSQL refuses a NUL in text and `\\u0000`
in JSONB, psycopg cannot encode a lone UTF-16 surrogate (half an emoji, cut by a network's own
truncation), and a value longer than its column fails the whole statement: before this step, one such
item failed the chunk's transaction on every poll, and the channel stopped for good.

What is done to each kind of string:
- text, names, handles and every string inside the raw JSON (keys too): NUL removed, lone surrogates
  replaced by U+FFFD, other code points kept;
- names and handles: also on one line (control characters become spaces) and cut to their column;
- URLs: kept only when http(s) and short enough for their column (a cut URL is a broken link);
- ids: an item whose id (or its author's, parent's, root's or post's id) is empty or too long for its
  column cannot be stored as itself: it is skipped and counted, like any other malformed item.

The limits are the storage contract: the inbox's columns are at least this wide (a test checks it).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import re
from typing import Any

from networks.providers import base as p

log = logging.getLogger(__name__)

ITEM_ID_MAX = 300  # message, parent, thread root and post ids
AUTHOR_ID_MAX = 200
NAME_MAX = 200  # author names and handles
URL_MAX = 1000
TEXT_MAX = 100_000  # far above any network's own limit: only a broken or hostile payload is cut
POST_TEXT_MAX = 500  # a post's words, stored to remind the team what a thread is about
RAW_MAX_CHARS = 512 * 1024  # the raw payload kept for support; a bigger one is replaced by a marker

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NUL_ESCAPED = "\\u0000"


def clean_text(value: Any) -> str:
    """The string without NUL characters and with lone surrogates replaced; non-strings become ''."""
    if not isinstance(value, str):
        return ""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # Through UTF-16, a well-formed pair of surrogates becomes its character again and a lone one U+FFFD.
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return value


def clean_line(value: Any, *, max_length: int = NAME_MAX) -> str:
    """A name or handle: clean, on one line, trimmed and cut to its column."""
    return " ".join(_CONTROL.sub(" ", clean_text(value)).split())[:max_length]


def clean_url(value: Any) -> str:
    url = clean_text(value).strip()
    if len(url) > URL_MAX or _CONTROL.search(url) or not url.lower().startswith(("https://", "http://")):
        return ""
    return url


def _walk(value: Any, *, depth: int) -> Any:
    if depth > 64:
        return None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): _walk(v, depth=depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v, depth=depth + 1) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int):
        return value
    return clean_text(str(value))


def clean_raw(value: Any) -> dict[str, Any]:
    """The raw payload with every string (and key) cleaned, or a marker when it is too large to keep.
    Most payloads are clean already: one C-level serialisation says so (and gives the size), and only
    the others are walked."""
    if not isinstance(value, dict):
        return {}
    try:
        # NaN and Infinity are not JSON (PostgreSQL's JSONB refuses them), though json.loads reads them.
        dumped = json.dumps(value, ensure_ascii=False, allow_nan=False)
        if _NUL_ESCAPED in dumped:
            raise ValueError("NUL")
        dumped.encode("utf-8")  # UnicodeEncodeError on a lone surrogate
    except (TypeError, ValueError, RecursionError):  # NUL, lone surrogates, NaN, non-JSON types, cycles
        value = _walk(value, depth=0)
        dumped = json.dumps(value, ensure_ascii=False)
    if len(dumped) > RAW_MAX_CHARS:
        return {"cmhub_note": "payload too large to keep"}
    return value


def _id(value: Any, max_length: int) -> str | None:
    """The id cleaned, or None when it cannot be stored as itself."""
    cleaned = clean_line(value, max_length=max_length + 1)
    if cleaned != value or len(cleaned) > max_length:
        return None
    return cleaned


def _author(author: p.Author | None) -> p.Author | None:
    if author is None:
        return None
    external_id = _id(author.external_id, AUTHOR_ID_MAX)
    if external_id is None:
        raise ValueError("author id cannot be stored")
    return p.Author(
        external_id=external_id,
        handle=clean_line(author.handle),
        name=clean_line(author.name),
        avatar_url=clean_url(author.avatar_url),
        profile_url=clean_url(author.profile_url),
    )


def item(item: p.EngagementItem) -> p.EngagementItem:
    """The item with every string cleaned; ValueError when one of its ids cannot be stored."""
    external_id = _id(item.external_id, ITEM_ID_MAX)
    if not external_id:
        raise ValueError("item id is empty or cannot be stored")
    related: dict[str, Any] = {}  # keyword arguments of replace()
    for name in ("post_external_id", "parent_external_id", "thread_root_external_id"):
        value = getattr(item, name)
        cleaned = _id(value, ITEM_ID_MAX) if value else ""
        if cleaned is None:
            raise ValueError(f"{name} cannot be stored")
        related[name] = cleaned
    return dataclasses.replace(
        item,
        external_id=external_id,
        text=clean_text(item.text)[:TEXT_MAX],
        author=_author(item.author),
        permalink=clean_url(item.permalink),
        post_text=clean_text(item.post_text)[:POST_TEXT_MAX],
        post_image_url=clean_url(item.post_image_url),
        post_permalink=clean_url(item.post_permalink),
        attachments=tuple(
            p.Attachment(
                kind=clean_line(a.kind, max_length=32),
                url=clean_url(a.url),
                preview_url=clean_url(a.preview_url),
                title=clean_line(a.title, max_length=300),
            )
            for a in item.attachments
        ),
        raw=clean_raw(item.raw),
        **related,
    )


def items(fetched: list[p.EngagementItem], *, channel_id: int | None = None) -> tuple[list, int]:
    """The storable items, cleaned, and how many were skipped because they cannot be stored."""
    kept: list[p.EngagementItem] = []
    skipped = 0
    for fetched_item in fetched:
        try:
            kept.append(item(fetched_item))
        except ValueError as exc:
            skipped += 1
            log.warning(
                "skipped an item that cannot be stored",
                extra={
                    "channel": channel_id,
                    "id": clean_line(fetched_item.external_id, max_length=80),
                    "error": str(exc),
                },
            )
    return kept, skipped

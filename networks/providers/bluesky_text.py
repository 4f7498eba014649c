"""Bluesky post text: how long it is (graphemes and UTF-8 bytes), and its facets (links and mentions).

A post's `text` allows 300 grapheme clusters and 3,000 UTF-8 bytes (`maxGraphemes` / `maxLength` of
app.bsky.feed.post, https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/feed/post.json).
Links and mentions are plain text unless a facet (app.bsky.richtext.facet) marks them, by **UTF-8 byte**
offsets (https://docs.bsky.app/docs/advanced-guides/post-richtext): Python's str indexes code points, so
every offset is converted here, and nowhere else.

The patterns follow the ones docs.bsky.app gives for clients ("Links, mentions, and rich text"), which work
on bytes where `\\W` is any byte that is not an ASCII word character: so a mention right after CJK text or
an emoji is still a mention, and one glued to an ASCII word (an e-mail address) is not. One departure:
the documented link pattern allows top-level domains of 6 characters at most, which misses real ones
(`.example`, `.community`); up to 63 (a DNS label's limit) are allowed here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import regex

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
# chat.bsky.convo.defs#messageInput
MAX_DM_GRAPHEMES = 1000
MAX_DM_BYTES = 10_000

_GRAPHEME = regex.compile(r"\X")
_NOT_AFTER = r"(?<![A-Za-z0-9_])"
MENTION = re.compile(
    _NOT_AFTER
    + r"@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)",
    re.ASCII,
)
LINK = re.compile(
    _NOT_AFTER + r"https?://(?:www\.)?[-a-zA-Z0-9@:%._+~#=]{1,256}\.[a-zA-Z0-9()]{1,63}\b"
    r"(?:[-a-zA-Z0-9()@:%_+.~#?&/=]*[-a-zA-Z0-9@%_+~#/=])?",
    re.ASCII,
)


def grapheme_count(text: str) -> int:
    """What people see as characters (an emoji with its skin tone, a letter with its accents: one)."""
    return len(_GRAPHEME.findall(text))


def byte_length(text: str) -> int:
    return len(text.encode("utf-8"))


def check_length(text: str, *, max_graphemes: int, max_bytes: int, what: str) -> list[str]:
    problems = []
    graphemes = grapheme_count(text)
    if graphemes > max_graphemes:
        problems.append(f"The text has {graphemes:,} characters; {what} allows {max_graphemes:,}.")
    size = byte_length(text)
    if size > max_bytes:
        problems.append(
            f"The text takes {size:,} bytes (accents, emoji and non-Latin letters take several); "
            f"{what} allows {max_bytes:,}."
        )
    return problems


@dataclass(frozen=True, slots=True)
class Span:
    """A substring by its code-point positions and by its UTF-8 byte positions."""

    start: int
    end: int
    byte_start: int
    byte_end: int
    value: str  # the link's URI, or the mention's handle (without "@")


def _spans(text: str, pattern: re.Pattern[str], group: int) -> list[Span]:
    spans = []
    for match in pattern.finditer(text):
        start, end = match.span()
        byte_start = byte_length(text[:start])
        spans.append(Span(start, end, byte_start, byte_start + byte_length(match[0]), match[group]))
    return spans


def links(text: str) -> list[Span]:
    return _spans(text, LINK, 0)


def mentions(text: str) -> list[Span]:
    return _spans(text, MENTION, 1)


def facets(text: str, *, resolve: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """The facets of `text`: every link, and every mention whose handle `resolve` turns into a DID (an
    unknown handle stays plain text, as the Bluesky app leaves it)."""
    out: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []
    for span in links(text):
        taken.append((span.start, span.end))
        out.append(_facet(span, {"$type": "app.bsky.richtext.facet#link", "uri": span.value}))
    for span in mentions(text):
        if any(start < span.end and span.start < end for start, end in taken):
            continue  # "@" inside a link (https://example.com/@someone.example) is part of the link
        did = resolve(span.value.lower())
        if did:
            out.append(_facet(span, {"$type": "app.bsky.richtext.facet#mention", "did": did}))
    return sorted(out, key=lambda f: f["index"]["byteStart"])


def _facet(span: Span, feature: dict[str, str]) -> dict[str, Any]:
    return {
        "index": {"byteStart": span.byte_start, "byteEnd": span.byte_end},
        "features": [feature],
    }


def plain_text(text: str, raw_facets: Any) -> str:
    """A post's words for the inbox, links written out in full: the Bluesky app shortens the text of a
    link ("example.com/a-long-pa...") and keeps the whole address in its facet. Facets that do not fit
    the text (offsets outside it or inside a character) are ignored, never trusted. A lone surrogate (JSON
    can carry "\\ud800") goes through as it came; the storage boundary (networks.normalise) deals with it."""
    if not isinstance(raw_facets, list):
        return text
    data = text.encode("utf-8", "surrogatepass")
    found = sorted(f for f in (_link_facet(facet, len(data)) for facet in raw_facets) if f is not None)
    replacements: list[tuple[int, int, str]] = []
    for start, end, uri in found:
        if replacements and start < replacements[-1][1]:
            continue  # overlapping facets: the first one wins
        try:
            shown = data[start:end].decode("utf-8")
        except UnicodeDecodeError:
            continue
        if shown != uri:
            replacements.append((start, end, uri))
    for start, end, uri in reversed(replacements):
        data = data[:start] + uri.encode("utf-8", "surrogatepass") + data[end:]
    return data.decode("utf-8", "surrogatepass")


def _link_facet(facet: Any, size: int) -> tuple[int, int, str] | None:
    if not isinstance(facet, Mapping):
        return None
    index, features = facet.get("index"), facet.get("features")
    if not isinstance(index, Mapping) or not isinstance(features, list):
        return None
    start, end = index.get("byteStart"), index.get("byteEnd")
    if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool):
        return None
    if not 0 <= start < end <= size:
        return None
    for feature in features:
        if (
            isinstance(feature, Mapping)
            and feature.get("$type") == "app.bsky.richtext.facet#link"
            and isinstance(feature.get("uri"), str)
            and feature["uri"].startswith(("https://", "http://"))
        ):
            return start, end, feature["uri"]
    return None

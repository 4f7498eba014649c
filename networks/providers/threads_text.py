"""How Threads measures a text, and what it refuses before anything is sent.

From https://developers.facebook.com/documentation/threads/posts ("Limitations"): "Text posts are limited
to 500 characters. Emojis are counted as the number of UTF-8 bytes." A replying text is a post with
`reply_to_id`, so the same rule holds. An emoji is taken here as one user-perceived character (a grapheme
cluster) holding a pictograph, a regional-indicator flag or a keycap: it counts the UTF-8 bytes of the
whole cluster (a heart is 3, a face 4, a family joined by ZWJ 18). Everything else counts one per
character after NFC.

From https://developers.facebook.com/documentation/threads/create-posts/text-attachments: "Threads posts
containing more than 5 links will fail to post during the media creation step" (every unique URL in
`text` counts once).
"""

from __future__ import annotations

import unicodedata

import regex

MAX_CHARACTERS = 500
MAX_LINKS = 5

_GRAPHEME = regex.compile(r"\X")
_EMOJI = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}\u20e3]")
# Threads finds links the way people write them: with a scheme, or a bare www. host.
_URL = regex.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")
_TRAILING = ".,;:!?)]}'\""


def text_length(text: str) -> int:
    """The length Threads counts: one per character, an emoji as its UTF-8 bytes."""
    total = 0
    for cluster in _GRAPHEME.findall(unicodedata.normalize("NFC", text)):
        total += len(cluster.encode("utf-8", "surrogatepass")) if _EMOJI.search(cluster) else len(cluster)
    return total


def links(text: str) -> list[str]:
    """The unique links in `text`, as Threads counts them (trailing punctuation is not part of one)."""
    found: list[str] = []
    for match in _URL.findall(text):
        url = match.rstrip(_TRAILING).lower()
        url = url.split("://", 1)[-1]
        if url and url not in found:
            found.append(url)
    return found


def problems(text: str) -> list[str]:
    """What Threads would refuse in `text`, in plain words."""
    found = []
    length = text_length(text)
    if length > MAX_CHARACTERS:
        found.append(
            f"The text counts {length:,} as Threads counts (an emoji as its bytes); Threads allows "
            f"{MAX_CHARACTERS:,}."
        )
    count = len(links(text))
    if count > MAX_LINKS:
        found.append(f"The text has {count} different links; Threads allows {MAX_LINKS}.")
    return found

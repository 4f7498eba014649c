"""How X itself counts a post's length, for the fake: written from twitter-text's published configuration.

Source: https://github.com/twitter/twitter-text/blob/master/config/v3.json and the "Counting characters"
page (https://developer.x.com/en/docs/counting-characters). The v3 configuration says: text is NFC
normalised; the scale is 100 and a code point weighs `defaultWeight` 200 unless it falls in one of four
ranges weighing 100 (Latin and most alphabets up to U+10FF, general punctuation spaces and dashes, quotes,
primes); every URL weighs `transformedURLLength` 23 whatever its length; with `emojiParsingEnabled` a
whole emoji sequence weighs 200; the limit is `maxWeightedTweetLength` 280 (28,000 on the scale).

This module deliberately shares nothing with the client (`networks.providers.limits`): it is the fake's
own reading of the rules, so a test can catch the client counting wrongly. Its URL finder is simpler than
twitter-text's (scheme links and the commonest bare domains), which is enough for the texts tests send.
"""

from __future__ import annotations

import re
import unicodedata

SCALE = 100
DEFAULT_WEIGHT = 200
MAX_WEIGHTED_LENGTH = 280
TRANSFORMED_URL_LENGTH = 23
RANGES = ((0x0000, 0x10FF, 100), (0x2000, 0x200D, 100), (0x2010, 0x201F, 100), (0x2032, 0x2037, 100))

_URL = re.compile(
    r"(?:https?://|(?<![\w@#./-])(?=[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|fr|dev|app)\b))"
    r"[^\s]+",
    re.IGNORECASE,
)
_CLOSING = ".,;:!?'\")]}"


def _is_pictographic(cp: int) -> bool:
    return (
        0x1F000 <= cp <= 0x1FAFF
        or 0x2600 <= cp <= 0x27BF
        or 0x2300 <= cp <= 0x23FF
        or 0x2B00 <= cp <= 0x2BFF
        or 0x2190 <= cp <= 0x21FF
        or 0x25A0 <= cp <= 0x25FF
        or cp in (0x2934, 0x2935, 0x3030, 0x303D, 0x3297, 0x3299, 0x203C, 0x2049, 0x2122, 0x2139, 0x24C2)
    )


def _is_modifier(cp: int) -> bool:
    return cp == 0xFE0F or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F


def _is_regional(cp: int) -> bool:
    return 0x1F1E6 <= cp <= 0x1F1FF


def _weight(cp: int) -> int:
    for low, high, weight in RANGES:
        if low <= cp <= high:
            return weight
    return DEFAULT_WEIGHT


def _emoji_end(codes: list[int], index: int) -> int | None:
    """Where the emoji sequence starting at `index` ends, or None when no emoji starts there."""
    cp = codes[index]
    if _is_regional(cp) and index + 1 < len(codes) and _is_regional(codes[index + 1]):
        return index + 2
    if chr(cp) in "0123456789#*":  # keycap: digit, optional VS16, U+20E3
        end = index + 1
        if end < len(codes) and codes[end] == 0xFE0F:
            end += 1
        return end + 1 if end < len(codes) and codes[end] == 0x20E3 else None
    if cp in (0xA9, 0xAE):  # (c) and (R) are emoji only in emoji presentation
        return index + 2 if index + 1 < len(codes) and codes[index + 1] == 0xFE0F else None
    if not _is_pictographic(cp):
        return None
    end = index + 1
    while end < len(codes):
        if _is_modifier(codes[end]):
            end += 1
        elif codes[end] == 0x200D and end + 1 < len(codes) and _is_pictographic(codes[end + 1]):
            end += 2
        else:
            break
    return end


def weighted_length(text: str) -> int:
    """The length X counts against 280 for `text`."""
    text = unicodedata.normalize("NFC", text)
    url_spans: dict[int, int] = {}
    for match in _URL.finditer(text):
        end = match.end()
        while end > match.start() and text[end - 1] in _CLOSING:
            end -= 1
        url_spans[match.start()] = end
    codes = [ord(char) for char in text]
    scaled = 0
    index = 0
    while index < len(codes):
        if index in url_spans:
            scaled += TRANSFORMED_URL_LENGTH * SCALE
            index = url_spans[index]
            continue
        end = _emoji_end(codes, index)
        if end is not None:
            scaled += DEFAULT_WEIGHT
            index = end
            continue
        scaled += _weight(codes[index])
        index += 1
    return scaled // SCALE


def too_long(text: str) -> bool:
    return weighted_length(text) > MAX_WEIGHTED_LENGTH

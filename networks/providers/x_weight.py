"""X's weighted text length (twitter-text's rules): URLs count 23, emoji sequences 2, CJK 2, the rest 1."""

from __future__ import annotations

import re
import unicodedata

X_MAX_WEIGHTED_LENGTH = 280
X_URL_WEIGHT = 23  # every link is shortened to t.co, whatever its real length
X_EMOJI_WEIGHT = 2  # a whole emoji sequence (skin tone, ZWJ family, flag) counts once
# twitter-text v3: code points in these ranges weigh 1, every other code point weighs 2.
_X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))

_TRAILING_PUNCTUATION = ".,;:!?'\")]}"
# Bare domains ("example.com/page") become links too. Generic TLDs link on their own; two-letter country
# TLDs only with a path, so "node.js" or "fig.ab" in a sentence stay text. An approximation of twitter-text.
_GENERIC_TLDS = (
    "com|net|org|info|biz|edu|gov|io|co|app|dev|ai|me|tv|xyz|online|site|shop|store|blog|news|tech|"
    "cloud|media|social|live|page|link|art|club|design|agency|eu|fr|uk|de|us|ca"
)
_URL_RE = re.compile(
    r"https?://[^\s<>\"]+"
    r"|(?<![\w@#$./-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    rf"(?:(?:{_GENERIC_TLDS})\b(?::\d+)?(?:/[^\s<>\"]*)?|[a-z]{{2}}(?::\d+)?/[^\s<>\"]*)",
    re.IGNORECASE,
)

_PICTOGRAPH = (
    "\U0001f000-\U0001faff\u2600-\u27bf\u2300-\u23ff\u2b00-\u2bff\u2190-\u21ff\u25a0-\u25ff"
    "\u2934\u2935\u3030\u303d\u3297\u3299\u203c\u2049\u2122\u2139\u24c2"
)
_MODIFIERS = "\U0001f3fb-\U0001f3ff\ufe0f\U000e0020-\U000e007f"  # skin tones, emoji style, tag sequences
_EMOJI_RE = re.compile(
    "[\U0001f1e6-\U0001f1ff]{2}"  # flags: a pair of regional indicators
    "|[0-9#*]\ufe0f?\u20e3"  # keycaps
    "|[\u00a9\u00ae]\ufe0f"  # (c) and (R) are emoji only in emoji style; plain they weigh 1
    f"|[{_PICTOGRAPH}][{_MODIFIERS}]*(?:\u200d[{_PICTOGRAPH}][{_MODIFIERS}]*)*"
)


def find_urls(text: str) -> list[tuple[int, int]]:
    """(start, end) of every link in `text`, trailing punctuation excluded."""
    spans = []
    for match in _URL_RE.finditer(text):
        end = match.end()
        while end > match.start() and text[end - 1] in _TRAILING_PUNCTUATION:
            end -= 1
        spans.append((match.start(), end))
    return spans


def x_weighted_length(text: str) -> int:
    """The length X counts against its 280 limit (twitter-text v3 rules)."""
    text = unicodedata.normalize("NFC", text)
    entities = {start: (end, X_URL_WEIGHT) for start, end in find_urls(text)}
    for match in _EMOJI_RE.finditer(text):
        if not any(s <= match.start() < e for s, (e, _w) in entities.items()):
            entities.setdefault(match.start(), (match.end(), X_EMOJI_WEIGHT))
    total = 0
    index = 0
    while index < len(text):
        if index in entities:
            end, weight = entities[index]
            total += weight
            index = end
            continue
        total += _code_point_weight(ord(text[index]))
        index += 1
    return total


def _code_point_weight(code_point: int) -> int:
    return 1 if any(low <= code_point <= high for low, high in _X_LIGHT_RANGES) else 2


def check_x_text(text: str) -> list[str]:
    length = x_weighted_length(text)
    if length > X_MAX_WEIGHTED_LENGTH:
        return [
            f"The text counts {length} characters on X (links count 23, emoji and many scripts count 2); "
            f"the limit is {X_MAX_WEIGHTED_LENGTH}."
        ]
    return []

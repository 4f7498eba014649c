"""Text and image limits shared by the providers, answered in plain words before anything is sent.

Checking here first saves an API call and gives the person a sentence they can act on, instead of the
network's error code after the post was scheduled.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from networks.providers.base import MediaFile

# --- Text ----------------------------------------------------------------------------------------------

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


def check_text_length(text: str, *, max_chars: int, network: str) -> list[str]:
    """Plain character count (code points, after NFC normalisation)."""
    length = len(unicodedata.normalize("NFC", text))
    if length > max_chars:
        return [f"The text has {length:,} characters; {network} allows {max_chars:,}."]
    return []


def check_not_blank(text: str) -> list[str]:
    return [] if text.strip() else ["The text is empty."]


# --- Images --------------------------------------------------------------------------------------------

_MIME_BY_FORMAT = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
# Refuse before decoding: a small file can declare an enormous canvas (decompression bomb).
MAX_PIXELS = 80_000_000


@dataclass(frozen=True, slots=True)
class ImageRules:
    formats: frozenset[str]  # Pillow format names: "JPEG", "PNG", "GIF", "WEBP"
    max_bytes: int
    min_width: int = 1
    min_height: int = 1
    max_width: int | None = None
    max_height: int | None = None
    min_aspect: float | None = None  # width / height
    max_aspect: float | None = None
    max_pixels: int = MAX_PIXELS


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: str  # what the bytes really are, whatever the file name or declared type says
    mime: str
    width: int
    height: int
    size: int
    frames: int = 1  # more than one for animated GIF/WEBP


def inspect_image(content: bytes) -> ImageInfo | None:
    """What the bytes really are, or None when they are not an image Pillow can read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                fmt, (width, height) = image.format or "", image.size
                frames = int(getattr(image, "n_frames", 1))
                image.verify()  # walks the structure without decoding all pixels
    except Exception:  # Pillow raises many types for corrupt input; all of them mean "not an image"
        return None
    mime = _MIME_BY_FORMAT.get(fmt) or Image.MIME.get(fmt, "application/octet-stream")
    return ImageInfo(format=fmt, mime=mime, width=width, height=height, size=len(content), frames=frames)


def check_image(content: bytes, rules: ImageRules, *, label: str = "The image") -> list[str]:
    info = inspect_image(content)
    if info is None:
        return [f"{label} is not a readable image file."]
    problems = []
    if info.format not in rules.formats:
        accepted = ", ".join(sorted(rules.formats))
        problems.append(f"{label} is a {info.format} file; accepted formats are {accepted}.")
    if info.size > rules.max_bytes:
        problems.append(f"{label} weighs {_mb(info.size)}; the limit is {_mb(rules.max_bytes)}.")
    problems.extend(_dimension_problems(info, rules, label))
    return problems


def _dimension_problems(info: ImageInfo, rules: ImageRules, label: str) -> list[str]:
    problems = []
    size = f"{info.width}×{info.height} px"
    if info.width * info.height > rules.max_pixels:
        problems.append(f"{label} is {size}; the limit is {rules.max_pixels:,} pixels in all.")
    if info.width < rules.min_width or info.height < rules.min_height:
        problems.append(f"{label} is {size}; the minimum is {rules.min_width}×{rules.min_height} px.")
    if (rules.max_width and info.width > rules.max_width) or (
        rules.max_height and info.height > rules.max_height
    ):
        problems.append(
            f"{label} is {size}; the maximum is {rules.max_width or '∞'}×{rules.max_height or '∞'} px."
        )
    aspect = info.width / info.height if info.height else 0.0
    too_narrow = rules.min_aspect is not None and aspect < rules.min_aspect
    too_wide = rules.max_aspect is not None and aspect > rules.max_aspect
    if too_narrow or too_wide:
        problems.append(
            f"{label} has an aspect ratio of {aspect:.2f}:1; it must be between "
            f"{rules.min_aspect or 0:.2f}:1 and {rules.max_aspect or float('inf'):.2f}:1."
        )
    return problems


def check_images(media: Sequence[MediaFile], rules: ImageRules, *, max_count: int, network: str) -> list[str]:
    """Every problem with a set of images for one post, numbered the way the person sees them."""
    problems = []
    if len(media) > max_count:
        problems.append(f"{network} accepts at most {max_count} image(s) per post; {len(media)} were given.")
    for number, item in enumerate(media, start=1):
        label = f"Image {number}" if len(media) > 1 else "The image"
        problems.extend(check_image(item.content, rules, label=label))
    return problems


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"

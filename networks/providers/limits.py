"""Text and image limits shared by the providers, answered in plain words before anything is sent.

Checking here first saves an API call and gives the person a sentence they can act on, instead of the
network's error code after the post was scheduled.
"""

from __future__ import annotations

import io
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from networks.providers.base import MediaFile

# --- Text ----------------------------------------------------------------------------------------------


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

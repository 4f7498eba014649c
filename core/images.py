"""Image handling for uploads: trust the bytes, not the name, and never decode a bomb."""

from __future__ import annotations

import io
import uuid
import warnings

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# Decoding more pixels than this is refused before any decompression happens (a 40 MP photo is fine).
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


class ImageRejected(ValueError):
    """The upload is not an image we accept; the message says why, in plain words."""


def open_verified(data: bytes, *, accepted: set[str] = ACCEPTED_FORMATS) -> Image.Image:
    """Open `data` as an image after checking its real format and dimensions."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format
            width, height = probe.size
            probe.verify()  # checks the structure without decoding every pixel
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(_("This image has too many pixels.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRejected(_("This file is not a readable image.")) from None
    if fmt not in accepted:
        raise ImageRejected(
            _("Images must be one of: %(formats)s.") % {"formats": ", ".join(sorted(accepted))}
        )
    if width * height > MAX_PIXELS:
        raise ImageRejected(_("This image has too many pixels."))
    image = Image.open(io.BytesIO(data))  # verify() leaves the first object unusable
    try:
        image.load()
    except (OSError, SyntaxError, ValueError):
        raise ImageRejected(_("This file is not a readable image.")) from None
    return image


def make_avatar(data: bytes, *, max_bytes: int, size: int) -> ContentFile[bytes]:
    """A square WEBP of `size` pixels, upright, without metadata (location included)."""
    if len(data) > max_bytes:
        raise ImageRejected(
            _("The image is too large (%(size)s MB at most).") % {"size": round(max_bytes / 1024 / 1024, 1)}
        )
    image = ImageOps.exif_transpose(open_verified(data))
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    image = ImageOps.fit(image, (size, size), method=Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=85)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.webp")

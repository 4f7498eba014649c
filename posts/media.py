"""Images for posts: find out what an upload really is, then make one clean rendition per network.

Plain image work, with each network's rules read from its provider through the registry: the posts app
calls it from views and tasks; the composer preview draws `preview_box`, the very geometry `make_rendition`
applies, so the author sees what will be sent.

Safety comes from `core.images.open_verified` (format sniffed from the bytes, never the file name; pixel
count refused before decoding; structure verified; first frame decoded so a truncated file fails here and not
at the network). Privacy comes from building every rendition from pixels only: EXIF (GPS included), XMP,
comments and ICC profiles never reach the output; an embedded profile is used once, to convert the colours to
sRGB, which is what every network assumes anyway.

Animated images (GIF, animated WEBP/PNG) stay animated, as a GIF, only where the network accepts GIF (X,
LinkedIn) and the result fits its limits; elsewhere, or when too long or heavy, the first frame is sent as a
still. `Rendition.frames` tells which. GIF frames carry no EXIF orientation, so none is applied to them.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Literal

from PIL import Image, ImageOps, ImageSequence

from core.images import ImageRejected, open_verified
from networks import registry
from networks.providers import limits

try:  # Pillow built without LittleCMS (some distro builds): colours are then converted naively
    from PIL import ImageCms
except ImportError:  # pragma: no cover - the wheels we install ship it
    ImageCms = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

Fit = Literal["crop", "pad"]
Box = tuple[int, int, int, int]

#: Tried in order until the JPEG fits; below 40 artefacts show more than a smaller picture would.
JPEG_QUALITIES = (90, 85, 80, 75, 70, 60, 50, 40)
#: Our own ceilings for keeping an animation: every frame is decoded, and all are held as RGBA (4 bytes a
#: pixel) until encoded. 250 frames is also LinkedIn's reported GIF limit [unverified].
MAX_ANIMATED_FRAMES = 250
MAX_ANIMATION_PIXELS = 50_000_000  # frames x pixels per frame, whichever is larger of input and output
_ORIENTATION_TAG = 0x0112
_QUARTER_TURNS = {5, 6, 7, 8}  # EXIF orientations that swap width and height once applied


def gettext_noop(message: str) -> str:
    """Marks a message for `makemessages` without importing Django; `MediaRejected.render` translates it."""
    return message


class MediaRejected(ImageRejected):
    """The image cannot be used; `render(gettext)` gives the reason in the person's language.

    Refusals relayed from core.images arrive already translated into the language active when they were
    raised (render leaves them as they are): call this module under the author's language.
    """

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)

    def render(self, translate: Callable[[str], str] = str) -> str:
        text = translate(self.template)
        return text % self.params if self.params else text


# --- What each network takes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RenditionSpec:
    label: str
    formats: frozenset[str]  # Pillow format names the network accepts
    max_bytes: int
    min_width: int
    max_width: int  # the network's own maximum where it has one, else the width we choose to send
    min_aspect: float | None  # width / height
    max_aspect: float | None
    max_pixels: int
    rules: limits.ImageRules  # what the provider checks before sending: a rendition always passes them
    output_format: str = "JPEG"  # lossy format for opaque images; PNG is used only to keep transparency

    @property
    def keeps_alpha(self) -> bool:
        return "PNG" in self.formats

    @property
    def animates(self) -> bool:
        return "GIF" in self.formats


def _spec(label: str, rules: limits.ImageRules, *, max_width: int | None = None) -> RenditionSpec:
    width = rules.max_width or max_width
    if width is None or "JPEG" not in rules.formats:
        raise ValueError(f"{label}: a rendition needs a maximum width and a network that takes JPEG")
    return RenditionSpec(
        label=label,
        formats=rules.formats,
        max_bytes=rules.max_bytes,
        min_width=rules.min_width,
        max_width=width,
        min_aspect=rules.min_aspect,
        max_aspect=rules.max_aspect,
        max_pixels=rules.max_pixels,
        rules=rules,
    )


# Limits come from each provider's image rules (one source of truth with the checks run before sending), and
# widths where the network sets none from the provider's `image_max_width`.
NETWORK_IMAGE_SPECS: dict[str, RenditionSpec] = {
    network: _spec(
        spec.network.label,
        spec.provider_class.image_rules,
        max_width=spec.provider_class.image_max_width,
    )
    for network, spec in registry.SPECS.items()
    if spec.provider_class.image_rules is not None
}


def spec_for(network: str) -> RenditionSpec:
    try:
        return NETWORK_IMAGE_SPECS[network]
    except KeyError:
        raise ValueError(f"No image spec for network {network!r}") from None


# --- Inspecting an upload -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UploadInfo:
    format: str  # what the bytes are, whatever the file was called
    mime: str
    width: int  # as displayed, EXIF orientation applied
    height: int
    frames: int
    has_alpha: bool
    mode: str  # Pillow mode of the original ("CMYK", "P", "RGBA", ...)


def inspect_upload(data: bytes, *, max_bytes: int) -> UploadInfo:
    """Check an upload once, when it arrives. Raises MediaRejected (too heavy, not an image, a format no
    network takes, too many pixels, corrupt or truncated) with a sentence the author can act on."""
    if len(data) > max_bytes:
        raise MediaRejected(
            gettext_noop("The file weighs %(size).1f MB; the limit is %(limit).1f MB."),
            size=_mb(len(data)),
            limit=_mb(max_bytes),
        )
    image = _open(data)
    width, height = image.size
    if _orientation(image) in _QUARTER_TURNS:
        width, height = height, width
    fmt = image.format or ""
    mime = Image.MIME.get(fmt, "application/octet-stream")
    return UploadInfo(fmt, mime, width, height, _frame_count(image), _has_alpha(image), image.mode)


def _open(data: bytes) -> Image.Image:
    try:
        return open_verified(data)
    except ImageRejected as exc:  # already worded (and translated) by core.images
        raise MediaRejected(str(exc)) from None


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:  # a mangled EXIF block costs the rotation, never the upload
        return 1


def _frame_count(image: Image.Image) -> int:
    return int(getattr(image, "n_frames", 1))


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


# --- Geometry shared by the preview and the rendition ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class PreviewBox:
    source: tuple[int, int]  # the upright original's width and height
    crop: Box  # part of the original that is kept (left, top, right, bottom)
    size: tuple[int, int]  # the rendition's width and height
    placement: Box  # where the kept part lands in the rendition; outside it is padding (pad_color)
    fit: Fit

    @property
    def cropped(self) -> bool:
        return self.crop != (0, 0, *self.source)

    @property
    def padded(self) -> bool:
        return self.placement != (0, 0, *self.size)


def preview_box(
    width: int, height: int, network: str, *, fit: Fit = "crop", focus: tuple[float, float] = (0.5, 0.5)
) -> PreviewBox:
    """How an upright `width` x `height` image will be framed for `network`: what is cut, what is padded,
    and the size sent. The composer draws this; `make_rendition` applies exactly this."""
    return _box(width, height, spec_for(network), fit, focus)


def _box(width: int, height: int, spec: RenditionSpec, fit: Fit, focus: tuple[float, float]) -> PreviewBox:
    if width < 1 or height < 1:
        raise ValueError("An image has at least one pixel each way")
    low, high = spec.min_aspect or 0.0, spec.max_aspect or math.inf
    aspect = width / height
    crop: Box = (0, 0, width, height)
    shape_w, shape_h = width, height  # the rendition's shape, in original pixels
    if fit == "crop":
        if aspect > high:
            kept = max(1, math.floor(height * high))
            left = _around(focus[0], width, kept)
            crop = (left, 0, left + kept, height)
        elif aspect < low:
            kept = max(1, math.floor(width / low))
            top = _around(focus[1], height, kept)
            crop = (0, top, width, top + kept)
        shape_w, shape_h = crop[2] - crop[0], crop[3] - crop[1]
    elif fit == "pad":
        if aspect > high:
            shape_h = math.ceil(width / high)
        elif aspect < low:
            shape_w = math.ceil(height * low)
    else:
        raise ValueError(f"fit must be 'crop' or 'pad', not {fit!r}")
    size = _output_size(shape_w, shape_h, spec)
    if (shape_w, shape_h) == (crop[2] - crop[0], crop[3] - crop[1]):
        # Nothing to pad: a pixel of rounding is absorbed by the resize rather than shown as a thin border.
        return PreviewBox((width, height), crop, size, placement=(0, 0, *size), fit=fit)
    scale = size[0] / shape_w
    inner_w = min(size[0], max(1, round(width * scale)))
    inner_h = min(size[1], max(1, round(height * scale)))
    left, top = (size[0] - inner_w) // 2, (size[1] - inner_h) // 2
    return PreviewBox((width, height), crop, size, (left, top, left + inner_w, top + inner_h), fit)


def _around(focus: float, total: int, kept: int) -> int:
    """Start of a `kept`-long window centred on `focus` (0..1) and kept inside `total`."""
    start = round(min(max(focus, 0.0), 1.0) * total - kept / 2)
    return min(max(start, 0), total - kept)


def _output_size(width: int, height: int, spec: RenditionSpec) -> tuple[int, int]:
    scale = min(1.0, spec.max_width / width, math.sqrt(spec.max_pixels / (width * height)))
    # Instagram scales narrow images up to its minimum itself; doing it here keeps the upload valid.
    out_w = min(spec.max_width, max(spec.min_width, 1, round(width * scale)))
    out_h = max(1, round(out_w * height / width))
    # Rounding can push a ratio sitting on a limit just outside it: nudge the height by whole pixels,
    # comparing exactly as limits.check_image will.
    low, high = spec.min_aspect or 0.0, spec.max_aspect or math.inf
    while out_w / out_h > high:
        out_h += 1
    while out_w / out_h < low and out_h > 1:
        out_h -= 1
    if out_w * out_h > spec.max_pixels:
        out_h = spec.max_pixels // out_w
    return out_w, out_h


# --- Renditions -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rendition:
    content: bytes
    mime: str
    width: int
    height: int
    format: str
    frames: int = 1  # above 1 only when the animation was kept


def make_rendition(
    data: bytes,
    *,
    network: str,
    fit: Fit = "crop",
    focus: tuple[float, float] = (0.5, 0.5),
    pad_color: tuple[int, int, int] = (255, 255, 255),
) -> Rendition:
    """The image as `network` will accept it: upright, sRGB, without metadata, framed by `fit` (cut around
    `focus`, or padded with `pad_color`), no wider than allowed, and under the byte limit.

    Transparency is kept (as PNG) where the network takes PNG and the PNG fits, else flattened onto
    `pad_color`. JPEG quality goes down until the file fits; MediaRejected if it never does. The size of
    the original upload is the caller's business (`inspect_upload` at upload time); everything else about
    the bytes is checked again here, because renditions are made later, from stored files.
    """
    spec = spec_for(network)
    image = _open(data)
    if spec.animates and _frame_count(image) > 1:
        animated = _animated_rendition(image, spec, fit, focus, pad_color)
        if animated is not None:
            return animated
        image.seek(0)
        image.load()
    upright = _upright(image)
    box = _box(*upright.size, spec, fit, focus)
    pixels = _to_srgb(upright)
    keep_alpha = pixels.mode == "RGBA" and spec.keeps_alpha and not _opaque(pixels)
    if pixels.mode == "RGBA" and not keep_alpha:
        pixels = _flatten(pixels, pad_color)
    framed = _frame(pixels, box, pad_color)
    if keep_alpha:
        png = _encode(framed, "PNG", optimize=True)
        if len(png) <= spec.max_bytes:
            return Rendition(png, "image/png", *framed.size, format="PNG")
        # Lossless PNG cannot shrink further; a JPEG loses the transparency but gets under the limit.
        framed = _flatten(framed, pad_color)
    return _lossy_rendition(framed, spec)


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)  # a copy, turned as the camera meant it
    except Exception:  # a mangled orientation tag is not worth refusing the picture for
        log.info("media: ignored an unreadable EXIF orientation")
        return image.copy()


def _to_srgb(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image has transparency; colours converted from its ICC profile if it has one."""
    alpha = None
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        alpha = rgba.getchannel("A")
        work = rgba.convert("RGB")
    elif image.mode.startswith("I"):
        # 16-bit grey: scale to 8 bits; a plain convert() clips nearly every pixel to white.
        work = image.convert("I").point(lambda value: value / 256).convert("L")
    elif image.mode in ("RGB", "CMYK", "L"):
        work = image  # left as is so an embedded profile of the same colour space can convert it
    else:
        work = image.convert("RGB")
    icc = image.info.get("icc_profile")
    if icc and ImageCms is not None:
        work = _icc_to_srgb(work, icc)
    if work.mode != "RGB":
        work = work.convert("RGB")  # CMYK without a usable profile, greyscale
    if alpha is not None:
        work.putalpha(alpha)
    return work


@cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _icc_to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, _srgb_profile(), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        # A broken profile, or one for another colour space than the pixels: the plain conversion is close.
        log.info("media: ignored an unusable ICC profile")
        return image


def _opaque(image: Image.Image) -> bool:
    return image.getchannel("A").getextrema()[0] == 255


def _flatten(image: Image.Image, color: tuple[int, int, int]) -> Image.Image:
    background = Image.new("RGB", image.size, color)
    background.paste(image, mask=image.getchannel("A"))
    return background


def _frame(image: Image.Image, box: PreviewBox, pad_color: tuple[int, int, int]) -> Image.Image:
    region = image if box.crop == (0, 0, *image.size) else image.crop(box.crop)
    left, top, right, bottom = box.placement
    if region.size != (right - left, bottom - top):
        region = region.resize((right - left, bottom - top), Image.Resampling.LANCZOS, reducing_gap=3.0)
    if box.placement == (0, 0, *box.size):
        return region
    fill = (*pad_color, 255) if region.mode == "RGBA" else pad_color
    canvas = Image.new(region.mode, box.size, fill)
    canvas.paste(region, (left, top))
    return canvas


def _lossy_rendition(image: Image.Image, spec: RenditionSpec) -> Rendition:
    fmt = spec.output_format
    for quality in JPEG_QUALITIES:
        # Baseline (not progressive) JPEG: the one variant every network's ingest accepts.
        content = _encode(image, fmt, quality=quality, optimize=True)
        if len(content) <= spec.max_bytes:
            return Rendition(content, Image.MIME[fmt], *image.size, format=fmt)
    raise MediaRejected(
        gettext_noop(
            "Even at the lowest quality this image weighs %(size).1f MB for %(network)s, whose limit is "
            "%(limit).1f MB. Use a smaller or less detailed image."
        ),
        size=_mb(len(content)),
        network=spec.label,
        limit=_mb(spec.max_bytes),
    )


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    # Only pixels go out: crop/resize/convert copy `info` (EXIF, XMP, ICC, comments) and some encoders
    # (PNG, GIF) write what they find there.
    image.info = {}
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _animated_rendition(
    image: Image.Image,
    spec: RenditionSpec,
    fit: Fit,
    focus: tuple[float, float],
    pad_color: tuple[int, int, int],
) -> Rendition | None:
    """The animation as a GIF framed like a still, or None when it is too long or too heavy to keep."""
    count = _frame_count(image)
    box = _box(*image.size, spec, fit, focus)
    per_frame = max(image.width * image.height, box.size[0] * box.size[1])
    if count > MAX_ANIMATED_FRAMES or count * per_frame > MAX_ANIMATION_PIXELS:
        return None
    loop = image.info.get("loop")
    frames: list[Image.Image] = []
    durations: list[int] = []
    try:
        for frame in ImageSequence.Iterator(image):
            durations.append(int(frame.info.get("duration") or 100))
            frames.append(_frame(_to_srgb(frame).convert("RGBA"), box, pad_color))
    except (OSError, SyntaxError, ValueError, EOFError):  # a later frame is damaged
        raise MediaRejected(gettext_noop("This file is not a readable image.")) from None
    options: dict[str, object] = {"save_all": True, "append_images": frames[1:], "duration": durations}
    if loop is not None:
        options["loop"] = loop  # without the NETSCAPE block a GIF plays once: keep what the author made
    # disposal 2 clears each frame before the next, so transparent areas do not show the previous frame.
    content = _encode(frames[0], "GIF", disposal=2, **options)
    if len(content) > spec.max_bytes:
        return None
    return Rendition(content, "image/gif", *box.size, format="GIF", frames=len(frames))


def _mb(size: int) -> float:
    return size / 1_048_576

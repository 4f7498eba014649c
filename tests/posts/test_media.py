"""Post images: what an upload really is, what is refused, and what each network receives.

Every image is drawn in memory with Pillow; each rendition is opened again and measured, and must pass the
very check the provider runs before sending (`limits.check_image` with its IMAGE_RULES).
"""

from __future__ import annotations

import dataclasses
import io
import random
import struct

import pytest
from django.utils import translation
from PIL import Image, ImageCms

from networks.providers import facebook, instagram, limits, linkedin, mastodon, x
from posts import media
from posts.media import MediaRejected, inspect_upload, make_rendition, preview_box
from tests.images import png_claiming

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
PROVIDERS = {"facebook": facebook, "instagram": instagram, "x": x, "linkedin": linkedin, "mastodon": mastodon}


def _bytes(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _photo(size: tuple[int, int]) -> Image.Image:
    """Smooth colour gradients: compresses like a photo, cheap to draw at any size."""
    ramp = Image.linear_gradient("L")
    r, g = ramp.resize(size), ramp.rotate(90).resize(size)
    return Image.merge("RGB", (r, g, Image.new("L", size, 128)))


def _noise(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """Incompressible pixels: the worst case for the byte limits."""
    return Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3))


def _stripes(size: tuple[int, int], colours, *, vertical: bool = True) -> Image.Image:
    """Equal bands of colour, left to right (or top to bottom), so crops can be read from the pixels."""
    image = Image.new("RGB", size)
    length = size[0] if vertical else size[1]
    for index, colour in enumerate(colours):
        start, end = length * index // len(colours), length * (index + 1) // len(colours)
        box = (start, 0, end, size[1]) if vertical else (0, start, size[0], end)
        image.paste(colour, box)
    return image


def _icc_with_red_and_green_swapped() -> bytes:
    """A minimal ICC v2 RGB profile whose red primary is sRGB's green and vice versa: pixels stored as pure
    red mean green. Only a real colour conversion gets the colour right."""

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(struct.pack(">i", round(v * 65536)) for v in (x, y, z))

    gamma = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233) + b"\0\0"  # gamma 2.2, u8Fixed8
    red, green, blue = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
    white = xyz(0.9642, 1.0, 0.8249)  # D50, the profile connection space's white
    tags = [(b"wtpt", white), (b"rXYZ", xyz(*green)), (b"gXYZ", xyz(*red)), (b"bXYZ", xyz(*blue))]
    tags += [(b"rTRC", gamma), (b"gTRC", gamma), (b"bTRC", gamma)]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = struct.pack(">I", offset + len(body)) + b"\0" * 4 + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ "
    header += b"\0" * 12 + b"acsp" + b"\0" * 28 + white[8:] + b"\0" * 48
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def _close(pixel, expected, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], expected, strict=True))


def _opened(rendition: media.Rendition) -> Image.Image:
    image = Image.open(io.BytesIO(rendition.content))
    assert (image.format, image.size) == (rendition.format, (rendition.width, rendition.height))
    return image


@pytest.fixture(autouse=True)
def _english():
    # core.images words its refusals in the active language, and an earlier test (a French profile) can
    # leave French active in this thread.
    with translation.override("en"):
        yield


@pytest.fixture
def spec_override(monkeypatch):
    def override(network: str, **changes) -> None:
        spec = media.NETWORK_IMAGE_SPECS[network]
        monkeypatch.setitem(media.NETWORK_IMAGE_SPECS, network, dataclasses.replace(spec, **changes))

    return override


# --- Inspecting uploads ---------------------------------------------------------------------------------


def test_inspect_reports_what_the_bytes_are():
    data = _bytes(Image.new("RGBA", (300, 200), (0, 0, 255, 128)), "PNG")
    info = inspect_upload(data, max_bytes=10_000_000)
    assert info == media.UploadInfo(
        format="PNG", mime="image/png", width=300, height=200, frames=1, has_alpha=True, mode="RGBA"
    )


def test_a_lying_extension_is_irrelevant_the_bytes_are_sniffed():
    # The API takes bytes, never a name: a PNG uploaded as "photo.jpg" is a PNG, and a PDF called
    # "photo.jpg" is refused.
    png = _bytes(_photo((400, 300)), "PNG")
    assert inspect_upload(png, max_bytes=10_000_000).format == "PNG"
    assert make_rendition(png, network="instagram").format == "JPEG"
    with pytest.raises(MediaRejected, match="not a readable image"):
        inspect_upload(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 this is a document", max_bytes=10_000_000)


def test_a_format_no_network_takes_is_refused():
    with pytest.raises(MediaRejected, match="must be one of"):
        inspect_upload(_bytes(_photo((50, 50)), "BMP"), max_bytes=10_000_000)


def test_a_corrupt_file_is_refused():
    png = bytearray(_bytes(_photo((100, 100)), "PNG"))
    png[len(png) // 2] ^= 0xFF  # one flipped byte inside the compressed pixels: the chunk checksum fails
    for data in (bytes(png), random.Random(7).randbytes(5000)):
        with pytest.raises(MediaRejected, match="not a readable image"):
            inspect_upload(data, max_bytes=10_000_000)


def test_a_truncated_jpeg_is_refused_by_inspection_and_by_rendition():
    jpeg = _bytes(_noise((400, 300)), "JPEG", quality=90)
    cut = jpeg[: len(jpeg) // 2]
    with pytest.raises(MediaRejected, match="not a readable image"):
        inspect_upload(cut, max_bytes=10_000_000)
    with pytest.raises(MediaRejected, match="not a readable image"):
        make_rendition(cut, network="facebook")


def test_a_file_over_the_byte_limit_is_refused_before_it_is_opened():
    jpeg = _bytes(_photo((200, 200)), "JPEG")
    with pytest.raises(MediaRejected, match=r"weighs 0\.0 MB; the limit is 0\.0 MB") as caught:
        inspect_upload(jpeg, max_bytes=len(jpeg) - 1)
    assert caught.value.params["size"] > caught.value.params["limit"]
    assert inspect_upload(jpeg, max_bytes=len(jpeg)).format == "JPEG"  # the limit itself is allowed
    # Garbage over the limit gets the size message: nothing was parsed.
    with pytest.raises(MediaRejected, match="weighs"):
        inspect_upload(b"\0" * 2_000_000, max_bytes=1_048_576)


def test_a_decompression_bomb_is_refused_before_decoding():
    bomb = png_claiming(40_000, 40_000)  # 1.6 billion pixels declared in about 100 bytes
    assert len(bomb) < 200
    with pytest.raises(MediaRejected, match="too many pixels"):
        inspect_upload(bomb, max_bytes=10_000_000)
    with pytest.raises(MediaRejected, match="too many pixels"):
        make_rendition(bomb, network="x")


def test_huge_dimensions_under_pillows_own_alarm_are_refused_too():
    # 45 MP is below Pillow's decompression-bomb threshold (about 89 MP) but above what we decode.
    with pytest.raises(MediaRejected, match="too many pixels"):
        inspect_upload(png_claiming(9_000, 5_000), max_bytes=10_000_000)


def test_the_refusal_translates_with_its_parameters():
    error = MediaRejected(media.gettext_noop("Weighs %(size).1f MB"), size=2.25)
    assert str(error) == "Weighs 2.2 MB"
    assert error.render(lambda text: text.replace("Weighs", "Pèse")) == "Pèse 2.2 MB"


# --- Network specs and renditions within limits ---------------------------------------------------------


def test_specs_reuse_the_providers_rules():
    for network, provider in PROVIDERS.items():
        spec = media.NETWORK_IMAGE_SPECS[network]
        assert spec.rules is provider.IMAGE_RULES
        assert (spec.formats, spec.max_bytes) == (
            provider.IMAGE_RULES.formats,
            provider.IMAGE_RULES.max_bytes,
        )
    assert media.NETWORK_IMAGE_SPECS["instagram"].formats == frozenset({"JPEG"})
    assert media.NETWORK_IMAGE_SPECS["instagram"].max_width == 1440
    with pytest.raises(ValueError, match="myspace"):
        preview_box(10, 10, "myspace")


@pytest.mark.parametrize("network", sorted(PROVIDERS))
@pytest.mark.parametrize("size", [(5000, 1200), (900, 2700), (4200, 3000), (200, 150)])
@pytest.mark.parametrize("fit", ["crop", "pad"])
def test_each_networks_rendition_is_within_its_limits(network, size, fit):
    spec = media.NETWORK_IMAGE_SPECS[network]
    rendition = make_rendition(_bytes(_photo(size), "JPEG", quality=95), network=network, fit=fit)
    image = _opened(rendition)
    assert limits.check_image(rendition.content, PROVIDERS[network].IMAGE_RULES) == []
    assert image.format == "JPEG" and image.mode == "RGB" and rendition.mime == "image/jpeg"
    assert len(rendition.content) <= spec.max_bytes
    assert spec.min_width <= image.width <= spec.max_width
    aspect = image.width / image.height
    assert (spec.min_aspect or 0) <= aspect <= (spec.max_aspect or float("inf"))
    assert (image.width, image.height) == preview_box(*size, network, fit=fit).size


def test_jpeg_quality_goes_down_until_the_file_fits(spec_override):
    picture = _noise((500, 400))
    best, worst = (len(_bytes(picture, "JPEG", quality=q, optimize=True)) for q in (90, 40))
    limit = (best + worst) // 2
    spec_override("facebook", max_bytes=limit)
    rendition = make_rendition(_bytes(picture, "PNG"), network="facebook")
    assert worst <= len(rendition.content) <= limit < best
    assert _opened(rendition).size == (500, 400)  # quality was lowered, not the size


def test_an_image_that_cannot_fit_gets_a_clear_message(spec_override):
    spec_override("facebook", max_bytes=2_000)
    with pytest.raises(MediaRejected, match=r"lowest quality.*Facebook, whose limit is 0\.0 MB"):
        make_rendition(_bytes(_noise((500, 400)), "PNG"), network="facebook")


# --- Cleaning: metadata, orientation, colour, transparency ----------------------------------------------


def _exif_with_location(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Camera maker"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}  # GPSInfo
    return exif


@pytest.mark.parametrize(("network", "mode", "fmt"), [("instagram", "RGB", "JPEG"), ("x", "RGBA", "PNG")])
def test_location_and_every_other_metadata_are_stripped(network, mode, fmt):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    picture = _photo((600, 600)).convert(mode)
    if mode == "RGBA":
        picture.putalpha(Image.linear_gradient("L").resize((600, 600)))
    source_fmt = "JPEG" if mode == "RGB" else "PNG"
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>48,51N</exif:GPSLatitude></x:xmpmeta>'
    data = _bytes(picture, source_fmt, exif=_exif_with_location(), xmp=xmp, icc_profile=srgb)
    assert 0x8825 in Image.open(io.BytesIO(data)).getexif()  # the source really carries a location

    rendition = make_rendition(data, network=network)
    image = _opened(rendition)
    assert image.format == fmt
    assert dict(image.getexif()) == {}
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile"} & set(image.info)
    assert b"GPSLatitude" not in rendition.content and b"Camera maker" not in rendition.content


def test_exif_orientation_is_applied():
    # Upright, the picture is portrait, red on top and blue below. The camera stored it turned a quarter
    # anticlockwise and wrote orientation 6 ("turn 90° clockwise to display").
    upright = _stripes((300, 600), [RED, BLUE], vertical=False)
    stored = upright.rotate(90, expand=True)
    assert stored.size == (600, 300)
    data = _bytes(stored, "JPEG", quality=95, exif=_exif_with_location(orientation=6))
    info = inspect_upload(data, max_bytes=10_000_000)
    assert (info.width, info.height) == (300, 600)  # as displayed, not as stored

    image = _opened(make_rendition(data, network="facebook")).convert("RGB")
    assert image.size == (300, 600)
    assert _close(image.getpixel((150, 20)), RED) and _close(image.getpixel((150, 580)), BLUE)
    assert 0x0112 not in image.getexif()  # not turned a second time by whoever displays it


def test_an_embedded_colour_profile_is_converted_to_srgb_then_dropped():
    data = _bytes(Image.new("RGB", (200, 200), RED), "PNG", icc_profile=_icc_with_red_and_green_swapped())
    image = _opened(make_rendition(data, network="instagram"))
    assert image.format == "JPEG" and "icc_profile" not in image.info
    assert _close(image.getpixel((100, 100)), GREEN)  # what the profile says the pixels are


def test_cmyk_becomes_an_rgb_jpeg_with_the_right_colour():
    data = _bytes(Image.new("CMYK", (400, 300), (0, 255, 255, 0)), "JPEG", quality=95)  # pure red ink
    assert inspect_upload(data, max_bytes=10_000_000).mode == "CMYK"
    for network in PROVIDERS:
        image = _opened(make_rendition(data, network=network))
        assert (image.format, image.mode) == ("JPEG", "RGB")
        assert _close(image.getpixel((200, 150)), RED)


def _half_transparent(size=(400, 400)) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    image.paste((0, 0, 255, 255), (size[0] // 2, 0, size[0], size[1]))  # right half opaque blue
    return _bytes(image, "PNG")


def test_transparency_is_flattened_onto_the_pad_colour_for_instagram():
    rendition = make_rendition(_half_transparent(), network="instagram", pad_color=(10, 200, 10))
    image = _opened(rendition)
    assert (image.format, image.mode) == ("JPEG", "RGB")
    assert image.width >= 320
    assert _close(image.getpixel((5, image.height // 2)), (10, 200, 10))
    assert _close(image.getpixel((image.width - 5, image.height // 2)), BLUE)


@pytest.mark.parametrize("network", ["x", "facebook", "linkedin"])
def test_transparency_is_kept_as_png_where_the_network_takes_png(network):
    rendition = make_rendition(_half_transparent(), network=network)
    image = _opened(rendition)
    assert (image.format, image.mode, rendition.mime) == ("PNG", "RGBA", "image/png")
    assert image.getpixel((5, 200))[3] == 0 and image.getpixel((395, 200)) == (0, 0, 255, 255)
    assert limits.check_image(rendition.content, PROVIDERS[network].IMAGE_RULES) == []


def test_a_png_with_an_unused_alpha_channel_travels_as_jpeg():
    data = _bytes(_photo((300, 300)).convert("RGBA"), "PNG")
    assert make_rendition(data, network="x").format == "JPEG"


def test_a_transparent_png_too_heavy_for_the_limit_becomes_a_jpeg(spec_override):
    noisy = _noise((400, 400)).convert("RGBA")
    noisy.putalpha(128)
    data = _bytes(noisy, "PNG")
    spec_override("x", max_bytes=len(data) // 2)
    rendition = make_rendition(data, network="x")
    assert rendition.format == "JPEG" and len(rendition.content) <= len(data) // 2


# --- Animation ------------------------------------------------------------------------------------------


def _animated_gif(colours=(RED, GREEN, BLUE), size=(120, 90), **options) -> bytes:
    frames = [Image.new("RGB", size, colour) for colour in colours]
    return _bytes(
        frames[0], "GIF", save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=0, **options
    )


@pytest.mark.parametrize("network", ["x", "linkedin"])
def test_an_animated_gif_stays_animated_where_gif_is_accepted(network):
    data = _animated_gif(comment=b"made at 48.85N 2.35E")
    assert inspect_upload(data, max_bytes=10_000_000).frames == 3
    rendition = make_rendition(data, network=network)
    image = _opened(rendition)
    assert (image.format, rendition.frames, image.n_frames) == ("GIF", 3, 3)
    seen = []
    for index in range(3):
        image.seek(index)
        seen.append(image.convert("RGB").getpixel((60, 45)))
        assert image.info["duration"] == 100 * (index + 1)
    assert all(_close(pixel, colour) for pixel, colour in zip(seen, (RED, GREEN, BLUE), strict=True))
    assert b"48.85N" not in rendition.content
    assert limits.check_image(rendition.content, PROVIDERS[network].IMAGE_RULES) == []


@pytest.mark.parametrize("network", ["instagram", "facebook"])
def test_an_animated_gif_becomes_its_first_frame_where_gif_is_not_accepted(network):
    rendition = make_rendition(_animated_gif(), network=network)
    image = _opened(rendition)
    assert (image.format, rendition.frames, getattr(image, "n_frames", 1)) == ("JPEG", 1, 1)
    assert _close(image.getpixel((image.width // 2, image.height // 2)), RED)


def test_an_animation_too_heavy_for_x_is_sent_as_its_first_frame(spec_override):
    frames = [Image.new("RGB", (300, 300), RED)] + [_noise((300, 300), seed) for seed in range(8)]
    data = _bytes(frames[0], "GIF", save_all=True, append_images=frames[1:], loop=0)
    spec_override("x", max_bytes=100_000)
    assert len(data) > 100_000
    rendition = make_rendition(data, network="x")
    assert (rendition.format, rendition.frames) == ("JPEG", 1)
    assert _close(_opened(rendition).getpixel((150, 150)), RED)


# --- Framing: crop or pad, as the author chose in the preview -------------------------------------------


def test_crop_keeps_the_part_around_the_focus():
    data = _bytes(_stripes((3000, 1000), [RED, GREEN, BLUE]), "PNG")  # 3:1, wider than Instagram's 1.91:1
    left = _opened(make_rendition(data, network="instagram", fit="crop", focus=(0.0, 0.5)))
    right = _opened(make_rendition(data, network="instagram", fit="crop", focus=(1.0, 0.5)))
    for image in (left, right):
        assert image.size == (1440, 754)
    assert _close(left.getpixel((5, 377)), RED) and _close(left.getpixel((1434, 377)), GREEN)
    assert _close(right.getpixel((5, 377)), GREEN) and _close(right.getpixel((1434, 377)), BLUE)


def test_pad_keeps_everything_and_fills_the_rest_with_the_pad_colour():
    data = _bytes(_stripes((3000, 1000), [RED, GREEN, BLUE]), "PNG")
    box = preview_box(3000, 1000, "instagram", fit="pad")
    assert box.size == (1440, 754) and box.placement == (0, 137, 1440, 617) and box.padded and not box.cropped
    image = _opened(make_rendition(data, network="instagram", fit="pad", pad_color=(250, 250, 0)))
    assert image.size == (1440, 754)
    assert _close(image.getpixel((720, 60)), (250, 250, 0)) and _close(
        image.getpixel((720, 700)), (250, 250, 0)
    )
    assert _close(image.getpixel((5, 377)), RED) and _close(image.getpixel((1434, 377)), BLUE)


def test_a_tall_image_is_cut_to_four_by_five_for_instagram_around_the_vertical_focus():
    data = _bytes(_stripes((1000, 3000), [RED, GREEN, BLUE], vertical=False), "PNG")
    box = preview_box(1000, 3000, "instagram", fit="crop", focus=(0.5, 0.0))
    assert box.crop == (0, 0, 1000, 1250) and box.size == (1000, 1250) and box.cropped
    image = _opened(make_rendition(data, network="instagram", focus=(0.5, 0.0)))
    assert image.size == (1000, 1250) and image.width / image.height == instagram.IMAGE_RULES.min_aspect
    assert _close(image.getpixel((500, 5)), RED) and _close(image.getpixel((500, 1245)), GREEN)
    padded = _opened(make_rendition(data, network="instagram", fit="pad"))
    assert padded.size == (1440, 1800)


@pytest.mark.parametrize(("max_width", "size"), [(1200, (3000, 1000)), (1206, (2000, 6000))])
def test_a_ratio_cut_to_the_limit_stays_inside_it_after_rounding(spec_override, max_width, size):
    # At these widths the exact height falls between two pixels; rounding the usual way would land just
    # outside 1.91:1 (first case) or 4:5 (second), and Instagram would refuse the upload.
    spec_override("instagram", max_width=max_width)
    rendition = make_rendition(_bytes(_photo(size), "JPEG"), network="instagram")
    assert rendition.width == max_width
    assert limits.check_image(rendition.content, instagram.IMAGE_RULES) == []


def test_a_network_without_ratio_limits_changes_only_the_width():
    box = preview_box(6000, 1000, "facebook", fit="crop")
    assert box.crop == (0, 0, 6000, 1000) and box.size == (2048, 341) and not (box.cropped or box.padded)


def test_a_small_image_is_scaled_up_to_instagrams_minimum_width():
    rendition = make_rendition(_bytes(_photo((100, 100)), "JPEG"), network="instagram")
    assert (rendition.width, rendition.height) == (320, 320)

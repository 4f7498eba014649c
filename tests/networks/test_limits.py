"""networks.providers.limits: X's weighted length (twitter-text v3) and Pillow-based image checks."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from networks.providers.base import MediaFile
from networks.providers.limits import (
    ImageRules,
    check_image,
    check_images,
    check_text_length,
    inspect_image,
)
from networks.providers.x_weight import check_x_text, find_urls, x_weighted_length
from tests.images import png_claiming

# --- X weighted length -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("hello", 5),
        ("a" * 280, 280),
        ("日本語", 6),  # CJK weighs 2
        ("é", 1),
        ("e\u0301", 1),  # e + combining acute: NFC makes it one code point
        (chr(4351), 1),  # last code point of the light range
        (chr(4352), 2),  # first Hangul Jamo: heavy
        (chr(8192), 1),  # en quad
        (chr(8205), 1),  # zero-width joiner alone
        (chr(8206), 2),
        (chr(8208), 1),  # hyphen
        (chr(8223), 1),
        (chr(8224), 2),  # dagger
        (chr(8242), 1),  # prime
        (chr(8247), 1),
        (chr(8248), 2),
        ("\u00a9", 1),  # copyright sign, text style
        ("\u00a9\ufe0f", 2),  # copyright sign, emoji style
        ("👍", 2),
        ("👍🏽", 2),  # skin tone modifier: one emoji
        ("👨‍👩‍👧‍👦", 2),  # ZWJ family: one emoji, seven code points
        ("🇫🇷", 2),  # flag: two regional indicators
        ("1️⃣", 2),  # keycap
        ("❤️", 2),
        ("🏳️‍🌈", 2),
        ("https://example.com", 23),
        ("https://example.com/" + "a" * 200, 23),  # any length counts 23
        ("http://a.co", 23),  # short links count 23 too
        ("see https://example.com/x.", 4 + 23 + 1),  # the final dot is not part of the link
        ("example.com and example.org", 23 + 5 + 23),  # bare domains are links
        ("node.js is fine", 15),  # not a link: unknown TLD, no path
        ("mail a@example.com", 18),  # an address is not a link
    ],
)
def test_weighted_length(text: str, expected: int) -> None:
    assert x_weighted_length(text) == expected


def test_280_is_the_limit_whatever_the_script() -> None:
    assert check_x_text("a" * 280) == []
    assert check_x_text("a" * 279 + "日") != []  # 281
    assert check_x_text("日" * 140) == []
    assert check_x_text("日" * 141) != []
    assert check_x_text("👍" * 140) == []
    assert check_x_text("👍" * 140 + "!") != []
    link = "https://example.com/" + "x" * 500
    assert check_x_text(link + " " + "a" * 256) == []  # 23 + 1 + 256 = 280
    assert "counts 281" in check_x_text(link + " " + "a" * 257)[0]


def test_find_urls_strips_trailing_punctuation() -> None:
    text = "(see https://example.com/a)."
    assert [text[s:e] for s, e in find_urls(text)] == ["https://example.com/a"]


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters=".:/@#$")))
def test_weight_is_between_one_and_two_per_code_point(text: str) -> None:
    import unicodedata

    normalised = unicodedata.normalize("NFC", text)
    assert len(normalised) // 4 <= x_weighted_length(text) <= 2 * len(normalised)


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126, exclude_characters=".:/")))
def test_plain_ascii_weighs_its_length(text: str) -> None:
    assert x_weighted_length(text) == len(text)


def test_plain_length_check_counts_code_points_after_nfc() -> None:
    assert check_text_length("e\u0301" * 3000, max_chars=3000, network="LinkedIn") == []
    assert check_text_length("a" * 3001, max_chars=3000, network="LinkedIn") == [
        "The text has 3,001 characters; LinkedIn allows 3,000."
    ]


# --- images ----------------------------------------------------------------------------------------------


def image_bytes(fmt: str, size: tuple[int, int] = (40, 30), **save: object) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def animated_gif(frames: int = 3) -> bytes:
    buffer = io.BytesIO()
    images = [Image.new("RGB", (20, 20), (i * 80, 0, 0)) for i in range(frames)]
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:])
    return buffer.getvalue()


RULES = ImageRules(formats=frozenset({"JPEG", "PNG", "GIF"}), max_bytes=200_000)


@pytest.mark.parametrize(
    ("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif")]
)
def test_inspect_reports_the_real_format(fmt: str, mime: str) -> None:
    info = inspect_image(image_bytes(fmt))
    assert info is not None
    assert (info.format, info.mime, info.width, info.height) == (fmt, mime, 40, 30)


def test_the_bytes_decide_not_the_declared_type() -> None:
    png_called_jpeg = MediaFile(content=image_bytes("PNG"), content_type="image/jpeg")
    only_jpeg = ImageRules(formats=frozenset({"JPEG"}), max_bytes=10**6)
    assert check_images([png_called_jpeg], only_jpeg, max_count=1, network="X") == [
        "The image is a PNG file; accepted formats are JPEG."
    ]


def test_unsupported_format_is_named() -> None:
    assert check_image(image_bytes("BMP"), RULES) == [
        "The image is a BMP file; accepted formats are GIF, JPEG, PNG."
    ]


@pytest.mark.parametrize("content", [b"", b"not an image at all", image_bytes("PNG")[:40]])
def test_unreadable_bytes_are_refused(content: bytes) -> None:
    assert inspect_image(content) is None
    assert check_image(content, RULES) == ["The image is not a readable image file."]


def test_byte_size_cap() -> None:
    content = image_bytes("PNG", (300, 300))
    problems = check_image(content, ImageRules(formats=frozenset({"PNG"}), max_bytes=len(content) - 1))
    assert len(problems) == 1
    assert "the limit is" in problems[0]
    assert check_image(content, ImageRules(formats=frozenset({"PNG"}), max_bytes=len(content))) == []


def test_dimension_and_aspect_rules() -> None:
    rules = ImageRules(
        formats=frozenset({"PNG"}),
        max_bytes=10**6,
        min_width=320,
        max_width=1440,
        min_aspect=0.8,
        max_aspect=1.91,
    )
    assert check_image(image_bytes("PNG", (1000, 1000)), rules) == []
    assert any("minimum" in p for p in check_image(image_bytes("PNG", (100, 100)), rules))
    assert any("maximum" in p for p in check_image(image_bytes("PNG", (2000, 1500)), rules))
    assert any("aspect ratio of 3.00:1" in p for p in check_image(image_bytes("PNG", (1200, 400)), rules))
    assert any("aspect ratio of 0.50:1" in p for p in check_image(image_bytes("PNG", (400, 800)), rules))


def test_pixel_cap() -> None:
    rules = ImageRules(formats=frozenset({"PNG"}), max_bytes=10**6, max_pixels=1000)
    assert check_image(image_bytes("PNG", (40, 30)), rules) == [
        "The image is 40×30 px; the limit is 1,000 pixels in all."
    ]


def test_a_decompression_bomb_header_is_not_decoded() -> None:
    bomb = png_claiming(200_000, 200_000)  # claims 40 gigapixels
    assert inspect_image(bomb) is None


def test_frames_are_counted() -> None:
    info = inspect_image(animated_gif(3))
    assert info is not None
    assert info.frames == 3


def test_count_and_numbering_for_several_images() -> None:
    media = [MediaFile(image_bytes("PNG"), "image/png"), MediaFile(b"junk", "image/png")]
    assert check_images(media, RULES, max_count=1, network="Example") == [
        "Example accepts at most 1 image(s) per post; 2 were given.",
        "Image 2 is not a readable image file.",
    ]

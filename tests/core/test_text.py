"""single_line: what a name may hold once stored (no line breaks, no control characters)."""

from __future__ import annotations

import pytest

from core.text import single_line


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Acme\r\nBakery", "Acme Bakery"),
        ("  Acme \r\n\t Bakery  ", "Acme Bakery"),
        ("Acme\nBakery\rCo", "Acme Bakery Co"),
        ("Ac\x00me\x1b[31m\x7f\x9b", "Acme[31m"),  # NUL, ESC, DEL, a C1 control: gone
        ("Line\u2028separator\x85next", "Line separator next"),  # Unicode and C1 line breaks too
        ("Café « Chez Léa » 🥐", "Café « Chez Léa » 🥐"),  # ordinary text untouched
        ("", ""),
    ],
)
def test_single_line(raw, clean):
    assert single_line(raw) == clean

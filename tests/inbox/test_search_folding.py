"""PostgreSQL's accent folding (cmhub_unaccent, migration 0015) folds exactly as migration 0004 defined it:
the stored search vectors and the queries folded since agree with those folded before."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the folding function is PostgreSQL's"),
]

FIRST = import_module("inbox.migrations.0004_message_search_accents_and_fts5")
LIGATURES = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"}


def folded_as_0004(text: str) -> str:
    """Migration 0004's rule, read from its own letter lists: one translate, then the ligatures."""
    text = text.translate(str.maketrans("".join(FIRST._FROM), "".join(FIRST._TO)))
    for ligature, letters in LIGATURES.items():
        text = text.replace(ligature, letters)
    return text


def fold(text: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT cmhub_unaccent(%s)", [text])
        return cursor.fetchone()[0]


def test_every_letter_of_every_folded_block_folds_as_before():
    for first, last in [(0x0080, 0x02FF), (0x1DF0, 0x1F10)]:
        letters = "".join(chr(code) for code in range(first, last + 1))
        assert fold(letters) == folded_as_0004(letters)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain ASCII, nothing to fold",
        "Ça déjà vu : une œuvre ÆSIR, straße, Łódź, đ, ø",
        "Vietnamese: Tiếng Việt có dấu, Ỹ ỹ",
        "Mixed blocks ǅ ȁ Ḁ ẞ with Cyrillic й and Greek ά left alone 🥐",
        "Pchnąć w tę łódź jeża lub ośm skrzyń fig",
    ],
)
def test_texts_fold_as_before(text):
    assert fold(text) == folded_as_0004(text)

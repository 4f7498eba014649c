"""Bluesky text rules: facets by UTF-8 byte offsets wherever links and mentions sit, grapheme counting."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from networks.providers import bluesky_text as text_rules

# Text around the links and mentions: emoji (with skin tones and ZWJ families), CJK, combining marks,
# Arabic, and ordinary words; a separator keeps each link or mention a word of its own.
PIECES = st.sampled_from(
    [
        "café",
        "e\u0301",
        "👍🏽",
        "👨‍👩‍👧‍👦",
        "🇫🇷",
        "日本語",
        "한국어",
        "مرحبا",
        "naïve",
        "x",
        "\u0915\u094d\u0937",
        "",
    ]
)
FILLER = st.lists(PIECES, max_size=4).map("".join)
SEPARATOR = st.sampled_from([" ", "\n", " (", ") ", "、", " « "])
LINK = st.builds(
    lambda host, path: f"https://{host}.example/{path}",
    st.text("abcdefghij0123456789", min_size=1, max_size=8),
    st.text("abcdefghij-_/", max_size=10).map(lambda p: p.rstrip("-_/") or "p"),
)
HANDLE = st.text("abcdefghijklmnop", min_size=1, max_size=10).map(lambda h: f"{h}.bsky.social")
SPECIAL = st.one_of(LINK.map(lambda u: ("link", u)), HANDLE.map(lambda h: ("mention", h)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(FILLER, SEPARATOR, SPECIAL, SEPARATOR), min_size=1, max_size=5), FILLER)
def test_every_facet_slices_exactly_its_link_or_mention(parts, tail):
    text = (
        "".join(
            f"{before}{sep}{value if kind == 'link' else '@' + value}{after}"
            for before, sep, (kind, value), after in parts
        )
        + tail
    )
    wanted = [(kind, value) for _b, _s, (kind, value), _a in parts]
    facets = text_rules.facets(text, resolve=lambda handle: f"did:plc:{handle.split('.')[0]}")
    data = text.encode("utf-8")
    got = []
    for facet in facets:
        feature = facet["features"][0]
        sliced = data[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode("utf-8")
        if feature["$type"].endswith("#link"):
            assert sliced == feature["uri"]
            got.append(("link", sliced))
        else:
            assert sliced.startswith("@") and feature["did"] == f"did:plc:{sliced[1:].split('.')[0]}"
            got.append(("mention", sliced[1:]))
    assert got == wanted


def test_an_unknown_handle_gets_no_facet_and_an_email_is_not_a_mention():
    assert text_rules.facets("hi @nobody.example", resolve=lambda h: None) == []
    assert text_rules.facets("write to me@alice.bsky.social", resolve=lambda h: "did:plc:x") == []


def test_a_mention_right_after_cjk_or_emoji_is_found():
    for text in ("日本@alice.bsky.social", "🥐@alice.bsky.social"):
        [facet] = text_rules.facets(text, resolve=lambda h: "did:plc:alice")
        assert text.encode()[facet["index"]["byteStart"] : facet["index"]["byteEnd"]] == b"@alice.bsky.social"


def test_graphemes():
    assert text_rules.grapheme_count("👨‍👩‍👧‍👦") == 1
    assert text_rules.grapheme_count("e\u0301") == 1
    assert text_rules.grapheme_count("🇫🇷🇯🇵") == 2
    assert text_rules.grapheme_count("日本語") == 3
    assert text_rules.grapheme_count("\u0915\u094d\u0937") == 1  # Devanagari conjunct (extended cluster)
    assert text_rules.byte_length("👨‍👩‍👧‍👦") == 25


def test_plain_text_ignores_facets_that_do_not_fit():
    text = "é link"
    bad = [
        {
            "index": {"byteStart": 1, "byteEnd": 3},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://x.example"}],
        },
        {
            "index": {"byteStart": 0, "byteEnd": 99},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://x.example"}],
        },
        {
            "index": {"byteStart": 3, "byteEnd": 7},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "javascript:alert(1)"}],
        },
        "garbage",
    ]
    assert text_rules.plain_text(text, bad) == text

"""Normalisation and tokenisation: what every other part of the engine relies on."""

from __future__ import annotations

import pytest

from assistant.engine.text import STOP_WORDS, fold, is_stop_word, normalize, stem, tokenize, words


def norms(text: str) -> list[str]:
    return [t.norm for t in tokenize(text)]


def content(text: str) -> set[str]:
    return {w for w in words(tokenize(text)) if not is_stop_word(w)}


def test_normalize_applies_nfkc_casefold_and_one_apostrophe():
    assert normalize("Ｃafé ﬁn L’HEURE") == "café fin l'heure"
    assert normalize("Straße") == "strasse"


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Pâtisserie", "patisserie"),
        ("ŒUFS brûlés", "oeufs brules"),
        ("Noël à Lyon", "noel a lyon"),
        ("ça", "ca"),
    ],
)
def test_fold_strips_accents_for_matching(raw, folded):
    assert fold(raw) == folded


def test_tokens_keep_the_original_text_next_to_the_folded_form():
    [token] = tokenize("Gâteau")
    assert (token.text, token.norm, token.kind) == ("Gâteau", "gateau", "word")


@pytest.mark.parametrize("apostrophe", ["'", "’", "‘", "ʼ"])
def test_french_elisions_are_split_and_expanded_whatever_the_apostrophe(apostrophe):
    tokens = tokenize(f"l{apostrophe}heure d{apostrophe}ouverture qu{apostrophe}il j{apostrophe}arrive")
    assert [t.norm for t in tokens] == ["le", "heure", "de", "ouverture", "que", "il", "je", "arrive"]
    assert [t.elided for t in tokens] == [True, False, True, False, True, False, True, False]


def test_elision_and_inversion_share_their_content_word():
    # "à quelle heure ouvrez-vous" and "l'heure d'ouverture" must meet on "heure".
    assert "heure" in content("à quelle heure ouvrez-vous") & content("l'heure d'ouverture")
    assert content("l'heure d'ouverture") == {"heure", "ouverture"}


def test_words_whose_apostrophe_belongs_to_them_stay_whole():
    assert norms("aujourd'hui quelqu'un") == ["aujourd'hui", "quelqu'un"]


def test_english_contractions_become_words_and_keep_the_negation():
    assert norms("I don't know, it's late, we can't") == [
        "i",
        "do",
        "not",
        "know",
        ",",
        "it",
        "late",
        ",",
        "we",
        "can",
        "not",
    ]
    assert norms("won't") == ["will", "not"]


def test_emoji_are_tokens_with_skin_tones_and_variation_selectors_kept_together():
    tokens = [t for t in tokenize("Trop bon 😍😍 👍🏽 ❤️") if t.kind == "emoji"]
    assert [t.text for t in tokens] == ["😍", "😍", "👍🏽", "❤️"]
    assert tokens[-1].norm == "❤"  # the variation selector does not change the meaning


def test_links_mentions_emails_emoticons_and_numbers_have_their_own_kind():
    kinds = {
        t.text: t.kind
        for t in tokenize(
            "vu sur bit.ly/abc et https://x.example/p @julie_b bonjour@shop.example :) 19h30 #miam"
        )
    }
    assert kinds == {
        "vu": "word",
        "sur": "word",
        "bit.ly/abc": "url",
        "et": "word",
        "https://x.example/p": "url",
        "@julie_b": "mention",
        "bonjour@shop.example": "email",
        ":)": "emoticon",
        "19h30": "number",
        "#miam": "hashtag",
    }


def test_elongated_words_are_shortened():
    assert norms("trooooop bon") == ["troop", "bon"]


def test_punctuation_is_kept_for_questions_and_clauses():
    assert [t.norm for t in tokenize("Ouvert ?! Oui…") if t.kind == "punct"] == ["?", "."]


@pytest.mark.parametrize(
    ("forms", "language"),
    [
        (["livraison", "livraisons"], "fr"),
        (["livrer", "livrez", "livreur", "livre"], "fr"),
        (["gâteau", "gâteaux"], "fr"),
        (["remboursement", "rembourser", "remboursée"], "fr"),
        (["delivery", "deliveries", "delivered", "delivers"], "en"),
        (["open", "opens", "opening", "opened"], "en"),
        (["close", "closed", "closing"], "en"),
    ],
)
def test_light_stemming_joins_inflected_forms(forms, language):
    assert len({stem(fold(f), language) for f in forms}) == 1, forms


def test_stemming_does_not_merge_unrelated_short_words():
    assert stem("site", "en") != stem("sit", "en")
    assert stem("pain", "fr") != stem("pas", "fr")


def test_stop_words_cover_both_languages_but_keep_meaningful_words():
    assert {"le", "des", "vous", "the", "you", "is"} <= STOP_WORDS
    assert not {"sans", "gluten", "livraison", "when", "where", "combien", "quand"} & STOP_WORDS


@pytest.mark.parametrize(("cached", "args"), [(fold, ()), (stem, ("en",))])
def test_the_word_caches_do_not_keep_a_very_long_word(cached, args):
    """The caches are bounded in entries, not in bytes: a hostile 100 KB "word" must not be kept."""
    hostile = "a" * 100_000
    cached.cache_clear()
    assert cached(hostile, *args) == cached(hostile, *args)
    assert cached.cache_info().currsize == 0
    cached("bonjour", *args)
    assert cached.cache_info().currsize == 1

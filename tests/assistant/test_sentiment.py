"""Sentiment: bilingual lexicons, negation, intensifiers, emoji and slang."""

from __future__ import annotations

import pytest

from assistant.engine.sentiment import NEUTRAL_BAND, analyze_sentiment, sentiment_label, sentiment_score


def label(text: str, language: str | None = None) -> str:
    return sentiment_label(sentiment_score(text, language))


@pytest.mark.parametrize(
    "text",
    [
        "C'est trop bon, merci !",
        "Absolutely delicious",
        "c'est ouf ce flan",
        "Votre brioche est une tuerie",
        "Le meilleur pain du quartier 🥖🔥",
        "love it ❤️",
        "this croissant slaps",
        "Super accueil, équipe adorable",
    ],
)
def test_positive(text):
    assert label(text) == "positive"


@pytest.mark.parametrize(
    "text",
    [
        "Croissants rassis, franchement nul",
        "Terrible service, the staff were rude",
        "meh",
        "Livraison en retard et gâteau écrasé 😡",
        "Très déçue de ma commande",
        "disgusting, never again",
        "à chier",
    ],
)
def test_negative(text):
    assert label(text) == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "Vous ouvrez à quelle heure demain ?",
        "What time do you close on Saturday?",
        "Vous ouvrez à quelle heure ? Merci",  # courtesy closing a question is not praise
        "Any vegan options? Thanks in advance",
        "Je cherche un cadeau pour ma belle-mère",  # "belle" in a compound is not a compliment
        "lol",
    ],
)
def test_neutral(text):
    assert label(text) == "neutral"


@pytest.mark.parametrize(
    ("plain", "negated"),
    [("bon", "pas bon"), ("C'est bon", "Ce n'est pas bon"), ("good", "not good"), ("frais", "pas frais")],
)
def test_negation_flips_a_positive_word(plain, negated):
    assert sentiment_score(plain) > 0 > sentiment_score(negated)


@pytest.mark.parametrize(
    "text", ["jamais déçu", "never disappointed", "pas mal du tout", "not bad", "Never had a bad one"]
)
def test_negated_negative_words_and_idioms_are_positive(text):
    assert sentiment_score(text) > NEUTRAL_BAND


def test_idioms_win_over_their_words():
    assert sentiment_score("pas terrible") < 0
    assert sentiment_score("pas mal") > 0
    assert sentiment_score("I don't like it") < 0


def test_intensifiers_and_downtoners_scale_the_next_word():
    assert sentiment_score("très bon") > sentiment_score("bon") > sentiment_score("assez bon") > 0
    assert sentiment_score("super désagréable") < sentiment_score("désagréable") < 0
    assert sentiment_score("really good") > sentiment_score("good") > sentiment_score("slightly good")


def test_emoji_and_emoticons_carry_sentiment_and_are_not_negated():
    assert label("😡") == "negative"
    assert label("😍") == "positive"
    assert label(":(") == "negative"
    assert label("<3") == "positive"
    assert sentiment_score("pas de réponse 😡") < sentiment_score("pas de réponse")


def test_accents_do_not_matter():
    assert sentiment_score("délicieux") == sentiment_score("delicieux") > 0
    assert sentiment_score("déçu") == sentiment_score("decu") < 0


def test_elongation_and_capitals_are_emphasis():
    assert sentiment_score("trooop bon") > sentiment_score("bon")
    assert sentiment_score("NUL") < sentiment_score("nul") < 0


def test_what_follows_but_weighs_more():
    assert label("Bon accueil mais croissants rassis") == "negative"
    assert label("Good coffee but the croissant was stale") == "negative"
    assert label("A bit pricey but absolutely delicious") == "positive"


def test_score_stays_within_bounds_and_reports_its_strongest_parts():
    detail = analyze_sentiment("NUL NUL NUL !!!! 😡😡😡😡 horrible honteux")
    assert detail.score == pytest.approx(-1.0, abs=0.01)
    assert detail.strongest_negative <= -3 and detail.strongest_positive == 0
    assert -1.0 <= sentiment_score("😍" * 50) <= 1.0


def test_language_hint_resolves_false_friends():
    # In French "terrible" is at worst mildly negative (and often praise); in English it is plainly bad.
    assert sentiment_score("terrible", "en") < sentiment_score("terrible", "fr") < 0


def test_label_thresholds():
    assert sentiment_label(NEUTRAL_BAND) == "positive"
    assert sentiment_label(-NEUTRAL_BAND) == "negative"
    assert sentiment_label(0.0) == "neutral"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CONGRATULATIONS! You won a free trip", "positive"),
        ("Gagnez un abonnement offert, résultats garantis", "positive"),
        ("Your account will be suspended and disabled", "negative"),
        ("Mon compte est désactivé et l'appli bugue", "negative"),
        ("On m'a volé mon vélo devant l'entrée", "negative"),
        ("The changing room was freezing", "negative"),
        ("la musique est beaucoup trop forte", "negative"),  # excess, whatever the adjective
        ("The queue was way too long", "negative"),
        ("Can I suspend my plan?", "neutral"),
    ],
)
def test_winning_and_losing_words_in_both_languages(text, expected):
    assert label(text) == expected

"""Language detection: French, English, or an honest "unknown"."""

from __future__ import annotations

import pytest

from assistant.engine.language import detect_language, language_scores


@pytest.mark.parametrize(
    "text",
    [
        "Est-ce que vous faites des croissants aux amandes le dimanche ?",
        "est ce que vous faites des croissants aux amandes le dimanche",  # no accents, no "?"
        "C’est quand la prochaine fournée ?",
        "J'adore l'endroit",  # elisions are French evidence
        "Bjr, vs êtes ouverts demain mat ?",
        "La tarte était trop bonne 😍 merci",
    ],
)
def test_french(text):
    assert detect_language(text) == "fr"


@pytest.mark.parametrize(
    "text",
    [
        "Do you guys have any almond croissants left today?",
        "hey whats the wifi password",
        "I can't find your shop, where exactly is it?",
        "The staff were lovely and the coffee was great 👍",
    ],
)
def test_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["", "ok", "lol", "👍", "😂😂😂", "??", "https://example.com"])
def test_short_or_wordless_messages_are_unknown(text):
    assert detect_language(text) == "unknown"


@pytest.mark.parametrize(
    "text",
    [
        "¿Tienen pan sin gluten?",
        "Wir möchten eine Torte bestellen, ist das möglich?",
        "Grazie mille, buonissimo il panettone",
    ],
)
def test_other_languages_are_unknown_not_forced_into_french_or_english(text):
    assert detect_language(text) == "unknown"


def test_scores_show_where_the_evidence_comes_from():
    scores = language_scores("Je n'ai pas reçu ma commande")
    assert scores["fr"] > 3 > scores["en"]

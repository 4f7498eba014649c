"""FAQ retrieval: paraphrases, elisions, accents, typos, emoji, both languages, one answer per topic."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from assistant.engine.faq import FaqEntry, FaqIndex, load_entries, parse_synonyms

EVAL_DIR = Path(__file__).resolve().parents[2] / "assistant" / "eval"


def entry(id_, language, questions, answer="", group="", tags=(), active=True):
    return FaqEntry(id_, list(questions), answer, language, list(tags), active, group)


@pytest.fixture(scope="module")
def index():
    return FaqIndex(
        [
            entry(
                "hours.fr",
                "fr",
                ["Quelle est l'heure d'ouverture ?", "Quand fermez-vous ?"],
                "7h-19h",
                "hours",
            ),
            entry("hours.en", "en", ["What are your opening hours?"], "7am-7pm", "hours"),
            entry("delivery.fr", "fr", ["Faites-vous la livraison à domicile ?"], "Oui, 3,90 €", "delivery"),
            entry("delivery.en", "en", ["Do you deliver?"], "Yes, €3.90", "delivery"),
            entry("gluten.fr", "fr", ["Avez-vous des produits sans gluten ?"], "Le vendredi", "gluten"),
            entry("gluten.en", "en", ["Do you have gluten-free bread?"], "On Fridays", "gluten"),
            entry("refund.en", "en", ["How do I get a refund?"], "Within 48 hours", "refund"),
            entry("gift.fr", "fr", ["Vendez-vous des cartes cadeaux ?"], "De 20 à 150 €", "gift"),
            entry("old.fr", "fr", ["Faites-vous des glaces ?"], "Plus depuis 2020", "old", active=False),
        ]
    )


def top(index, text, **kwargs):
    suggestions = index.suggest(text, **kwargs)
    return suggestions[0].entry_id if suggestions else None


def test_elision_and_inversion_find_the_same_answer(index):
    assert top(index, "à quelle heure ouvrez-vous") == "hours.fr"
    assert top(index, "vous ouvrez à quelle heure ?") == "hours.fr"


def test_synonyms_bridge_different_words(index):
    assert top(index, "c'est quoi vos horaires ?") == "hours.fr"  # "horaires" is not in any phrasing


def test_the_engine_knows_no_trade_but_takes_a_workspace_vocabulary(index):
    assert top(index, "vous livrez chez moi ?") is None  # no built-in "livrez" ~ "livraison"
    vocabulary = parse_synonyms("# our words\ndelivery: livraison, livrer, livrez, deliver")
    with_words = FaqIndex(index.entries, synonyms=vocabulary)
    assert top(with_words, "vous livrez chez moi ?") == "delivery.fr"
    assert top(with_words, "c'est quoi vos horaires ?") == "hours.fr"  # the general concepts stay


def test_accents_make_no_difference(index):
    with_accents = index.suggest("Vous livrez à domicile le samedi ?", language="fr")
    without = index.suggest("vous livrez a domicile le samedi ?", language="fr")
    assert [s.entry_id for s in with_accents] == [s.entry_id for s in without]
    assert with_accents[0].entry_id == "delivery.fr"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vous faites la livrason ?", "delivery.fr"),
        ("produits sans glutten ?", "gluten.fr"),
        ("horraires d'ouverture ?", "hours.fr"),
        ("vous vendez des cartes cadaux ?", "gift.fr"),
    ],
)
def test_typos_still_find_the_answer_with_confidence(index, text, expected):
    best = index.suggest(text, language="fr")[0]
    assert best.entry_id == expected
    assert best.confidence >= 0.7  # the misspelt word is read as the indexed one, not just "close enough"


def test_emoji_and_slang_do_not_get_in_the_way(index):
    assert top(index, "🥐 sans gluten dispo ? 🙏") == "gluten.fr"
    assert top(index, "gf bread?? 😍") == "gluten.en"


def test_the_customer_language_wins_within_a_topic_and_topics_appear_once(index):
    fr = index.suggest("Faites-vous du pain sans gluten ?", language="fr")
    en = index.suggest("Any gluten free bread?", language="en")
    assert (fr[0].entry_id, fr[0].language) == ("gluten.fr", "fr")
    assert (en[0].entry_id, en[0].language) == ("gluten.en", "en")
    for suggestions in (fr, en):
        groups = [s.entry_id.split(".")[0] for s in suggestions]
        assert len(groups) == len(set(groups))


def test_an_answer_in_another_language_is_better_than_none(index):
    suggestion = index.suggest("Comment obtenir un remboursement ?", language="fr")[0]
    assert (suggestion.entry_id, suggestion.language) == ("refund.en", "en")


def test_inactive_entries_are_never_suggested(index):
    assert all(s.entry_id != "old.fr" for s in index.suggest("Vous faites des glaces ?"))


def test_ranked_with_bounded_confidence_and_limit(index):
    suggestions = index.suggest("livraison sans gluten le samedi ?", limit=2)
    assert len(suggestions) <= 2
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)
    assert all(0.0 <= s.confidence <= 1.0 for s in suggestions)
    assert suggestions[0].confidence >= suggestions[-1].confidence


def test_unrelated_messages_get_low_confidence(index):
    clear = index.suggest("Avez-vous des produits sans gluten le samedi ?")[0]
    assert clear.confidence >= 0.7
    for text in ("Joyeux anniversaire Paul !", "On se voit samedi @marc", "👍"):
        assert all(s.confidence < 0.5 for s in index.suggest(text))


def test_intent_tempers_or_cancels_suggestions(index):
    question = index.suggest("sans gluten le samedi ?")[0].confidence
    praise = index.suggest("sans gluten le samedi ?", intent="praise")[0].confidence
    assert praise < question
    assert index.suggest("sans gluten le samedi ?", intent="spam") == []


def test_load_entries_accepts_a_document_or_a_list():
    data = {"entries": [{"id": "a", "questions": ["q"], "answer": "r", "language": "fr"}]}
    [loaded] = load_entries(data)
    assert loaded == FaqEntry("a", ["q"], "r", "fr", [], True, "")
    assert load_entries(data["entries"]) == [loaded]


@pytest.fixture(scope="module")
def bakery():
    return json.loads((EVAL_DIR / "faq_bakery.json").read_text(encoding="utf-8"))


def test_bundled_faq_covers_25_topics_in_both_languages(bakery):
    entries = load_entries(bakery)
    groups: dict[str, set[str]] = {}
    for e in entries:
        groups.setdefault(e.group, set()).add(e.language)
        assert e.questions and e.answer and e.active
    assert len({e.id for e in entries}) == len(entries)
    assert len(groups) >= 25
    assert all(languages == {"fr", "en"} for languages in groups.values())


def test_bundled_faq_answers_typical_questions(bakery):
    index = FaqIndex(load_entries(bakery))
    expectations = {
        "Vous êtes ouverts le dimanche matin ?": "sunday.fr",
        "do you deliver to the 3rd arrondissement": "delivery-zones.en",
        "Je peux payer en tickets restaurant ?": "payment.fr",
        "Any nuts in the financiers?": "allergens.en",
        "Comment réserver une galette des rois pour le 6 janvier ?": "holiday-preorder.fr",
    }
    for text, expected in expectations.items():
        assert expected in [s.entry_id for s in index.suggest(text)[:3]], text


def test_bundled_index_is_fast(bakery):
    started = time.perf_counter()
    index = FaqIndex(load_entries(bakery))
    build = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(50):
        index.suggest("Bonjour, vous livrez à Villeurbanne le samedi matin ? Merci 🙏")
    per_message = (time.perf_counter() - started) / 50
    assert build < 1.0 and per_message < 0.05  # generous: measured in ms on a laptop


def _one_phrasing_index(rows: list[tuple[str, str, str, str]]) -> FaqIndex:
    """(group, language, the one phrasing, answer) rows: a day-one FAQ."""
    return FaqIndex([entry(f"{g}.{lang}", lang, [q], a, g) for g, lang, q, a in rows])


@pytest.fixture(scope="module")
def service_index():
    """A subscription service's day-one FAQ: one phrasing each, none of the customers' words."""
    rows = [
        ("pause", "fr", "Puis-je suspendre mon abonnement ?", "Oui, de 1 à 3 mois par an."),
        ("pause", "en", "Can I freeze my membership?", "Yes, for 1 to 3 months a year."),
        ("trial", "fr", "Proposez-vous une séance d'essai ?", "Oui, la première est offerte."),
        ("trial", "en", "Do you offer a free trial?", "Yes, the first session is free."),
        ("parking", "fr", "Y a-t-il un parking ?", "Oui, gratuit 2 heures."),
        ("parking", "en", "Is there parking?", "Yes, free for 2 hours."),
        ("discount", "fr", "Avez-vous des tarifs réduits ?", "Oui, pour les étudiants et les seniors."),
        ("discount", "en", "Do you have concessions?", "Yes, for students and seniors."),
        ("lost", "fr", "J'ai perdu un objet", "Voyez l'accueil."),
        ("lost", "en", "I lost something", "Ask at the front desk."),
        ("price", "fr", "Combien coûte l'abonnement ?", "29,90 € par mois."),
        ("price", "en", "How much is a membership?", "€29.90 a month."),
    ]
    return _one_phrasing_index(rows)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Je pars 2 mois, possible de mettre l'abonnement en pause ?", "fr", "pause.fr"),
        ("Injured my knee, can I put my plan on hold?", "en", "pause.en"),
        ("On peut essayer avant de s'inscrire ?", "fr", "trial.fr"),
        ("can I try it out before joining?", "en", "trial.en"),
        ("On peut se garer où ?", "fr", "parking.fr"),
        ("where can i park my car", "en", "parking.en"),
        ("Y a une réduction pour les étudiants ?", "fr", "discount.fr"),
        ("Is there a student discount?", "en", "discount.en"),
        ("J'ai oublié mon sac hier soir", "fr", "lost.fr"),
        ("is there a lost and found?", "en", "lost.en"),
    ],
)
def test_general_service_concepts_bridge_the_customers_words(service_index, text, language, expected):
    top = service_index.suggest(text, language=language)
    assert top and top[0].entry_id == expected, top


@pytest.fixture(scope="module")
def hours_index():
    rows = [
        ("hours", "fr", "Quels sont vos horaires d'ouverture ?", "6 h-23 h en semaine, 8 h-20 h le weekend"),
        ("hours", "en", "What are your opening hours?", "6am-11pm on weekdays, 8am-8pm at weekends."),
        ("guest", "fr", "Puis-je venir avec un ami ?", "Oui, 4 fois par mois."),
        ("guest", "en", "Can I bring a friend?", "Yes, 4 times a month."),
        ("classes", "fr", "Comment réserver un cours ?", "Dans l'appli, jusqu'à 2 h avant."),
        ("classes", "en", "How do I book a class?", "In the app, up to 2 hours before."),
    ]
    return _one_phrasing_index(rows)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Vous fermez à quelle heure en semaine svp", "fr", "hours.fr"),
        ("what time do you close on saturdays?", "en", "hours.en"),
        ("Vous ouvrez le samedi ?", "fr", "hours.fr"),
    ],
)
def test_the_time_of_opening_or_closing_is_the_opening_hours(hours_index, text, language, expected):
    top = hours_index.suggest(text, language=language)
    assert top and top[0].entry_id == expected, top

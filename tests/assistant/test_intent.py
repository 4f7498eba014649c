"""Intent: question, complaint, praise, spam or other, in both languages."""

from __future__ import annotations

import pytest

from assistant.engine.intent import classify_intent, intent_features


@pytest.mark.parametrize(
    "text",
    [
        "Vous ouvrez à quelle heure le dimanche ?",
        "Is there parking near the shop?",
        "vous faites des sandwichs vegan ou pas",  # spoken question, no "?"
        "je cherche un gâteau pour 20 personnes",
        "Livrez-vous le samedi",  # inversion, no "?"
        "do u deliver on sundays",
        "Where can I buy your granola",
        "horaires du samedi svp",
        "Bonjour, c'est quoi le prix d'une baguette",
    ],
)
def test_questions_with_or_without_question_mark(text):
    assert classify_intent(text) == "question"


@pytest.mark.parametrize(
    "text",
    [
        "Commande toujours pas arrivée, c'est inadmissible",
        "Still waiting for my refund, this is ridiculous",
        "Pourquoi ma commande n'est toujours pas arrivée ??",  # a question, but first a complaint
        "The éclairs were stale and the staff rude",
        "On m'a facturé deux fois la même commande, je veux être remboursé",
        "my order was supposed to arrive at 9, where is it?",
    ],
)
def test_complaints_win_over_questions(text):
    assert classify_intent(text) == "complaint"


@pytest.mark.parametrize(
    "text",
    [
        "Merci pour les croissants, un régal !",
        "Best sourdough in town 🔥",
        "Bravo à toute l'équipe, la bûche était parfaite",
        "Can't get enough of your brioche",  # "can" here does not open a question
        "Je recommande les yeux fermés",
    ],
)
def test_praise(text):
    assert classify_intent(text) == "praise"


def test_spam_wins_over_everything():
    assert classify_intent("Gagnez 500€ par jour depuis chez vous, cliquez ici bit.ly/xyz") == "spam"
    assert classify_intent("Great page! Want free followers? Check my bio") == "spam"


@pytest.mark.parametrize(
    "text",
    [
        "@paul on y va samedi ?",  # talking to a friend, not to the business
        "Joyeux Noël à toute l'équipe !",  # wishes are friendly, not praise
        "ok",
        "Je passe tout à l'heure",
        "??",
    ],
)
def test_other(text):
    assert classify_intent(text) == "other"


def test_features_explain_the_decision():
    f = intent_features("Ma commande est en retard, vous pouvez vérifier ?")
    assert f.question >= 2 and f.complaint >= 1
    assert not f.talks_to_others and not f.spam.is_spam
    assert intent_features("@marc regarde ça").talks_to_others


@pytest.mark.parametrize(
    "text",
    [
        "Why is it so hard to find out how to cancel?! Ridiculous",
        "C'est une honte, comment on vous contacte ?",
        "l'appli me dit identifiants incorrects, je fais quoi",
        "my card was refused at the desk, what should I do",
        "is it possible to suspend for a month",  # "suspend" asked about is no problem
        "Mon compte a été désactivé ?",
    ],
)
def test_an_unhappy_tone_or_a_plea_for_help_is_a_question(text):
    assert classify_intent(text) == "question"


@pytest.mark.parametrize(
    "text",
    [
        "Les douches étaient froides ce matin, encore une fois",
        "The lift is out of order again today",
        "Une fois de plus la salle d'attente était fermée",
        "Quelle déception, franchement",  # a tone and no question: a complaint
    ],
)
def test_a_repeated_failure_is_a_complaint(text):
    assert classify_intent(text) == "complaint"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("J'ai oublié mon sac dans le bus ce matin 😭", "question"),
        ("Left my umbrella in the changing room yesterday 😩", "question"),
        ("I lost my card, can you help?", "question"),
        ("Mon colis est arrivé cassé 😭 vous pouvez me rembourser ?", "complaint"),  # a problem reported
    ],
)
def test_a_loss_told_sadly_asks_for_help_and_a_problem_stays_a_complaint(text, expected):
    assert classify_intent(text) == expected

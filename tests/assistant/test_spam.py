"""Spam: schemes and link farms are caught, ordinary customers with a link or a gift card are not."""

from __future__ import annotations

import re

import pytest

from assistant.engine.spam import SPAM_THRESHOLD, SpamPattern, spam_check


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Gagnez 300€ par jour depuis chez vous 👉 bit.ly/cash-facile", "money_scheme"),
        ("Earn $2000 a week working from home, click here tinyurl.com/abc", "money_scheme"),
        ("Investis dans le Bitcoin avec mon mentor, +40% de rendement garanti", "crypto_scheme"),
        ("Made 5x with this ETH trading bot, DM me for details", "crypto_scheme"),
        ("Want 5K real followers? cheap and fast, check my bio", "follower_scheme"),
        ("Des abonnés gratuits pour ta page ? Va voir mon profil", "profile_bait"),
        ("Félicitations ! Vous avez gagné un iPhone, réclamez-le ici : cutt.ly/x", "prize_scam"),
        (
            "Your account will be disabled for copyright violation, verify here: meta-help.example.com",
            "phishing",
        ),
        ("Rencontres coquines dans ta ville 💋", "adult"),
        ("Prêt rapide sans justificatif, réponse en 24h sur WhatsApp", "loan_scheme"),
    ],
)
def test_schemes_are_spam_with_a_reason(text, reason):
    result = spam_check(text)
    assert result.is_spam, result
    assert reason in result.reasons


def test_link_farm_and_shorteners():
    result = spam_check("deals https://a.example.com https://b.example.net https://c.example.org")
    assert "link_farm" in result.reasons
    assert "shortener" in spam_check("look bit.ly/abc").reasons


def test_all_caps_with_links():
    result = spam_check(
        "PROMO INCROYABLE SUR TOUTE LA BOUTIQUE http://promo.example.shop http://x.example.shop"
    )
    assert result.is_spam
    assert "caps_links" in result.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Voici la photo de ma commande abîmée https://imgur.com/abc123",
        "Vous vendez des cartes cadeaux ? C'est pour l'anniversaire de ma mère",
        "J'ai gagné le concours de la semaine dernière, comment je récupère mon lot ?",
        "Do you accept crypto payments?",
        "JE SUIS FURIEUX, MA COMMANDE N'EST JAMAIS ARRIVÉE",
        "Merci pour la carte de fidélité, la 10e baguette offerte c'est top",
        "Je cherche un job le week-end, vous recrutez ?",
    ],
)
def test_ordinary_customers_are_not_spam(text):
    result = spam_check(text)
    assert result.score < SPAM_THRESHOLD, result


def test_repeated_text_across_recent_messages():
    text = "Découvrez ma boutique de bougies artisanales, -20% ce week-end seulement ✨"
    alone = spam_check(text)
    repeated = spam_check(text, recent_texts=[text.upper(), "autre chose", text + " ✨"])
    assert "repeated_text" in repeated.reasons
    assert repeated.score > alone.score
    assert repeated.is_spam


def test_short_repeated_messages_are_not_spam():
    assert spam_check("Merci !", recent_texts=["Merci !", "merci !", "Merci!"]).score < SPAM_THRESHOLD


def test_callers_can_add_their_own_patterns():
    extra = [SpamPattern("competitor_ad", 0.8, re.compile(r"\bboulangerie concurrente\b"))]
    result = spam_check("Allez plutôt à la boulangerie concurrente", extra_patterns=extra)
    assert result.is_spam and result.reasons == ("competitor_ad",)


def test_score_is_bounded_and_reasons_are_sorted():
    result = spam_check(
        "FÉLICITATIONS vous avez gagné!!! bit.ly/a bit.ly/b bit.ly/c bitcoin profit garanti whatsapp",
        recent_texts=[
            "FÉLICITATIONS vous avez gagné!!! bit.ly/a bit.ly/b bit.ly/c bitcoin profit garanti whatsapp"
        ],
    )
    assert 0.99 <= result.score <= 1.0
    assert list(result.reasons) == sorted(result.reasons)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Abonne-toi, je m'abonne en retour 🔁", "follower_scheme"),
        ("follow me and I'll follow you back, like4like", "follower_scheme"),
        ("Écris-moi sur WhatsApp +33 6 12 34 56 78 pour des compléments", "offsite_phone"),
        ("Perdez 10 kg en 2 semaines avec ma méthode, infos en MP", "miracle_claim"),
        ("Lose 15 lbs in one week, message me on telegram", "miracle_claim"),
        ("Cheap pills, no prescription, worldwide shipping, text me", "shady_shipping"),
    ],
)
def test_second_round_schemes_are_spam(text, reason):
    result = spam_check(text)
    assert result.is_spam, (text, result)
    assert reason in result.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Rappelez-moi au 06 12 34 56 78 svp, c'est pour ma commande",  # a customer's own number
        "Can you call me back on +44 20 7946 0958? my order is late",
        "J'ai perdu 8 kg en 3 mois grâce à vos cours, merci !",  # a happy customer, no scheme
        "Do you ship worldwide?",
        "Je vous suis depuis des années, merci pour tout",
    ],
)
def test_phone_numbers_and_results_alone_are_not_spam(text):
    assert not spam_check(text).is_spam, spam_check(text)


@pytest.mark.parametrize(
    "text",
    [
        "Je paie 39,99 € par mois et la connexion est nulle",
        "On me facture 12€ par mois en plus sans raison",
        "Le forfait à 19,99€/mois il est dispo ?",
        "I pay $45 a month for this??",
    ],
)
def test_a_customer_quoting_a_monthly_price_is_not_a_money_scheme(text):
    result = spam_check(text)
    assert not result.is_spam, result


@pytest.mark.parametrize(
    "text",
    [
        "Gagnez 500€ par semaine, écrivez-moi",
        "Make $400 a day, DM me",
        "Rejoins mon équipe, 2000€/mois minimum",
        "Jusqu'à 3000 € par mois depuis ton canapé",
    ],
)
def test_money_for_the_reader_per_period_is_still_a_scheme(text):
    result = spam_check(text)
    assert result.is_spam and "money_scheme" in result.reasons, result


@pytest.mark.parametrize(
    ("text", "spam"),
    [
        ("how do i order from home? is there an app", False),
        ("Je peux payer depuis chez vous ?", False),
        ("Work from home and earn big, DM me", True),
        ("Travaille depuis chez toi et deviens ton propre patron", True),
    ],
)
def test_from_home_is_a_scheme_only_when_it_is_work_or_money(text, spam):
    assert spam_check(text).is_spam is spam, spam_check(text)

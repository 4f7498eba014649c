"""Spam signals: link farms, URL shorteners, money/crypto/follower schemes, phishing, repeated text.

Each signal has a weight in [0, 1] and a reason code; the score combines them as independent pieces of
evidence (1 - prod(1 - w)), so one weak hint (a link) stays low and two strong ones add up without passing
1. Patterns need the scheme, not just a topic word: "carte cadeau" is a FAQ, "vous avez gagné une carte
cadeau, cliquez ici" is not. The caller passes the author's (or the thread's) recent texts to catch the
same message pasted again and again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .text import Token, fold, tokenize, wordset

__all__ = ["KNOWN_PATTERNS", "SPAM_THRESHOLD", "SpamPattern", "SpamResult", "spam_check"]

SPAM_THRESHOLD = 0.5

SHORTENERS = wordset(
    "bit.ly tinyurl.com goo.gl ow.ly is.gd cutt.ly rebrand.ly shorturl.at tiny.cc buff.ly t.ly rb.gy "
    "s.id v.gd bl.ink short.io tr.im lnkd.in wa.me linktr.ee"
)
_CONTACT_OFFSITE = re.compile(
    r"\b(?:whats\s?app|telegram|signal|wa\.me|text me|ecri(?:s|vez)[- ]moi en (?:mp|prive))\b"
)


_PHONE = re.compile(r"(?:\+\d{1,3}[\s.-]?)?(?:\(?\d{1,4}\)?[\s.-]?){3,}\d{2,4}")


@dataclass(frozen=True, slots=True)
class SpamPattern:
    """A known pattern; ``regex`` runs on the folded text (lower case, no accents, single spaces)."""

    reason: str
    weight: float
    regex: re.Pattern[str]


def _p(reason: str, weight: float, pattern: str) -> SpamPattern:
    return SpamPattern(reason, weight, re.compile(pattern))


_MONEY = r"(?:\d[\d\s.,]*\s?(?:k|€|\$|£|euros?|dollars?|usd|usdt)|[€$£]\s?\d[\d.,]*k?)"
# Who gets the money: "gagnez 300 € par jour" is a scheme, "je paie 39,99 € par mois" is a customer.
_EARNING = (
    r"\b(?:gagn\w*|earn\w*|make|making|made|income|revenus?|touche[rz]?|jusqu.a|up to|profit\w*|"
    r"salaire|paid|paye[rz]? (?:jusqu|entre))\b"
)
_PERIOD = r"(?:par|per|a|an|/|chaque|every)\s?(?:jour|semaine|mois|day|week|month|heure|hour|h)\b"
# Patterns run on the folded text (lower case, no accents). Keep them about schemes, not topics.
KNOWN_PATTERNS: tuple[SpamPattern, ...] = (
    _p("money_scheme", 0.65, rf"{_EARNING}.{{0,40}}{_MONEY}.{{0,25}}{_PERIOD}"),
    _p("money_scheme", 0.65, rf"{_MONEY}.{{0,25}}{_PERIOD}.{{0,30}}\b(?:net|garantis?|guaranteed|minimum)\b"),
    _p("money_per_period", 0.25, rf"{_MONEY}.{{0,25}}{_PERIOD}"),
    _p(
        "money_scheme",
        0.6,
        r"\b(?:argent facile|gagne[rz]? de l.argent|easy (?:money|cash)|earn money|"
        r"make money|propre patron|own boss|"
        # Working or earning from home, not ordering from home ("how do I order from home?").
        r"(?:work\w*|job|earn\w*|make|making|money|cash|gagne\w*|travaill\w*|bosse\w*|revenus?|argent)"
        r"(?: \S+){0,4} (?:from home|depuis chez (?:vous|toi|soi)|de chez (?:vous|toi|soi))|"
        r"revenu passif|passive income|side hustle)",
    ),
    _p(
        "crypto_scheme",
        0.7,
        r"\b(?:bitcoin|btc|crypto\w*|eth|ethereum|usdt|forex|trading|binance|nft)\b"
        r".{0,80}\b(?:profit|rendement|returns?|gains?|gagn\w*|invest\w*|x\d+|\d+ ?%|garanti\w*|guaranteed|"
        r"offert|free|bot|mentor|expert)",
    ),
    _p(
        "crypto_scheme",
        0.7,
        r"\b(?:invest\w*|profit|rendement)\b.{0,80}\b(?:bitcoin|btc|crypto\w*|eth|"
        r"forex|trading|mentor|expert)\b",
    ),
    _p(
        "guaranteed_returns",
        0.6,
        r"\d+ ?%.{0,40}\b(?:rendement|returns?|profit|garanti\w*|guaranteed|weekly|"
        r"par mois|par semaine)",
    ),
    _p(
        "follower_scheme",
        0.65,
        r"\b(?:abonnes|followers|likes|subscribers|vues|views|fans)\b.{0,30}"
        r"\b(?:gratuits?|free|real|reels|en \d+ ?h|in \d+ ?h|garanti\w*|cheap|pas chers?)",
    ),
    _p(
        "follower_scheme",
        0.65,
        r"\b(?:sell\w*|vends?|vendons|je propose|buy|achete[rz]?|cheap|pas chers?)\b.{0,30}"
        r"\b(?:abonnes|followers|likes|subscribers)\b",
    ),
    _p(
        "follower_scheme",
        0.65,
        r"(?:\+ ?\d[\d\s.,]*k?|\d+ ?k)\s*(?:real )?(?:abonnes|followers|likes|subscribers)",
    ),
    _p(
        "follower_scheme",
        0.6,
        r"\b(?:follow ?back|f4f|follow for follow|l4l|abonne(?:ment)?s? mutuel\w*|"
        r"s.abonne mutuellement|sub4sub)",
    ),
    _p(
        "profile_bait",
        0.6,
        r"\b(?:check|see|visit) (?:out )?my (?:profile|bio|page|account)|"
        r"(?:voir|passe voir|va voir|visite[rz]?) (?:mon profil|ma page|ma bio|la mienne)|"
        r"link in (?:my )?bio|lien (?:en|dans (?:ma|la)) bio",
    ),
    _p(
        "promotion_offer",
        0.55,
        r"\b(?:je booste|boost(?:er)? (?:votre|ton|your)|promote your|shout ?outs?|"
        r"plus de clients|more (?:customers|clients|sales)|seo|avis google|google reviews|"
        r"(?:achete[rz]?|buy) (?:des )?(?:avis|reviews|followers|abonnes|likes)|je cree votre site|"
        r"dm (?:me )?for (?:prices|promo|collab))",
    ),
    _p(
        "prize_scam",
        0.7,
        r"\b(?:felicitations|congratulations|congrats)\b.{0,80}\b(?:gagn\w*|win\w*|won|"
        r"selected|selectionne\w*|prize|lot|claim|reclame\w*)",
    ),
    _p(
        "prize_scam",
        0.6,
        r"\b(?:vous avez (?:ete selectionne|gagne)|you(?:'ve| have) (?:been selected|won)|"
        r"giveaway|iphone (?:gratuit|offert)|free iphone|cadeau offert|carte cadeau .{0,30}offerte|"
        r"gift card .{0,20}(?:free|claim))",
    ),
    _p(
        "phishing",
        0.7,
        r"\b(?:compte|account|page)\b.{0,60}\b(?:desactive\w*|supprime\w*|deleted|disabled|"
        r"suspended|violat\w*|restricted)\b.{0,80}\b(?:verif\w*|confirm\w*|click|cliquez|appeal)",
    ),
    _p(
        "phishing",
        0.55,
        r"\b(?:verify your account|verifiez votre compte|community standards|droits d.auteur"
        r".{0,40}verif)",
    ),
    _p(
        "loan_scheme",
        0.65,
        r"\b(?:pret rapide|pret sans|credit rapide|sans justificatif|quick loan|fast loan|"
        r"loan offer|payday loan)",
    ),
    _p(
        "adult",
        0.75,
        r"\b(?:rencontres? coquines?|hot singles|sexy (?:girls|filles)|onlyfans|plan cul|"
        r"nudes|xxx)\b",
    ),
    _p(
        "romance_scam",
        0.5,
        r"\b(?:hello dear|hi dear|bonjour (?:mon )?cher|single (?:mom|dad|mother|father))\b",
    ),
    _p(
        "counterfeit",
        0.6,
        r"\b(?:ray-?bans?|rolex|ugg|louis vuitton|michael kors|airpods)\b.{0,40}"
        r"(?:-\s?\d{2} ?%|\d{2} ?% off|cheap|pas cher|outlet|promo)",
    ),
    _p(
        "follower_scheme",
        0.6,
        r"\b(?:follow ?4 ?follow|like ?4 ?like|sub ?4 ?sub|"
        r"follow ?(?:me )?(?:and|&) i.{0,4}follow (?:you )?back|"
        r"(?:je (?:te )?(?:suis|follow|m.abonne)|abonnement) en retour)",
    ),
    _p(
        "miracle_claim",
        0.5,
        r"\b(?:perd(?:re|ez|s)|lose|losing|lost) \d+ ?(?:kg|kilos?|lbs?|pounds) "
        r"(?:en|in) (?:\d+ |une |un |one |a )?"
        r"(?:jours?|semaines?|mois|days?|weeks?|month)",
    ),
    _p(
        "shady_shipping",
        0.4,
        r"\b(?:worldwide shipping|discreet (?:shipping|delivery)|livraison (?:discrete|dans le monde entier|"
        r"mondiale)|no prescription|sans ordonnance)",
    ),
    _p("click_bait", 0.35, r"\b(?:cliquez ici|click here|click now|clique ici|cliquez sur le lien)\b"),
)


@dataclass(frozen=True, slots=True)
class SpamResult:
    score: float  # 0..1
    reasons: tuple[str, ...]

    @property
    def is_spam(self) -> bool:
        return self.score >= SPAM_THRESHOLD


def _domain(url: str) -> str:
    url = re.sub(r"^(?:https?://)?(?:www\.)?", "", url)
    return url.split("/", 1)[0].rstrip(".,;:!?)")


def _trigram_set(text: str) -> set[str]:
    text = " ".join(fold(text).split())
    return {text[i : i + 3] for i in range(max(len(text) - 2, 1))}


def _similar(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def spam_check(
    text: str,
    *,
    recent_texts: Sequence[str] = (),
    tokens: Sequence[Token] | None = None,
    extra_patterns: Iterable[SpamPattern] = (),
) -> SpamResult:
    """Score ``text`` for spam; ``recent_texts`` are earlier messages of the same author or thread."""
    tokens = tokenize(text) if tokens is None else tokens
    folded = " ".join(fold(text).split())
    signals: dict[str, float] = {}

    def hit(reason: str, weight: float) -> None:
        signals[reason] = max(signals.get(reason, 0.0), weight)

    urls = [t.text for t in tokens if t.kind == "url"]
    domains = {_domain(u).casefold() for u in urls}
    if urls:
        hit("link", 0.1)
    if len(urls) >= 3 or (len(urls) >= 2 and len(domains) >= 2):
        hit("link_farm", 0.55 if len(urls) >= 3 else 0.35)
    if domains & SHORTENERS:
        hit("shortener", 0.45)
    if _CONTACT_OFFSITE.search(folded):
        hit("offsite_contact", 0.35)
        if _PHONE.search(text):
            hit("offsite_phone", 0.3)  # "WhatsApp +33 6 12 34 56 78": a number to take the talk elsewhere

    letters = [c for t in tokens if t.kind == "word" for c in t.text if c.isalpha()]
    upper_ratio = sum(c.isupper() for c in letters) / len(letters) if letters else 0.0
    if urls and len(letters) >= 12 and upper_ratio >= 0.6:
        hit("caps_links", 0.5)
    money_emoji = sum(t.norm in ("💰", "💸", "🤑", "💵", "🚀") for t in tokens if t.kind == "emoji")
    if money_emoji and (urls or "bio" in folded or "dm" in folded.split()):
        hit("money_emoji", 0.3)

    for pattern in (*KNOWN_PATTERNS, *extra_patterns):
        if pattern.regex.search(folded):
            hit(pattern.reason, pattern.weight)

    if len(folded) >= 20 and recent_texts:
        mine = _trigram_set(text)
        repeats = sum(_similar(mine, _trigram_set(r)) >= 0.8 for r in recent_texts)
        if repeats:
            hit("repeated_text", 0.5 if repeats == 1 else 0.75)

    remaining = 1.0
    for weight in signals.values():
        remaining *= 1.0 - weight
    score = round(1.0 - remaining, 4)
    reasons = tuple(sorted(r for r, w in signals.items() if w >= 0.3 or score >= SPAM_THRESHOLD))
    return SpamResult(score=score, reasons=reasons)

"""Triage of one inbound message: language, sentiment, intent, priority and spam, in one pass.

Priority is 0 (can wait) to 3 (look now): a complaint starts at 2, a question at 1, praise and chit-chat at
0; strong anger adds one, and so does the author's reach (an unhappy customer with 10k followers is
urgent in a way a quiet one is not). Spam is always 0, however famous the account.

A review comes with its stars, and the reviewer's stars say more than the engine can read in the words:
1 and 2 stars are a complaint and unhappy whatever the words (a 1-star "great" is sarcasm or a slip, a
complaint either way), 1 star as urgent as strong anger; 3 stars are neutral unless the words say
otherwise; 4 and 5 stars are happy unless the words complain. A review with no words is triaged by its
stars alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .intent import COMPLAINT, PRAISE, QUESTION, SPAM, decide_intent, intent_features
from .language import UNKNOWN, detect_language
from .sentiment import analyze_sentiment
from .spam import spam_check
from .text import tokenize

__all__ = ["REACH_HIGH", "REACH_VERY_HIGH", "Triage", "priority_for", "triage"]

REACH_HIGH = 10_000
REACH_VERY_HIGH = 100_000
_BASE_PRIORITY = {COMPLAINT: 2, QUESTION: 1, PRAISE: 0}


@dataclass(frozen=True, slots=True)
class Triage:
    language: str  # "fr", "en" or "unknown"
    sentiment: float  # -1..1
    intent: str  # question, complaint, praise, spam, other
    priority: int  # 0..3
    spam_score: float  # 0..1
    spam_reasons: tuple[str, ...]


def priority_for(
    intent: str, sentiment: float, author_followers: int | None = None, rating: int | None = None
) -> int:
    """0..3 from the intent, how upset the author is (a 1-star review counts as angry), and how many
    people follow them."""
    if intent == SPAM:
        return 0
    priority = _BASE_PRIORITY.get(intent, 0)
    if intent == COMPLAINT and (sentiment <= -0.75 or rating == 1):
        priority += 1  # angry, not just disappointed
    elif intent == QUESTION and sentiment <= -0.4:
        priority += 1  # an impatient question is on its way to being a complaint
    followers = author_followers or 0
    if followers >= REACH_VERY_HIGH:
        priority += 2
    elif followers >= REACH_HIGH:
        priority += 1
    return max(0, min(3, priority))


_LEANING = 0.25  # just past the neutral band: the intent gives the sign, the words gave no strength


def _signed(score: float, intent: str) -> float:
    """A complaint is unhappy and praise is happy even when no word said how much ("I was charged twice,
    I want a refund"): a neutral score takes the sign the intent implies."""
    if intent == COMPLAINT and score > -_LEANING:
        return min(score, -_LEANING) if score < _LEANING else score
    if intent == PRAISE and score < _LEANING:
        return max(score, _LEANING) if score > -_LEANING else score
    return score


#: How unhappy a low rating is at least, whatever the words: past the neutral band, 1 star more than 2.
_LOW_STARS_FLOOR = {1: -0.6, 2: -0.4}


def with_stars(intent: str, score: float, rating: int | None) -> tuple[str, float]:
    """The intent and sentiment once a review's stars (1 to 5) are taken into account; unchanged without
    stars, and for spam (a review can be spam, whatever its stars)."""
    if rating not in (1, 2, 3, 4, 5) or intent == SPAM:
        return intent, score
    if rating <= 2:
        return COMPLAINT, min(score, _LOW_STARS_FLOOR[rating])
    if rating == 3:
        # Neutral unless the words say otherwise: what the words decided stands, and no words is neutral.
        return intent, score
    if intent == COMPLAINT:
        return intent, score  # a good rating, and words that complain: the words are what needs answering
    return (QUESTION if intent == QUESTION else PRAISE), max(score, _LEANING)


# Schemes that sell a dream (easy money, returns, a prize, a bargain) speak in a happy tone even when no
# word of the lexicon says so ("Make $400 a day from home, DM me"); phishing threatens and stays as scored.
_PROMISING_SPAM = frozenset(
    {"money_scheme", "crypto_scheme", "guaranteed_returns", "prize_scam", "counterfeit"}
)


def _spam_tone(score: float, intent: str, reasons: Sequence[str]) -> float:
    if intent == SPAM and -_LEANING < score < _LEANING and _PROMISING_SPAM.intersection(reasons):
        return max(score, _LEANING)
    return score


def triage(
    text: str,
    *,
    author_followers: int | None = None,
    recent_texts: Sequence[str] = (),
    rating: int | None = None,
) -> Triage:
    """Everything the inbox needs to sort and route a new inbound message; `rating`: a review's stars."""
    tokens = tokenize(text)
    language = detect_language(tokens)
    lexicon_language = language if language != UNKNOWN else None
    sentiment = analyze_sentiment(tokens, lexicon_language)
    spam = spam_check(text, recent_texts=recent_texts, tokens=tokens)
    features = intent_features(tokens, language=lexicon_language, text=text, sentiment=sentiment, spam=spam)
    intent, score = with_stars(decide_intent(features), sentiment.score, rating)
    return Triage(
        language=language,
        sentiment=_spam_tone(_signed(score, intent), intent, spam.reasons),
        intent=intent,
        priority=priority_for(intent, score, author_followers, rating),
        spam_score=spam.score,
        spam_reasons=spam.reasons,
    )

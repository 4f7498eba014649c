"""Offline assistant engine: triage and FAQ suggestions for French and English messages.

Plain Python, no Django and no model download: the Django app stores FAQ entries, rules and suggestions
and calls this package. Typical use::

    index = FaqIndex(load_entries(faq_rows))          # once per FAQ version
    result = triage(text, author_followers=1200, recent_texts=earlier_texts)
    suggestions = index.suggest(text, language=result.language, intent=result.intent)

The engine knows no trade: French and English, their stop words and light stems, and the concepts every
business hears (``GENERAL_SYNONYMS``: opening hours, prices, refunds, contact...). A workspace adds its own
words with ``FaqIndex(entries, synonyms=parse_synonyms(text))`` and its accepted customer phrasings with
``FaqEntry(..., learned=[...])``. ``AUTO_SEND_THRESHOLD`` is the calibrated confidence below which an answer
is never sent alone; ``python -m assistant.eval.run`` measures all of it per domain.
"""

from .faq import (
    AUTO_SEND_THRESHOLD,
    GENERAL_SYNONYMS,
    FaqEntry,
    FaqIndex,
    Suggestion,
    load_entries,
    parse_synonyms,
)
from .intent import INTENTS, classify_intent
from .language import ENGLISH, FRENCH, UNKNOWN, detect_language
from .reviews import REVIEW_DRAFT_CONFIDENCE, review_draft
from .sentiment import NEUTRAL_BAND, sentiment_label, sentiment_score
from .spam import KNOWN_PATTERNS, SPAM_THRESHOLD, SpamPattern, SpamResult, spam_check
from .text import Token, fold, normalize, stem, tokenize
from .triage import Triage, priority_for, triage

__all__ = [
    "AUTO_SEND_THRESHOLD",
    "ENGLISH",
    "FRENCH",
    "GENERAL_SYNONYMS",
    "INTENTS",
    "KNOWN_PATTERNS",
    "NEUTRAL_BAND",
    "REVIEW_DRAFT_CONFIDENCE",
    "SPAM_THRESHOLD",
    "UNKNOWN",
    "FaqEntry",
    "FaqIndex",
    "SpamPattern",
    "SpamResult",
    "Suggestion",
    "Token",
    "Triage",
    "classify_intent",
    "detect_language",
    "fold",
    "load_entries",
    "normalize",
    "parse_synonyms",
    "priority_for",
    "review_draft",
    "sentiment_label",
    "sentiment_score",
    "spam_check",
    "stem",
    "tokenize",
    "triage",
]

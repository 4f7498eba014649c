"""First drafts of an answer to a review, in the review's language, from its stars alone.

They thank for 4 and 5 stars, thank and take note for 3, apologise and invite the reviewer to get in
touch for 1 and 2. They never promise anything specific (no refund, no date, no gesture): what the brand
can offer is a person's decision, made when they edit the draft. They are drafts for a person, never sent
alone (auto-replies answer from the FAQ only).
"""

from __future__ import annotations

from .language import ENGLISH, FRENCH

__all__ = ["REVIEW_DRAFT_CONFIDENCE", "review_draft"]

#: Shown with the draft: a starting point, not an answer the engine is sure of.
REVIEW_DRAFT_CONFIDENCE = 0.5

_DRAFTS = {
    FRENCH: {
        "happy": "Merci beaucoup pour votre avis et pour ces étoiles ! Toute l'équipe est ravie que votre "
        "expérience vous ait plu, et nous serons heureux de vous accueillir à nouveau.",
        "neutral": "Merci d'avoir pris le temps de nous laisser votre avis. Nous prenons note de vos "
        "remarques pour continuer à nous améliorer.",
        "unhappy": "Nous sommes sincèrement désolés que votre expérience n'ait pas été à la hauteur. Pouvez-"
        "vous nous contacter directement, afin que nous comprenions ce qui s'est passé et que nous en "
        "parlions avec vous ?",
    },
    ENGLISH: {
        "happy": "Thank you so much for your review and your stars! The whole team is delighted you had a "
        "good experience, and we look forward to seeing you again.",
        "neutral": "Thank you for taking the time to leave a review. We have noted your feedback to keep "
        "improving.",
        "unhappy": "We are truly sorry your experience fell short. Could you get in touch with us directly, "
        "so we can understand what happened and talk it through with you?",
    },
}


def review_draft(rating: int | None, language: str) -> str | None:
    """A first draft for a review with these stars in `language` ("fr" or "en"); None without stars or
    in another language (the drafts are written in the reviewer's language, not the team's)."""
    drafts = _DRAFTS.get(language)
    if drafts is None or rating not in (1, 2, 3, 4, 5):
        return None
    if rating >= 4:
        return drafts["happy"]
    return drafts["neutral"] if rating == 3 else drafts["unhappy"]

"""Reply suggestions for a message (FAQ answers, saved replies) and what became of each."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from accounts.models import User, Workspace
from assistant import engine, selectors
from assistant.engine.text import STOP_WORDS
from assistant.models import FaqEntry, Language, MessageTriage, Suggestion
from inbox.models import Message, SavedReply
from inbox.saved_replies import saved_reply_render


def _words(text: str, language: str | None) -> set[str]:
    return {
        engine.stem(t.norm, language)
        for t in engine.tokenize(text)
        if t.kind == "word" and len(t.norm) > 2 and t.norm not in STOP_WORDS
    }


@dataclass
class _Candidate:
    kind: str
    confidence: float
    language: str
    text: str
    faq_entry: FaqEntry | None = None
    saved_reply_id: int | None = None


def _saved_reply_candidates(
    message: Message, language: str, agent: User | None, workspace: Workspace
) -> list[_Candidate]:
    """Saved replies sharing words with the message (Dice overlap of stems), in the customer's language."""
    asked = _words(message.text, language)
    if not asked:
        return []
    out = []
    for reply in SavedReply.objects.filter(workspace_id=message.workspace_id):
        if reply.language and reply.language != language:
            continue
        words = _words(f"{reply.title} {reply.body}", language)
        common = len(asked & words)
        if common < 2:
            continue  # one shared word is a coincidence, not an answer
        dice = 2 * common / (len(asked) + len(words))
        text = reply.body
        if agent is not None:
            text = saved_reply_render(
                reply.body, contact=message.conversation.contact, agent=agent, workspace=workspace
            )
        out.append(
            _Candidate(Suggestion.Kind.SAVED_REPLY, min(1.0, dice), language, text, saved_reply_id=reply.pk)
        )
    return out


def _review_candidates(message: Message, language: str) -> list[_Candidate]:
    """A review's first draft from its stars, in its language (a review without words is answered in the
    workspace's), after the answers written for the workspace: those know the brand, the draft does not."""
    draft = engine.review_draft(message.rating, language)
    if draft is None:
        return []
    return [_Candidate(Suggestion.Kind.REVIEW, engine.REVIEW_DRAFT_CONFIDENCE, language, draft)]


def _language_and_intent(message: Message) -> tuple[str, str]:
    """The message's stored triage, or the engine's answer when it was never triaged."""
    triage = MessageTriage.objects.filter(message=message).first()
    if triage is None:
        result = engine.triage(message.text, rating=message.rating)
        return result.language, result.intent
    return triage.language, triage.intent


def suggestions_for(message: Message, *, limit: int = 3, agent: User | None = None) -> list[Suggestion]:
    """Ranked answers for an inbound message (FAQ and saved replies, in the customer's language), stored
    as Suggestion rows so what people do with them can be measured. A message keeps its first set: asking
    again returns the stored rows."""
    existing = list(
        Suggestion.objects.filter(message=message)
        .exclude(kind=Suggestion.Kind.LLM)  # model drafts are asked for one by one, not ranked here
        .select_related("faq_entry")
        .order_by("rank")
    )
    if existing:
        return existing
    language, intent = _language_and_intent(message)
    if intent == "spam":
        return []
    workspace = Workspace.objects.get(pk=message.workspace_id)
    if language not in Language.values:
        language = workspace.default_language
    index, entries = selectors.faq_index_for(message.workspace_id)
    candidates = [
        _Candidate(
            Suggestion.Kind.FAQ,
            s.confidence,
            s.language,
            entries[int(s.entry_id)].answer,
            faq_entry=entries[int(s.entry_id)],
        )
        for s in index.suggest(message.text, language=language, limit=limit, intent=intent)
    ]
    candidates += _saved_reply_candidates(message, language, agent, workspace)
    candidates += _review_candidates(message, language)
    candidates.sort(key=lambda c: (c.language != language, -c.confidence))
    rows = [
        Suggestion(
            message=message,
            kind=c.kind,
            faq_entry=c.faq_entry,
            saved_reply_id=c.saved_reply_id,
            text=c.text,
            rank=rank,
            confidence=round(c.confidence, 4),
            language=c.language,
        )
        for rank, c in enumerate(candidates[:limit], start=1)
    ]
    return Suggestion.objects.bulk_create(rows)


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def suggestion_record_fate(suggestion: Suggestion, final_text: str | None, user: User | None) -> Suggestion:
    """What became of a suggestion: sent as is, edited (the edit is kept), or ignored (no text).

    Decided once: a second call leaves the first decision in place."""
    F = Suggestion.Fate
    text = (final_text or "").strip()
    if not text:
        fate, kept = F.IGNORED, ""
    elif _same_text(text, suggestion.text):
        fate, kept = F.SENT_AS_IS, ""
    else:
        fate, kept = F.EDITED, text
    now = timezone.now()
    won = Suggestion.objects.filter(pk=suggestion.pk, fate=F.PENDING).update(
        fate=fate, final_text=kept, decided_by=user, decided_at=now
    )
    if won:
        suggestion.fate, suggestion.final_text, suggestion.decided_by, suggestion.decided_at = (
            fate,
            kept,
            user,
            now,
        )
    else:
        suggestion.refresh_from_db()
    return suggestion

"""Learned phrasings: the workspace's customers teach the FAQ how they ask.

Every time a person answers with an FAQ entry (a suggestion sent as is or edited, or a reply close to an
entry's answer), the customer's message becomes a candidate phrasing of that entry. A manager accepts or
dismisses each candidate in one click on the FAQ page; accepted phrasings feed the FAQ index at once (the
index cache is keyed by them), as matching-only phrasings (``engine.FaqEntry.learned``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from assistant import engine
from assistant.engine.text import is_stop_word
from assistant.models import FaqEntry, LearnedPhrasing, Suggestion
from core.errors import UserError
from inbox.models import Message

if TYPE_CHECKING:
    from accounts.models import User

MAX_WORDS = 60  # a long story is not a way of asking a question
CLOSE_TO_ANSWER = 0.6  # share of the answer's words a reply must contain to count as that answer
S = LearnedPhrasing.Status


class PhrasingError(UserError):
    pass


def _words(text: str) -> set[str]:
    return {t.norm for t in engine.tokenize(text) if t.kind == "word" and not is_stop_word(t.norm)}


def entry_answered_by(*, workspace: Workspace | int, reply_text: str) -> FaqEntry | None:
    """The FAQ entry whose answer a reply written by hand reproduces, if any (most of its words)."""
    reply = _words(reply_text)
    if not reply:
        return None
    best, best_share = None, 0.0
    for entry in FaqEntry.objects.for_workspace(workspace).active():
        answer = _words(entry.answer)
        if len(answer) < 4:
            continue
        share = len(answer & reply) / len(answer)
        if share > best_share:
            best, best_share = entry, share
    return best if best_share >= CLOSE_TO_ANSWER else None


def phrasing_propose(*, entry: FaqEntry, message: Message) -> LearnedPhrasing | None:
    """Record ``message`` as a candidate phrasing of ``entry``; None when it cannot teach anything (not a
    customer's message, no words, too long, spam, already a phrasing, already proposed)."""
    text = " ".join(message.text.split())
    if message.direction != Message.Direction.IN or message.workspace_id != entry.workspace_id:
        return None
    words = [t for t in engine.tokenize(text) if t.kind == "word"]
    if not words or len(words) > MAX_WORDS or engine.triage(text).intent == "spam":
        return None
    folded = engine.fold(text)
    if any(engine.fold(q) == folded for q in entry.questions):
        return None
    try:
        with transaction.atomic():
            return LearnedPhrasing.objects.create(
                workspace_id=entry.workspace_id, faq_entry=entry, message=message, text=text[:1000]
            )
    except IntegrityError:
        return None  # proposed before (and maybe dismissed): never twice


def phrasing_from_suggestion(*, suggestion: Suggestion) -> LearnedPhrasing | None:
    """A decided FAQ suggestion that went out (as is or edited) proposes its customer's message."""
    entry = suggestion.faq_entry
    if suggestion.kind != Suggestion.Kind.FAQ or entry is None:
        return None
    if suggestion.fate not in (Suggestion.Fate.SENT_AS_IS, Suggestion.Fate.EDITED):
        return None
    return phrasing_propose(entry=entry, message=suggestion.message)


def phrasing_from_reply(*, reply: Message) -> LearnedPhrasing | None:
    """A reply written by hand that reproduces an entry's answer proposes the message it answers."""
    entry = entry_answered_by(workspace=reply.workspace_id, reply_text=reply.text)
    if entry is None:
        return None
    answered = (
        Message.objects.filter(
            conversation_id=reply.conversation_id,
            direction=Message.Direction.IN,
            created_at__lte=reply.created_at,
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    return phrasing_propose(entry=entry, message=answered) if answered is not None else None


def _decide(*, workspace: Workspace, phrasing_id: int, user: User, status: str) -> LearnedPhrasing:
    phrasing = LearnedPhrasing.objects.filter(workspace=workspace, pk=phrasing_id).first()
    if phrasing is None:
        raise PhrasingError(_("This phrasing does not exist any more."))
    if phrasing.status != S.PENDING:
        raise PhrasingError(_("This phrasing was already decided."))
    phrasing.status, phrasing.decided_by, phrasing.decided_at = status, user, timezone.now()
    phrasing.save(update_fields=["status", "decided_by", "decided_at"])
    return phrasing


def phrasing_accept(*, workspace: Workspace, phrasing_id: int, user: User) -> LearnedPhrasing:
    """Accept a candidate: from now on the index matches it to its entry."""
    return _decide(workspace=workspace, phrasing_id=phrasing_id, user=user, status=S.ACCEPTED)


def phrasing_dismiss(*, workspace: Workspace, phrasing_id: int, user: User) -> LearnedPhrasing:
    """Dismiss a candidate: it is not proposed again."""
    return _decide(workspace=workspace, phrasing_id=phrasing_id, user=user, status=S.DISMISSED)

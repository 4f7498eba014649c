"""Reads of the assistant: triage badges, FAQ entries and their index, acceptance stats."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Membership, Workspace
from assistant import engine
from assistant.models import (
    AssistantPolicy,
    FaqEntry,
    LearnedPhrasing,
    MessageTriage,
    Suggestion,
    TriageCorrection,
)
from inbox.models import Conversation, Message
from inbox.selectors import SPAM_BADGE


def triage_for_messages(ids: Iterable[int]) -> dict[int, MessageTriage]:
    """Triage of the given messages by message id, in one query (inbox badges)."""
    ids = list(ids)
    if not ids:
        return {}
    return {t.message_id: t for t in MessageTriage.objects.filter(message_id__in=ids)}


def get_triage_for_member(member: Membership, message_id: int) -> MessageTriage:
    """The triage of one inbound message of the member's workspace, by message id; 404 otherwise."""
    return get_object_or_404(
        MessageTriage.objects.select_related("message__conversation"),
        message_id=message_id,
        message__workspace_id=member.workspace_id,
        message__direction=Message.Direction.IN,
    )


def latest_correction(triage: MessageTriage) -> TriageCorrection | None:
    return triage.corrections.select_related("corrected_by").order_by("-corrected_at", "-pk").first()


def get_faq_entry_for_member(member: Membership, pk: int) -> FaqEntry:
    return get_object_or_404(FaqEntry, pk=pk, workspace_id=member.workspace_id)


def faq_entries(workspace: Workspace):
    return FaqEntry.objects.for_workspace(workspace).order_by("group", "language", "pk")


# --- The FAQ index, built once per FAQ version -----------------------------------------------------------

_index_lock = threading.Lock()
# workspace id -> (version, index, entries by id), least recently used first. A version is (max updated_at,
# row count, the workspace vocabulary, the accepted learned phrasings): deleting a row changes the count even
# when it was not the newest.
_index_cache: OrderedDict[int, tuple[tuple, engine.FaqIndex, dict[int, FaqEntry]]] = OrderedDict()
#: Workspaces whose FAQ index a process keeps. An agency's worker sees every client's workspace; without a
#: bound, its memory would grow with each one. A workspace pushed out is rebuilt on its next message (a few
#: milliseconds for a FAQ of a few hundred entries).
FAQ_INDEX_CACHE_SIZE = 64


def faq_index_for(workspace_id: int) -> tuple[engine.FaqIndex, dict[int, FaqEntry]]:
    stats = FaqEntry.objects.filter(workspace_id=workspace_id).aggregate(
        newest=Max("updated_at"), count=Count("pk")
    )
    vocabulary = (
        AssistantPolicy.objects.filter(workspace_id=workspace_id).values_list("synonyms", flat=True).first()
        or ""
    )
    learned_rows = list(
        LearnedPhrasing.objects.filter(workspace_id=workspace_id, status=LearnedPhrasing.Status.ACCEPTED)
        .order_by("pk")
        .values_list("pk", "faq_entry_id", "text")
    )
    version = (stats["newest"], stats["count"], vocabulary, tuple(pk for pk, _, _ in learned_rows))
    with _index_lock:
        cached = _index_cache.get(workspace_id)
        if cached is not None and cached[0] == version:
            _index_cache.move_to_end(workspace_id)
            return cached[1], cached[2]
    rows = {e.pk: e for e in FaqEntry.objects.filter(workspace_id=workspace_id, active=True)}
    learned: dict[int, list[str]] = {}
    for _, entry_id, text in learned_rows:
        learned.setdefault(entry_id, []).append(text)
    index = engine.FaqIndex(
        (
            engine.FaqEntry(
                id=str(e.pk),
                questions=list(e.questions),
                answer=e.answer,
                language=e.language,
                tags=list(e.tags),
                active=e.active,
                group=e.group,
                learned=learned.get(e.pk, []),
            )
            for e in rows.values()
        ),
        synonyms=engine.parse_synonyms(vocabulary) if vocabulary.strip() else None,
    )
    with _index_lock:
        _index_cache[workspace_id] = (version, index, rows)
        _index_cache.move_to_end(workspace_id)
        while len(_index_cache) > FAQ_INDEX_CACHE_SIZE:
            _index_cache.popitem(last=False)
    return index, rows


# --- Acceptance stats ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaqAcceptance:
    entry: FaqEntry
    offered: int
    sent_as_is: int
    edited: int
    ignored: int

    @property
    def decided(self) -> int:
        return self.sent_as_is + self.edited + self.ignored

    @property
    def acceptance_rate(self) -> float | None:
        """Share of decided suggestions that went out (as is or edited); None before any decision."""
        return (self.sent_as_is + self.edited) / self.decided if self.decided else None


def faq_acceptance(workspace: Workspace) -> list[FaqAcceptance]:
    """Per FAQ entry: how often it was offered and what people did with it (one query)."""
    F = Suggestion.Fate
    rows = faq_entries(workspace).annotate(
        offered=Count("suggestions"),
        n_as_is=Count("suggestions", filter=Q(suggestions__fate=F.SENT_AS_IS)),
        n_edited=Count("suggestions", filter=Q(suggestions__fate=F.EDITED)),
        n_ignored=Count("suggestions", filter=Q(suggestions__fate=F.IGNORED)),
    )
    return [FaqAcceptance(e, e.offered, e.n_as_is, e.n_edited, e.n_ignored) for e in rows]


# --- Triage accuracy: what people corrected -------------------------------------------------------------

ACCURACY_WINDOW = dt.timedelta(days=30)


@dataclass(frozen=True)
class FieldAccuracy:
    field: str  # a TriageCorrection.Field value
    label: str
    triaged: int
    corrected: int  # triages whose final value differs from the engine's
    top_correction: tuple[str, str, int] | None  # (engine said, person said, how often)

    @property
    def agreement_rate(self) -> float | None:
        return 1 - self.corrected / self.triaged if self.triaged else None


def triage_accuracy(workspace: Workspace, *, now: dt.datetime | None = None) -> list[FieldAccuracy]:
    """Per triage field, over the messages triaged in the last 30 days: how many, how many a person
    corrected, and the most common correction. Two queries, whatever the number of fields or messages.

    A field corrected twice counts once, from the engine's value (the first correction's "was") to the
    person's last word; corrected back to the engine's value, it counts as agreement."""
    since = (now or timezone.now()) - ACCURACY_WINDOW
    recent = MessageTriage.objects.filter(message__workspace_id=workspace.pk, created_at__gte=since)
    triaged = recent.count()
    rows = (
        TriageCorrection.objects.filter(triage__in=recent)
        .order_by("corrected_at", "pk")
        .values_list("triage_id", "field", "old_value", "new_value")
    )
    first_last: dict[tuple[int, str], list[str]] = {}
    for triage_id, field, old, new in rows:
        key = (triage_id, field)
        if key in first_last:
            first_last[key][1] = new
        else:
            first_last[key] = [old, new]
    changes: dict[str, Counter] = {}
    for (_triage_id, field), (engine_said, person_said) in first_last.items():
        if engine_said != person_said:
            changes.setdefault(field, Counter())[(engine_said, person_said)] += 1
    result = []
    for field, label in TriageCorrection.Field.choices:
        counter = changes.get(field, Counter())
        top = counter.most_common(1)
        result.append(
            FieldAccuracy(
                field=field,
                label=str(label),
                triaged=triaged,
                corrected=sum(counter.values()),
                top_correction=(top[0][0][0], top[0][0][1], top[0][1]) if top else None,
            )
        )
    return result


@dataclass(frozen=True)
class LabelAccuracy:
    field: str  # a TriageCorrection.Field value
    value: str  # the engine's label, as a correction stores it ("question", "negative", "yes"...)
    triaged: int  # recent messages the engine gave this label
    corrected: int  # of those, how many a person changed (and did not put back)
    corrected_to: tuple[tuple[str, int], ...]  # the people's labels instead, most common first

    @property
    def corrected_rate(self) -> float | None:
        return self.corrected / self.triaged if self.triaged else None


def engine_value(field: str, row: Mapping[str, Any]) -> str:
    """One triage field of a ``MessageTriage`` row (``values()``) as a correction stores it."""
    if field == TriageCorrection.Field.SENTIMENT:
        return engine.sentiment_label(row["sentiment"])
    if field == TriageCorrection.Field.SPAM:
        return "yes" if row["spam_score"] >= SPAM_BADGE else "no"
    return str(row[field])


def _engine_and_final_labels(
    workspace: Workspace, since: dt.datetime
) -> dict[int, dict[str, tuple[str, str]]]:
    """Per recent triage, per field: (the engine's label, the final label). A corrected field's engine
    label is its first correction's "was" (the row holds the person's value now). Two queries."""
    recent = MessageTriage.objects.filter(message__workspace_id=workspace.pk, created_at__gte=since)
    rows = {
        row["pk"]: row
        for row in recent.values("pk", "language", "sentiment", "intent", "priority", "spam_score")
    }
    first_was: dict[tuple[int, str], str] = {}
    for triage_id, field, old in (
        TriageCorrection.objects.filter(triage__in=recent)
        .order_by("corrected_at", "pk")
        .values_list("triage_id", "field", "old_value")
    ):
        first_was.setdefault((triage_id, field), old)
    labels: dict[int, dict[str, tuple[str, str]]] = {}
    for pk, row in rows.items():
        labels[pk] = {}
        for field in TriageCorrection.Field.values:
            final = engine_value(field, row)
            labels[pk][field] = (first_was.get((pk, field), final), final)
    return labels


def triage_label_accuracy(workspace: Workspace, *, now: dt.datetime | None = None) -> list[LabelAccuracy]:
    """Per triage field and per label the engine gave, over the messages triaged in the last 30 days: how
    many got it, what share a person corrected and to what. "The engine says *complaint* too often" shows
    here as a high share on that label. Sorted by field (in ``Field`` order), then by most used label."""
    since = (now or timezone.now()) - ACCURACY_WINDOW
    counts: dict[tuple[str, str], list] = {}
    for fields in _engine_and_final_labels(workspace, since).values():
        for field, (engine_said, final) in fields.items():
            bucket = counts.setdefault((field, engine_said), [0, Counter()])
            bucket[0] += 1
            if final != engine_said:
                bucket[1][final] += 1
    order = {field: i for i, field in enumerate(TriageCorrection.Field.values)}
    result = [
        LabelAccuracy(
            field=field,
            value=value,
            triaged=triaged,
            corrected=sum(changed.values()),
            corrected_to=tuple(changed.most_common()),
        )
        for (field, value), (triaged, changed) in counts.items()
    ]
    return sorted(result, key=lambda r: (order[r.field], -r.triaged, r.value))


def corrected_triage_labels(workspace: Workspace) -> list[tuple[Message, dict[str, str]]]:
    """Every inbound message of the workspace that a person corrected at least once, oldest first, with
    its final labels per field (the person's where they corrected, the engine's where they let it
    stand): the workspace's own labelled examples."""
    corrected = MessageTriage.objects.filter(
        message__workspace_id=workspace.pk, corrections__isnull=False
    ).distinct()
    rows = corrected.values("pk", "message_id", "language", "sentiment", "intent", "priority", "spam_score")
    messages = Message.objects.in_bulk([row["message_id"] for row in rows])
    result = []
    for row in sorted(rows, key=lambda r: r["message_id"]):
        labels = {field: engine_value(field, row) for field in TriageCorrection.Field.values}
        result.append((messages[row["message_id"]], labels))
    return result


def latest_inbound(conversation: Conversation) -> Message | None:
    """The message the team answers next: the conversation's newest inbound one."""
    return (
        Message.objects.filter(conversation=conversation, direction=Message.Direction.IN)
        .order_by("-created_at", "-pk")
        .first()
    )


# --- Auto-send calibration in this workspace -----------------------------------------------------------


def faq_first_answers_at(workspace_id: int, threshold: float) -> tuple[int, int]:
    """(right, decided): the workspace's own first FAQ suggestions at or above ``threshold`` that a person
    decided, and how many of them went out (as is or edited) rather than being passed over."""
    decided = Suggestion.objects.filter(
        message__workspace_id=workspace_id,
        kind=Suggestion.Kind.FAQ,
        rank=1,
        confidence__gte=threshold,
    ).exclude(fate=Suggestion.Fate.PENDING)
    counts = decided.aggregate(
        total=Count("pk"),
        right=Count("pk", filter=Q(fate__in=[Suggestion.Fate.SENT_AS_IS, Suggestion.Fate.EDITED])),
    )
    return counts["right"], counts["total"]


# --- Learned phrasings -----------------------------------------------------------------------------------


def learned_phrasings_pending(workspace: Workspace, limit: int = 50) -> list[LearnedPhrasing]:
    """Candidates waiting for a manager, newest first, with their entry."""
    return list(
        LearnedPhrasing.objects.filter(workspace=workspace, status=LearnedPhrasing.Status.PENDING)
        .select_related("faq_entry")
        .order_by("-created_at", "-pk")[:limit]
    )


def learned_phrasing_counts(workspace: Workspace) -> dict[int, int]:
    """Accepted learned phrasings per FAQ entry id."""
    rows = (
        LearnedPhrasing.objects.filter(workspace=workspace, status=LearnedPhrasing.Status.ACCEPTED)
        .values("faq_entry_id")
        .annotate(n=Count("pk"))
    )
    return {r["faq_entry_id"]: r["n"] for r in rows}

"""Reads of the assistant: triage badges, FAQ entries and their index, acceptance stats."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404

from accounts.models import Membership, Workspace
from assistant import engine
from assistant.models import FaqEntry, MessageTriage, Suggestion


def triage_for_messages(ids: Iterable[int]) -> dict[int, MessageTriage]:
    """Triage of the given messages by message id, in one query (inbox badges)."""
    ids = list(ids)
    if not ids:
        return {}
    return {t.message_id: t for t in MessageTriage.objects.filter(message_id__in=ids)}


def get_faq_entry_for_member(member: Membership, pk: int) -> FaqEntry:
    return get_object_or_404(FaqEntry, pk=pk, workspace_id=member.workspace_id)


def faq_entries(workspace: Workspace):
    return FaqEntry.objects.for_workspace(workspace).order_by("group", "language", "pk")


# --- The FAQ index, built once per FAQ version -----------------------------------------------------------

_index_lock = threading.Lock()
# workspace id -> (version, index, entries by id). A version is (max updated_at, row count): deleting a row
# changes the count even when it was not the newest.
_index_cache: dict[int, tuple[tuple, engine.FaqIndex, dict[int, FaqEntry]]] = {}


def faq_index_for(workspace_id: int) -> tuple[engine.FaqIndex, dict[int, FaqEntry]]:
    stats = FaqEntry.objects.filter(workspace_id=workspace_id).aggregate(
        newest=Max("updated_at"), count=Count("pk")
    )
    version = (stats["newest"], stats["count"])
    cached = _index_cache.get(workspace_id)
    if cached is not None and cached[0] == version:
        return cached[1], cached[2]
    rows = {e.pk: e for e in FaqEntry.objects.filter(workspace_id=workspace_id, active=True)}
    index = engine.FaqIndex(
        engine.FaqEntry(
            id=str(e.pk),
            questions=list(e.questions),
            answer=e.answer,
            language=e.language,
            tags=list(e.tags),
            active=e.active,
            group=e.group,
        )
        for e in rows.values()
    )
    with _index_lock:
        _index_cache[workspace_id] = (version, index, rows)
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

"""FAQ upkeep: creating, editing and retiring entries."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership
from assistant.models import FaqEntry

from .common import AssistantError, _require


def _clean_questions(questions: list[str]) -> list[str]:
    return [q.strip() for q in questions if q and q.strip()]


def _save_entry(entry: FaqEntry) -> FaqEntry:
    entry.updated_at = timezone.now()
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        raise AssistantError(_("This group already has an answer in this language.")) from exc
    return entry


def faq_entry_create(
    *,
    by: Membership,
    group: str,
    language: str,
    questions: list[str],
    answer: str,
    url: str = "",
    tags: list[str] | None = None,
    active: bool = True,
) -> FaqEntry:
    _require(by)
    entry = FaqEntry(
        workspace_id=by.workspace_id,
        group=group,
        language=language,
        questions=_clean_questions(questions),
        answer=answer.strip(),
        url=url,
        tags=tags or [],
        active=active,
    )
    return _save_entry(entry)


def faq_entry_update(
    *,
    entry: FaqEntry,
    by: Membership,
    group: str,
    language: str,
    questions: list[str],
    answer: str,
    url: str = "",
    tags: list[str] | None = None,
    active: bool = True,
) -> FaqEntry:
    _require(by)
    if entry.workspace_id != by.workspace_id:
        raise AssistantError(_("This belongs to another workspace."))
    entry.group, entry.language, entry.answer, entry.url = group, language, answer.strip(), url
    entry.questions, entry.tags, entry.active = _clean_questions(questions), tags or [], active
    return _save_entry(entry)


def faq_entry_deactivate(*, entry: FaqEntry, by: Membership) -> FaqEntry:
    """Kept, not deleted: its suggestion history still counts in the stats."""
    _require(by)
    if entry.workspace_id != by.workspace_id:
        raise AssistantError(_("This belongs to another workspace."))
    entry.active = False
    entry.updated_at = timezone.now()
    entry.save(update_fields=["active", "updated_at"])
    return entry

"""FAQ upkeep: creating, editing and retiring entries, and the workspace vocabulary they are matched with."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import AuditAction, audit_record
from accounts.models import Membership, Workspace
from assistant.models import AssistantPolicy, FaqEntry

from .common import AssistantError, _require


def _clean_questions(questions: list[str]) -> list[str]:
    return [q.strip() for q in questions if q and q.strip()]


def _save_entry(entry: FaqEntry) -> FaqEntry:
    """The one door every entry goes through (settings page, CSV import, API): what the form checks, the
    service checks too, so no caller can store an entry the assistant or the page cannot use."""
    if not entry.questions:
        raise AssistantError(_("Give at least one question."))
    if not entry.answer:
        raise AssistantError(_("Give the answer."))
    if entry.url:
        try:
            URLValidator(schemes=["http", "https"])(entry.url)
        except ValidationError as exc:
            raise AssistantError(_("The help page must be an http(s) address.")) from exc
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


MAX_VOCABULARY_CONCEPTS = 300
MAX_VOCABULARY_CHARS = 20000  # as the form and the model field say
_CONCEPT_RE = re.compile(r"^[\w-]{1,40}$")


def vocabulary_check(text: str) -> dict[str, list[str]]:
    """The concepts of a vocabulary ("concept: word, phrase" lines, "#" comments), or a refusal that says
    which line is wrong."""
    if len(text) > MAX_VOCABULARY_CHARS:
        raise AssistantError(
            _("At most %(max)s characters, please: merge the concepts that mean the same.")
            % {"max": MAX_VOCABULARY_CHARS}
        )
    concepts: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        concept, colon, items = line.partition(":")
        words = [w.strip() for w in items.split(",") if w.strip()]
        if not colon or not _CONCEPT_RE.match(concept.strip()) or not words:
            raise AssistantError(
                _("Line %(number)s: write it as “concept: word, other word, phrase”.") % {"number": number}
            )
        concepts.setdefault(concept.strip(), []).extend(words)
    if len(concepts) > MAX_VOCABULARY_CONCEPTS:
        raise AssistantError(
            _("At most %(max)s concepts, please: merge the ones that mean the same.")
            % {"max": MAX_VOCABULARY_CONCEPTS}
        )
    return concepts


@transaction.atomic
def vocabulary_update(*, workspace: Workspace, by: Membership, text: str) -> AssistantPolicy:
    """Managers give the words of their trade that mean the same thing; the FAQ index uses them at once."""
    _require(by)
    if workspace.pk != by.workspace_id:
        raise AssistantError(_("This belongs to another workspace."))
    vocabulary_check(text)
    policy, _created = AssistantPolicy.objects.get_or_create(workspace=workspace)
    before = {"synonyms": policy.synonyms}
    policy.synonyms = text.strip()
    policy.save(update_fields=["synonyms"])
    audit_record(
        workspace=workspace,
        action=AuditAction.ASSISTANT_SETTINGS_CHANGED,
        target=policy,
        actor=by,
        before=before,
        after={"synonyms": policy.synonyms},
    )
    return policy

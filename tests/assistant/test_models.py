"""Assistant models: the constraints that keep the data honest."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from assistant.models import FaqEntry, MessageTriage, Suggestion, TriageCorrection
from inbox.ingest import message_ingest_batch
from tests.inbox.conftest import channel, make_item  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def message(channel, make_item):  # noqa: F811
    ids = message_ingest_batch(channel=channel, items=[make_item("Hello")]).new_message_ids
    from inbox.models import Message

    return Message.objects.get(pk=ids[0])


def _triage(message, **kwargs) -> MessageTriage:
    data = {
        "language": "en",
        "sentiment": 0.0,
        "intent": "other",
        "priority": 1,
        "spam_score": 0.0,
        "engine_version": "t",
    }
    return MessageTriage.objects.create(message=message, **{**data, **kwargs})


def test_one_translation_per_group_and_language(workspace):
    FaqEntry.objects.create(workspace=workspace, group="hours", language="fr", questions=["?"], answer="a")
    FaqEntry.objects.create(workspace=workspace, group="hours", language="en", questions=["?"], answer="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        FaqEntry.objects.create(
            workspace=workspace, group="hours", language="fr", questions=["?"], answer="b"
        )


def test_one_triage_per_message(message):
    _triage(message)
    with pytest.raises(IntegrityError), transaction.atomic():
        _triage(message, intent="question")


def test_suggestion_has_one_source(message, workspace):
    entry = FaqEntry.objects.create(
        workspace=workspace, group="g", language="en", questions=["?"], answer="a"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.create(
            message=message,
            kind="saved_reply",
            faq_entry=entry,
            saved_reply_id=1,
            text="x",
            rank=1,
            confidence=1,
        )
    ok = Suggestion.objects.create(
        message=message, kind="faq", faq_entry=entry, text="a", rank=1, confidence=0.5
    )
    assert ok.fate == Suggestion.Fate.PENDING and str(ok)


def test_corrections_are_kept_per_triage(message, agent):
    triage = _triage(message)
    TriageCorrection.objects.create(
        triage=triage, field="intent", old_value="other", new_value="question", corrected_by=agent
    )
    assert [str(c) for c in triage.corrections.all()] == ["intent: other -> question"]

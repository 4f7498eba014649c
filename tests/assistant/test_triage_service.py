"""Triage of new inbound messages: after ingestion, once per message, on the `assistant` queue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from assistant import services as assistant_services
from assistant import tasks
from assistant.models import AssistantPolicy, MessageTriage
from assistant.selectors import triage_for_messages
from cmhub.celery import app as celery_app
from inbox.ingest import message_ingest_batch
from inbox.models import Conversation, Message
from networks.models import Channel
from networks.signals import items_fetched
from tests.inbox.conftest import channel, make_item  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.django_db

SPAM = "Gagnez un iPhone gratuit !!! Cliquez ici http://bit.ly/xyz http://bit.ly/abc promo crypto"


@pytest.fixture
def eager_celery():
    """Run enqueued tasks in-process (the real task, no broker)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def _ingest(channel, *items) -> list[int]:  # noqa: F811
    return message_ingest_batch(channel=channel, items=list(items)).new_message_ids


def test_triage_is_stored_once_even_if_the_task_runs_twice(channel, make_item):  # noqa: F811
    ids = _ingest(channel, make_item("Bonjour, à quelle heure ouvrez-vous dimanche ?"))
    assert tasks.triage_messages(ids) == 1
    assert tasks.triage_messages(ids) == 0  # a redelivered task finds the work done
    assert MessageTriage.objects.filter(message_id__in=ids).count() == 1
    triage = MessageTriage.objects.get(message_id=ids[0])
    assert (triage.language, triage.intent) == ("fr", "question")
    assert triage.engine_version


def test_outbound_messages_are_not_triaged(channel, make_item):  # noqa: F811
    ours = make_item("Merci pour votre message !", author=channel.external_id)
    ids = _ingest(channel, ours)
    assert tasks.triage_messages(ids) == 0


def test_a_task_for_deleted_messages_returns_quietly(channel, make_item):  # noqa: F811
    ids = _ingest(channel, make_item("Hello?"))
    Message.objects.filter(pk__in=ids).delete()
    assert tasks.triage_messages(ids) == 0


def test_receiver_enqueues_triage_after_the_poll_commits(
    channel,  # noqa: F811
    make_item,  # noqa: F811
    eager_celery,
    django_capture_on_commit_callbacks,
):
    """The same path as a poll: networks sends items_fetched inside its transaction, inbox stores and, on
    commit, announces what it stored; the assistant enqueues its triage. Eager mode runs the real task."""
    item = make_item("Mon gâteau est arrivé écrasé, c'est inadmissible, je veux être remboursée !")
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        items_fetched.send(sender=Channel, channel=channel, items=[item], backfill=False)
        message = Message.objects.get(channel=channel, external_id=item.external_id)
        assert not MessageTriage.objects.filter(message=message).exists()  # nothing before commit
    with django_capture_on_commit_callbacks(execute=True):  # the commit: what it announces runs
        for callback in callbacks:
            callback()
    triage = MessageTriage.objects.get(message=message)
    assert triage.intent == "complaint"
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.priority == triage.priority >= Conversation.Priority.HIGH


def test_messages_whose_triage_was_never_enqueued_are_swept(
    channel,  # noqa: F811
    make_item,  # noqa: F811
    broker,
    django_capture_on_commit_callbacks,
):
    """A broker outage while the poll committed: nothing announced reached a worker. The sweeper finds
    inbound messages left untriaged past the grace period, and only those."""
    late, fresh, done = (
        _ingest(channel, make_item(text, external_id=key))[0]
        for text, key in [("Vous livrez ?", "late"), ("Et le dimanche ?", "fresh"), ("Merci !", "done")]
    )
    tasks.triage_messages([done])
    past = timezone.now() - assistant_services.TRIAGE_GRACE - dt.timedelta(seconds=1)
    Message.objects.filter(pk__in=[late, done]).update(ingested_at=past)
    Message.objects.filter(pk=fresh).update(ingested_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_untriaged.run() == 1
    assert broker.ids("assistant.triage_messages") == [[late]]
    tasks.triage_messages([late])
    assert tasks.sweep_untriaged.run() == 0


def test_priority_is_raised_never_lowered(channel, make_item):  # noqa: F811
    ids = _ingest(channel, make_item("Merci, les croissants étaient délicieux !"))
    conversation = Message.objects.get(pk=ids[0]).conversation
    conversation.priority = Conversation.Priority.URGENT  # a person's choice
    conversation.save(update_fields=["priority"])
    tasks.triage_messages(ids)
    conversation.refresh_from_db()
    assert conversation.priority == Conversation.Priority.URGENT


def test_spam_is_only_scored_unless_the_workspace_allows_moving_it(channel, make_item, workspace):  # noqa: F811
    first = _ingest(channel, make_item(SPAM, author="bot-1"))
    tasks.triage_messages(first)
    triage = MessageTriage.objects.get(message_id=first[0])
    assert triage.intent == "spam" and triage.spam_score >= 0.8
    assert Message.objects.get(pk=first[0]).conversation.status == Conversation.Status.OPEN

    AssistantPolicy.objects.create(workspace=workspace, mark_spam=True)
    second = _ingest(channel, make_item(SPAM, author="bot-2"))
    tasks.triage_messages(second)
    assert Message.objects.get(pk=second[0]).conversation.status == Conversation.Status.SPAM


def test_repeated_text_from_one_author_counts_as_spam_signal(channel, make_item):  # noqa: F811
    text = "Check my profile for amazing deals on followers"
    ids = _ingest(channel, *[make_item(text, author="repeater") for _ in range(3)])
    tasks.triage_messages(ids)
    last = MessageTriage.objects.get(message_id=max(ids))
    first = MessageTriage.objects.get(message_id=min(ids))
    assert last.spam_score > first.spam_score


def test_triage_badges_come_in_one_query(channel, make_item, django_assert_num_queries):  # noqa: F811
    ids = _ingest(channel, *[make_item(f"Question {n} : vous livrez à Villeurbanne ?") for n in range(5)])
    tasks.triage_messages(ids)
    with django_assert_num_queries(1):  # guards an N+1: one triage lookup per inbox row
        badges = triage_for_messages(ids)
    assert set(badges) == set(ids)
    assert triage_for_messages([]) == {}


def test_a_correction_is_recorded_and_a_priority_correction_applies(channel, make_item, agent):  # noqa: F811
    from assistant import services

    ids = _ingest(channel, make_item("Vous livrez à Caluire ?"))
    tasks.triage_messages(ids)
    triage = MessageTriage.objects.select_related("message").get(message_id=ids[0])
    member = agent.memberships.get()
    correction = services.triage_correct(triage=triage, field="priority", value="3", by=member)
    assert (correction.old_value, correction.new_value, correction.corrected_by) == (
        str(triage.priority),
        "3",
        agent,
    )
    assert Message.objects.get(pk=ids[0]).conversation.priority == 3
    with pytest.raises(services.AssistantError):
        services.triage_correct(triage=triage, field="mood", value="x", by=member)

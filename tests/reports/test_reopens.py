"""Reopen facts on hand-built timelines, and the batched change signal that keeps many facts in step."""

import datetime as dt

import pytest
import time_machine

from accounts.models import Membership
from assistant.autoreply import hand_back
from inbox.ingest import message_ingest_batch
from inbox.models import Conversation, Message
from inbox.services import conversation_set_status, conversations_bulk_set_status
from inbox.signals import conversation_changed, conversations_changed
from reports.models import ReportingEvent
from reports.services import conversations_facts_refresh, facts_rebuild
from tests.factories import MembershipFactory, WorkspaceFactory, x_channel, x_mention_item, x_mentions

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
R = ReportingEvent.Kind


def _facts(conversation, kind) -> list[ReportingEvent]:
    return list(ReportingEvent.objects.filter(conversation=conversation, kind=kind).order_by("at"))


def _setup(count: int = 1):
    workspace = WorkspaceFactory()
    manager = MembershipFactory(workspace=workspace, role=Membership.Role.MANAGER)
    channel = x_channel(workspace)
    conversations = x_mentions(channel, [(f"P{i}", MONDAY + dt.timedelta(minutes=i)) for i in range(count)])
    return workspace, manager, channel, conversations


def _customer_writes_again(conversation: Conversation, *, at: dt.datetime) -> None:
    item = x_mention_item(
        f"again-{at.timestamp()}", name="P0", at=at, author_id="a0", root=conversation.root_external_id
    )
    message_ingest_batch(channel=conversation.channel, items=[item])


def test_a_person_reopening_a_resolved_conversation_records_who_and_when() -> None:
    workspace, manager, _channel, [conversation] = _setup()
    with time_machine.travel(MONDAY + dt.timedelta(hours=1), tick=False):
        conversation_set_status(conversation=conversation, status="resolved", by=manager)
    with time_machine.travel(MONDAY + dt.timedelta(hours=5), tick=False):
        conversation_set_status(conversation=conversation, status="open", by=manager)
    [reopen] = _facts(conversation, R.REOPENED)
    assert reopen.user_id == manager.user_id and reopen.at == MONDAY + dt.timedelta(hours=5)
    assert (reopen.workspace, reopen.channel_id, reopen.network) == (workspace, conversation.channel_id, "x")
    # A new conversation is created once: the reopen is not a second one.
    assert len(_facts(conversation, R.CONVERSATION_CREATED)) == 1
    assert _facts(conversation, R.RESOLVED) == []  # open again: its resolution no longer stands


def test_setting_a_pending_conversation_open_is_no_reopen() -> None:
    _workspace, manager, _channel, [conversation] = _setup()
    conversation_set_status(conversation=conversation, status="pending", by=manager)
    conversation_set_status(conversation=conversation, status="open", by=manager)
    conversation_set_status(conversation=conversation, status="spam", by=manager)
    conversation_set_status(conversation=conversation, status="open", by=manager)
    assert _facts(conversation, R.REOPENED) == []


@pytest.mark.parametrize("waiting", ["resolved", "pending"])
def test_the_customer_writing_again_reopens_with_no_person(waiting) -> None:
    _workspace, manager, _channel, [conversation] = _setup()
    conversation_set_status(conversation=conversation, status=waiting, by=manager)
    _customer_writes_again(conversation, at=MONDAY + dt.timedelta(days=1))
    conversation.refresh_from_db()
    assert conversation.status == "open"
    [reopen] = _facts(conversation, R.REOPENED)
    assert reopen.user_id is None and reopen.at == MONDAY + dt.timedelta(days=1)
    assert len(_facts(conversation, R.CONVERSATION_CREATED)) == 1
    _customer_writes_again(conversation, at=MONDAY + dt.timedelta(days=2))  # open already: nothing reopens
    assert len(_facts(conversation, R.REOPENED)) == 1


def test_the_assistant_handing_a_thread_back_reopens_it_when_the_poll_did_not() -> None:
    _workspace, manager, channel, [conversation] = _setup()
    Message.objects.create(
        workspace=conversation.workspace,
        conversation=conversation,
        channel=channel,
        direction=Message.Direction.OUT,
        text="We open at 9.",
        created_at=MONDAY + dt.timedelta(minutes=5),
        send_status=Message.SendStatus.SENT,
        raw={"auto_sent": True},
    )
    conversation_set_status(conversation=conversation, status="resolved", by=manager)
    answer = Message.objects.create(
        workspace=conversation.workspace,
        conversation=conversation,
        channel=channel,
        direction=Message.Direction.IN,
        text="And on Sunday?",
        created_at=MONDAY + dt.timedelta(hours=2),
    )
    assert hand_back([answer]) == [conversation.pk]
    [reopen] = _facts(conversation, R.REOPENED)
    assert reopen.user_id is None and reopen.at == answer.created_at
    assert hand_back([answer]) == [conversation.pk]  # handed back again while open: no second reopen
    assert len(_facts(conversation, R.REOPENED)) == 1


def test_a_rebuild_keeps_the_recorded_reopens_and_counts_each_conversation_created_once() -> None:
    workspace, manager, _channel, [conversation] = _setup()
    for hours, status in [(1, "resolved"), (2, "open")]:
        with time_machine.travel(MONDAY + dt.timedelta(hours=hours), tick=False):
            conversation_set_status(conversation=conversation, status=status, by=manager)
    _customer_writes_again(conversation, at=MONDAY + dt.timedelta(days=1))  # open already
    with time_machine.travel(MONDAY + dt.timedelta(days=1, hours=1), tick=False):
        conversation_set_status(conversation=conversation, status="resolved", by=manager)
    _customer_writes_again(conversation, at=MONDAY + dt.timedelta(days=2))
    before = [(f.kind, f.at, f.user_id) for f in _facts(conversation, R.REOPENED)]
    assert [user for _kind, _at, user in before] == [manager.user_id, None]
    facts_rebuild(workspace=workspace)
    facts_rebuild(workspace=workspace)
    conversations_facts_refresh(conversation_ids=[conversation.pk])
    assert [(f.kind, f.at, f.user_id) for f in _facts(conversation, R.REOPENED)] == before
    assert len(_facts(conversation, R.CONVERSATION_CREATED)) == 1


def test_reopening_many_at_once_records_each_with_who_did_it() -> None:
    _workspace, manager, _channel, conversations = _setup(3)
    ids = [c.pk for c in conversations]
    conversations_bulk_set_status(ids=ids[:2], status="resolved", by=manager)
    conversations_bulk_set_status(ids=ids, status="open", by=manager)  # the third was open already
    reopened = ReportingEvent.objects.filter(conversation_id__in=ids, kind=R.REOPENED)
    expected = [(pk, manager.user_id) for pk in ids[:2]]
    assert sorted(reopened.values_list("conversation_id", "user_id")) == expected


def test_a_bulk_change_is_announced_once_with_every_id() -> None:
    _workspace, manager, _channel, conversations = _setup(4)
    ids = [c.pk for c in conversations]
    batched, single = [], []

    def on_many(sender, *, conversation_ids, **kwargs):
        batched.append(sorted(conversation_ids))

    def on_one(sender, *, conversation, **kwargs):
        single.append(conversation.pk)

    conversations_changed.connect(on_many, dispatch_uid="test_many")
    conversation_changed.connect(on_one, dispatch_uid="test_one")
    try:
        conversations_bulk_set_status(ids=ids, status="resolved", by=manager)
    finally:
        conversations_changed.disconnect(dispatch_uid="test_many")
        conversation_changed.disconnect(dispatch_uid="test_one")
    assert batched == [ids] and single == []
    assert ReportingEvent.objects.filter(conversation_id__in=ids, kind=R.RESOLVED).count() == 4


def _bulk_queries(count: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _workspace, manager, _channel, conversations = _setup(count)
    ids = [c.pk for c in conversations]
    conversations_bulk_set_status(ids=ids, status="resolved", by=manager)
    with CaptureQueriesContext(connection) as captured:
        conversations_bulk_set_status(ids=ids, status="open", by=manager)
    assert ReportingEvent.objects.filter(conversation_id__in=ids, kind=R.REOPENED).count() == count
    return len(captured.captured_queries)


def test_fifty_conversations_cost_the_facts_the_same_queries_as_five(django_assert_num_queries) -> None:
    # Guards the per-conversation refresh the bulk change used to run (a delete, a read of the messages
    # and an insert for each): the whole change, facts included, is a fixed number of queries.
    five = _bulk_queries(5)
    _workspace, manager, _channel, conversations = _setup(50)
    ids = [c.pk for c in conversations]
    conversations_bulk_set_status(ids=ids, status="resolved", by=manager)
    with django_assert_num_queries(five):
        conversations_bulk_set_status(ids=ids, status="open", by=manager)
    assert ReportingEvent.objects.filter(conversation_id__in=ids, kind=R.REOPENED).count() == 50

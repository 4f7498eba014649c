"""The facts the reports aggregate, rebuilt from hand-built timelines."""

import datetime as dt

import pytest
from django.core.management import call_command

from inbox.models import InboxPolicy, Message
from reports.models import ReportingEvent
from reports.services import facts_rebuild
from tests.factories import UserFactory, WorkspaceFactory, x_mention_conversation

pytestmark = pytest.mark.django_db

SATURDAY = dt.datetime(2026, 11, 21, 15, 0, tzinfo=dt.UTC)  # 16:00 in Paris
MONDAY_10_PARIS = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _reply(conversation, *, at, user=None) -> Message:
    return Message.objects.create(
        workspace=conversation.workspace,
        conversation=conversation,
        channel=conversation.channel,
        direction=Message.Direction.OUT,
        author_user=user,
        text="Hello",
        created_at=at,
        send_status=Message.SendStatus.SENT,
    )


def _workspace_with_hours():
    workspace = WorkspaceFactory(timezone="Europe/Paris")
    InboxPolicy.objects.update_or_create(
        workspace=workspace,
        defaults={
            "business_hours": {str(d): ["09:00", "18:00"] for d in range(5)},
            "first_response_minutes": 120,
        },
    )
    return workspace


def test_first_response_across_a_weekend_counts_business_hours_only() -> None:
    workspace = _workspace_with_hours()
    conversation = x_mention_conversation(workspace, at=SATURDAY)
    agent = UserFactory()
    _reply(conversation, at=MONDAY_10_PARIS, user=agent)
    facts_rebuild(workspace=workspace)
    first = ReportingEvent.objects.get(kind=ReportingEvent.Kind.FIRST_RESPONSE)
    assert first.value_seconds == int((MONDAY_10_PARIS - SATURDAY).total_seconds())
    assert first.business_value_seconds == 3600  # Monday 09:00-10:00 Paris
    assert first.sla_met is True
    assert first.user == agent


def test_an_auto_reply_does_not_stop_the_clock() -> None:
    workspace = _workspace_with_hours()
    conversation = x_mention_conversation(workspace, at=SATURDAY)
    _reply(conversation, at=SATURDAY + dt.timedelta(minutes=1))  # the assistant: no author
    agent = UserFactory()
    _reply(conversation, at=MONDAY_10_PARIS + dt.timedelta(hours=3), user=agent)
    facts_rebuild(workspace=workspace)
    first = ReportingEvent.objects.get(kind=ReportingEvent.Kind.FIRST_RESPONSE)
    assert first.at == MONDAY_10_PARIS + dt.timedelta(hours=3)
    assert first.business_value_seconds == 4 * 3600
    assert first.sla_met is False
    assert ReportingEvent.objects.filter(kind=ReportingEvent.Kind.REPLY).count() == 1


def test_backfill_is_idempotent_and_scoped_to_its_workspace() -> None:
    workspace = _workspace_with_hours()
    other = WorkspaceFactory()
    x_mention_conversation(workspace, at=SATURDAY)
    conversation = x_mention_conversation(other, at=SATURDAY)
    conversation.resolved_at = SATURDAY + dt.timedelta(hours=5)
    conversation.save()
    call_command("reports_backfill", workspace=other.slug)
    call_command("reports_backfill", workspace=other.slug)
    kinds = sorted(ReportingEvent.objects.filter(workspace=other).values_list("kind", flat=True))
    assert kinds == ["conversation_created", "resolved"]
    assert ReportingEvent.objects.get(kind="resolved").value_seconds == 5 * 3600
    assert not ReportingEvent.objects.filter(workspace=workspace).exists()


def test_conversation_changed_rewrites_that_conversations_facts() -> None:
    from inbox.models import Conversation
    from inbox.signals import conversation_changed

    workspace = _workspace_with_hours()
    conversation = x_mention_conversation(workspace, at=SATURDAY)
    facts_rebuild(workspace=workspace)
    _reply(conversation, at=MONDAY_10_PARIS, user=UserFactory())
    conversation_changed.send(sender=Conversation, conversation=conversation)
    assert ReportingEvent.objects.filter(conversation=conversation, kind="first_response").count() == 1
    assert ReportingEvent.objects.filter(conversation=conversation).count() == 3  # created, first, reply


def test_resolving_a_conversation_records_its_resolution() -> None:
    from accounts.models import Membership
    from inbox.services import conversation_set_status
    from tests.factories import MembershipFactory

    workspace = _workspace_with_hours()
    manager = MembershipFactory(workspace=workspace, role=Membership.Role.MANAGER)
    conversation = x_mention_conversation(workspace, at=SATURDAY)
    conversation_set_status(conversation=conversation, status="resolved", by=manager)
    assert ReportingEvent.objects.filter(conversation=conversation, kind="resolved").count() == 1
    conversation_set_status(conversation=conversation, status="open", by=manager)
    assert not ReportingEvent.objects.filter(conversation=conversation, kind="resolved").exists()


def test_resolving_many_at_once_records_each_resolution_as_one_would() -> None:
    from accounts.models import Membership
    from inbox.services import conversations_bulk_set_status
    from tests.factories import MembershipFactory

    workspaces = [_workspace_with_hours() for _ in range(3)]
    conversations = [x_mention_conversation(workspace, at=SATURDAY) for workspace in workspaces]
    ids = [c.pk for c in conversations]
    manager = MembershipFactory(workspace=workspaces[0], role=Membership.Role.MANAGER)
    # One workspace's manager moves only that workspace's conversations.
    assert conversations_bulk_set_status(ids=ids, status="resolved", by=manager).changed == 1
    for workspace in workspaces[1:]:
        conversations_bulk_set_status(
            ids=ids,
            status="resolved",
            by=MembershipFactory(workspace=workspace, role=Membership.Role.MANAGER),
        )
    assert ReportingEvent.objects.filter(conversation_id__in=ids, kind="resolved").count() == 3
    conversations_bulk_set_status(ids=ids[:1], status="open", by=manager)
    assert ReportingEvent.objects.filter(conversation_id__in=ids, kind="resolved").count() == 2

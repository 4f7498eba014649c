"""Writes of the reporting facts."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accounts.models import Workspace
from inbox.models import Conversation, InboxPolicy, Message
from inbox.sla import business_seconds_between
from reports.models import ReportingEvent

BATCH = 5000


def _seconds(start: dt.datetime, end: dt.datetime) -> int:
    return max(0, int((end - start).total_seconds()))


def facts_rebuild(*, workspace: Workspace) -> int:
    """Delete and rewrite a workspace's facts from its stored messages (idempotent). Returns the rows written.

    A human reply is an outbound message with an author (the assistant's auto-replies have none, so they
    do not stop the first-response clock). Each reply is timed from the oldest inbound message it answers."""
    rules = _Rules(workspace)
    rows: list[ReportingEvent] = []
    written = 0
    with transaction.atomic():
        # Who resolved is known only when it happens (the conversation keeps no resolver): carried over.
        resolvers = _resolvers(ReportingEvent.objects.filter(workspace=workspace))
        ReportingEvent.objects.filter(workspace=workspace).delete()
        conversations = (
            Conversation.objects.filter(workspace=workspace).select_related("channel").order_by("pk")
        )
        for conversation in conversations.iterator(chunk_size=2000):
            rows.extend(_conversation_facts(conversation, rules, resolvers.get(conversation.pk)))
            if len(rows) >= BATCH:
                ReportingEvent.objects.bulk_create(rows, batch_size=BATCH)
                written += len(rows)
                rows = []
        ReportingEvent.objects.bulk_create(rows, batch_size=BATCH)
        written += len(rows)
    return written


def conversation_facts_refresh(*, conversation: Conversation, by_user_id: int | None = None) -> None:
    """Rewrite one conversation's facts (the inbox's `conversation_changed`, inside its transaction).

    `by_user_id`: who made the change; when the conversation is resolved now, they resolved it. Otherwise
    the resolver already recorded for the same resolution is kept."""
    with transaction.atomic():
        existing = ReportingEvent.objects.filter(conversation=conversation)
        resolver = _resolvers(existing).get(conversation.pk)
        if by_user_id is not None and conversation.resolved_at is not None:
            resolver = (conversation.resolved_at, by_user_id)
        existing.delete()
        ReportingEvent.objects.bulk_create(
            _conversation_facts(conversation, _Rules(conversation.workspace), resolver)
        )


def facts_messages_received(*, message_ids: list[int]) -> int:
    """Facts for inbound messages just stored (the inbox's `messages_stored`, after its commit): one
    MESSAGE_RECEIVED per message, CONVERSATION_CREATED for a thread that has none yet, and the resolution of
    a thread the customer reopened is dropped. Four queries per batch, whatever its size, so polling stays
    cheap; a full rewrite (a reply sent, a status changed, `reports_backfill`) gives the same rows."""
    messages = list(
        Message.objects.filter(pk__in=message_ids, direction=Message.Direction.IN)
        .select_related("conversation", "channel")
        .only(
            "created_at",
            "workspace_id",
            "channel__network",
            "conversation__created_at",
            "conversation__channel_id",
        )
    )
    if not messages:
        return 0
    conversation_ids = {m.conversation_id for m in messages}
    with transaction.atomic():
        ReportingEvent.objects.filter(
            conversation_id__in=conversation_ids,
            kind=ReportingEvent.Kind.RESOLVED,
            conversation__resolved_at__isnull=True,
        ).delete()
        known = set(
            ReportingEvent.objects.filter(
                conversation_id__in=conversation_ids, kind=ReportingEvent.Kind.CONVERSATION_CREATED
            ).values_list("conversation_id", flat=True)
        )
        rows = []
        for message in sorted(messages, key=lambda m: (m.created_at, m.pk)):
            base = {
                "workspace_id": message.workspace_id,
                "conversation_id": message.conversation_id,
                "channel_id": message.channel_id,
                "network": message.channel.network,
            }
            if message.conversation_id not in known:
                known.add(message.conversation_id)
                opened = min(message.conversation.created_at, message.created_at)
                rows.append(ReportingEvent(kind=ReportingEvent.Kind.CONVERSATION_CREATED, at=opened, **base))
            rows.append(
                ReportingEvent(kind=ReportingEvent.Kind.MESSAGE_RECEIVED, at=message.created_at, **base)
            )
        ReportingEvent.objects.bulk_create(rows)
    return len(rows)


def _resolvers(facts) -> dict[int, tuple[dt.datetime, int]]:
    """{conversation id: (resolved at, by whom)} from the RESOLVED facts that name a person."""
    rows = facts.filter(kind=ReportingEvent.Kind.RESOLVED, user__isnull=False).values_list(
        "conversation_id", "at", "user_id"
    )
    return {conversation_id: (at, user_id) for conversation_id, at, user_id in rows}


class _Rules:
    """What a workspace's policy says about timing: business hours, zone, first-response target."""

    def __init__(self, workspace: Workspace) -> None:
        policy = InboxPolicy.objects.filter(workspace=workspace).first()
        self.hours = policy.business_hours if policy else {}
        self.target = policy.first_response_minutes * 60 if policy and policy.first_response_minutes else None
        self.tz_name = workspace.timezone or "UTC"
        self.workspace = workspace


def _conversation_facts(
    conversation: Conversation, rules: _Rules, resolver: tuple[dt.datetime, int] | None = None
) -> list[ReportingEvent]:
    hours, target, tz_name, workspace = rules.hours, rules.target, rules.tz_name, rules.workspace
    rows: list[ReportingEvent] = []
    base = {
        "workspace": workspace,
        "conversation": conversation,
        "channel_id": conversation.channel_id,
        "network": conversation.channel.network,
    }
    # Opened when its first message was written on the network (the row itself is stored later).
    opened = conversation.created_at
    waiting_since: dt.datetime | None = None
    first_done = False
    messages = Message.objects.filter(conversation=conversation).order_by("created_at", "pk")
    fields = ("direction", "author_user_id", "created_at", "send_status")
    for index, message in enumerate(messages.only(*fields)):
        if index == 0:
            opened = min(opened, message.created_at)
        if message.direction == Message.Direction.IN:
            rows.append(
                ReportingEvent(kind=ReportingEvent.Kind.MESSAGE_RECEIVED, at=message.created_at, **base)
            )
            waiting_since = waiting_since or message.created_at
            continue
        # A reply waiting for approval, failed or rejected has not reached the customer: it answers nothing.
        if message.send_status != Message.SendStatus.SENT:
            continue
        rows.append(
            ReportingEvent(
                kind=ReportingEvent.Kind.MESSAGE_SENT,
                at=message.created_at,
                user_id=message.author_user_id,
                **base,
            )
        )
        if message.author_user_id is None or waiting_since is None:
            continue
        wall = _seconds(waiting_since, message.created_at)
        business = business_seconds_between(
            waiting_since, message.created_at, business_hours=hours, timezone_name=tz_name
        )
        common = {"user_id": message.author_user_id, "at": message.created_at, **base}
        if not first_done:
            first_done = True
            sla = None if target is None else (business if hours else wall) <= target
            rows.append(
                ReportingEvent(
                    kind=ReportingEvent.Kind.FIRST_RESPONSE,
                    value_seconds=wall,
                    business_value_seconds=business,
                    sla_met=sla,
                    **common,
                )
            )
        rows.append(
            ReportingEvent(
                kind=ReportingEvent.Kind.REPLY,
                value_seconds=wall,
                business_value_seconds=business,
                **common,
            )
        )
        waiting_since = None
    rows.append(ReportingEvent(kind=ReportingEvent.Kind.CONVERSATION_CREATED, at=opened, **base))
    if conversation.resolved_at is not None:
        rows.append(
            ReportingEvent(
                kind=ReportingEvent.Kind.RESOLVED,
                at=conversation.resolved_at,
                value_seconds=_seconds(opened, conversation.resolved_at),
                business_value_seconds=business_seconds_between(
                    opened, conversation.resolved_at, business_hours=hours, timezone_name=tz_name
                ),
                user_id=resolver[1] if resolver and resolver[0] == conversation.resolved_at else None,
                **base,
            )
        )
    return rows

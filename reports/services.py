"""Writes of the reporting facts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db import transaction

from accounts.models import Workspace
from inbox.models import Conversation, InboxPolicy, Message
from inbox.sla import business_seconds_between
from reports.models import ReportingEvent

BATCH = 5000
CHUNK = 2000  # conversations read (with their messages) at a time by a rebuild


def _seconds(start: dt.datetime, end: dt.datetime) -> int:
    return max(0, int((end - start).total_seconds()))


def facts_rebuild(*, workspace: Workspace) -> int:
    """Delete and rewrite a workspace's facts from its stored messages (idempotent). Returns the rows written.

    A human reply is an outbound message with an author (the assistant's auto-replies have none, so they
    do not stop the first-response clock). Each reply is timed from the oldest inbound message it answers.

    Reopen facts are kept as they are: they are the only record of a reopen (the inbox keeps a
    conversation's present status, not its history), so nothing stored could write them again."""
    rules = _rules_for({workspace.pk: workspace})
    written = 0
    with transaction.atomic():
        # Who resolved is known only when it happens (the conversation keeps no resolver): carried over.
        resolvers = _resolvers(ReportingEvent.objects.filter(workspace=workspace))
        _derived(ReportingEvent.objects.filter(workspace=workspace)).delete()
        conversations = Conversation.objects.filter(workspace=workspace).select_related("channel")
        after = 0
        while chunk := list(conversations.filter(pk__gt=after).order_by("pk")[:CHUNK]):
            rows = _facts_of(chunk, rules, resolvers)
            ReportingEvent.objects.bulk_create(rows, batch_size=BATCH)
            written += len(rows)
            after = chunk[-1].pk
    return written


def conversations_facts_refresh(*, conversation_ids: Iterable[int], by_user_id: int | None = None) -> None:
    """Rewrite the facts of many conversations (the inbox's `conversation_changed` and
    `conversations_changed`) in a fixed number of queries, whatever their number: theirs, their
    workspaces' policies, the resolvers, the delete, their messages, the insert. Their reopen facts stay
    (see `facts_rebuild`).

    `by_user_id`: who made the change; a conversation resolved now was resolved by them. Otherwise the
    resolver already recorded for the same resolution is kept."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return
    # Part of the caller's transaction (a poll's batch, a status change): no savepoint of its own.
    with transaction.atomic(savepoint=False):
        conversations = list(
            Conversation.objects.filter(pk__in=ids).select_related("channel", "workspace").order_by("pk")
        )
        rules = _rules_for({c.workspace_id: c.workspace for c in conversations})
        existing = ReportingEvent.objects.filter(conversation_id__in=ids)
        resolvers = _resolvers(existing)
        if by_user_id is not None:
            for conversation in conversations:
                if conversation.resolved_at is not None:
                    resolvers[conversation.pk] = (conversation.resolved_at, by_user_id)
        _derived(existing).delete()
        ReportingEvent.objects.bulk_create(_facts_of(conversations, rules, resolvers), batch_size=BATCH)


def conversation_reopens_record(*, reopened: Mapping[int, dt.datetime], user_id: int | None) -> int:
    """Record that these conversations (id -> when) were reopened, by `user_id` (None: the customer wrote
    again, or the assistant handed the thread back). Returns the facts written."""
    if not reopened:
        return 0
    found = Conversation.objects.filter(pk__in=list(reopened)).values_list(
        "pk", "workspace_id", "channel_id", "channel__network"
    )
    rows = [
        ReportingEvent(
            workspace_id=workspace_id,
            conversation_id=pk,
            channel_id=channel_id,
            network=network,
            kind=ReportingEvent.Kind.REOPENED,
            user_id=user_id,
            at=reopened[pk],
        )
        for pk, workspace_id, channel_id, network in found
    ]
    ReportingEvent.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def facts_messages_received(*, message_ids: list[int]) -> int:
    """Facts for inbound messages just stored (the inbox's `messages_stored`, after its commit): one
    MESSAGE_RECEIVED per message, CONVERSATION_CREATED for a thread that has none yet, and the resolution of
    a thread the customer reopened is dropped. Four queries per batch, whatever its size, so polling stays
    cheap; a full rewrite (a reply sent, a status changed, `reports_backfill`) gives the same rows."""
    # Plain rows, not models: building 500 Message, Conversation and Channel instances per poll cost more
    # than the query.
    messages = sorted(
        Message.objects.filter(pk__in=message_ids, direction=Message.Direction.IN).values_list(
            "created_at",
            "pk",
            "workspace_id",
            "conversation_id",
            "channel_id",
            "channel__network",
            "conversation__created_at",
        )
    )
    if not messages:
        return 0
    conversation_ids = {row[3] for row in messages}
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
        for created_at, _pk, workspace_id, conversation_id, channel_id, network, opened_at in messages:
            base = {
                "workspace_id": workspace_id,
                "conversation_id": conversation_id,
                "channel_id": channel_id,
                "network": network,
            }
            if conversation_id not in known:
                known.add(conversation_id)
                opened = min(opened_at, created_at)
                rows.append(ReportingEvent(kind=ReportingEvent.Kind.CONVERSATION_CREATED, at=opened, **base))
            rows.append(ReportingEvent(kind=ReportingEvent.Kind.MESSAGE_RECEIVED, at=created_at, **base))
        ReportingEvent.objects.bulk_create(rows)
    return len(rows)


def _resolvers(facts) -> dict[int, tuple[dt.datetime, int]]:
    """{conversation id: (resolved at, by whom)} from the RESOLVED facts that name a person."""
    rows = facts.filter(kind=ReportingEvent.Kind.RESOLVED, user__isnull=False).values_list(
        "conversation_id", "at", "user_id"
    )
    return {conversation_id: (at, user_id) for conversation_id, at, user_id in rows}


def _derived(facts):
    """The facts computed from what the inbox stores (every kind but the recorded reopens)."""
    return facts.exclude(kind=ReportingEvent.Kind.REOPENED)


class _Rules:
    """What a workspace's policy says about timing: business hours, zone, first-response target."""

    def __init__(self, workspace: Workspace, policy: InboxPolicy | None) -> None:
        self.hours = policy.business_hours if policy else {}
        self.target = policy.first_response_minutes * 60 if policy and policy.first_response_minutes else None
        self.tz_name = workspace.timezone or "UTC"
        self.workspace = workspace


def _rules_for(workspaces: dict[int, Workspace]) -> dict[int, _Rules]:
    policies = {p.workspace_id: p for p in InboxPolicy.objects.filter(workspace_id__in=list(workspaces))}
    return {pk: _Rules(workspace, policies.get(pk)) for pk, workspace in workspaces.items()}


def _facts_of(
    conversations: list[Conversation],
    rules: dict[int, _Rules],
    resolvers: Mapping[int, tuple[dt.datetime, int]] | None = None,
) -> list[ReportingEvent]:
    """The derived facts of these conversations, from one query over their messages."""
    resolvers = resolvers or {}
    messages: dict[int, list[Message]] = defaultdict(list)
    stored = Message.objects.filter(conversation_id__in=[c.pk for c in conversations])
    for message in stored.order_by("conversation_id", "created_at", "pk").only(
        "conversation_id", "direction", "author_user_id", "created_at", "send_status"
    ):
        messages[message.conversation_id].append(message)
    rows: list[ReportingEvent] = []
    for conversation in conversations:
        rows.extend(
            _conversation_facts(
                conversation,
                messages[conversation.pk],
                rules[conversation.workspace_id],
                resolvers.get(conversation.pk),
            )
        )
    return rows


def _conversation_facts(
    conversation: Conversation,
    messages: list[Message],
    rules: _Rules,
    resolver: tuple[dt.datetime, int] | None = None,
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
    for index, message in enumerate(messages):
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

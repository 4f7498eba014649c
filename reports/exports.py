"""The conversation export: one row per conversation created in the report's period, streamed.

"Created in the period" is what the reports count: the conversation's `conversation_created` fact falls in
it (so the export's rows and the report's count are the same set). Rows are read by keyset on the
conversation's id, `chunk` at a time (never OFFSET, never the whole set in memory), and each chunk costs
the same four queries whatever it holds: the conversations (with channel, contact and assignee joined),
their labels, their first-response facts, and the triages of their newest triaged inbound messages.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from accounts.models import User, Workspace
from assistant.engine.sentiment import sentiment_label
from assistant.models import MessageTriage
from inbox.models import Conversation, Message
from reports.framework import ReportFilter
from reports.models import ReportingEvent

CHUNK = 2000

CSV_HEADER = [
    _("id"),
    _("channel"),
    _("network"),
    _("contact"),
    _("created"),
    _("first response"),
    _("first response (seconds)"),
    _("first response in business hours (seconds)"),
    _("resolved"),
    _("assignee"),
    _("labels"),
    _("status"),
    _("sentiment"),
    _("intent"),
    _("SLA met"),
    _("rating"),  # a review's current stars; empty for other threads
    _("link"),
]


def _created_fact(f: ReportFilter):
    return ReportingEvent.objects.filter(
        conversation=OuterRef("pk"), kind=ReportingEvent.Kind.CONVERSATION_CREATED
    ).values("at")[:1]


def _latest_triaged_inbound():
    """The newest triaged inbound message of the outer conversation (what the inbox list shows the triage
    of): read backwards along the (conversation, created_at, id) index, a few rows per conversation."""
    return (
        Message.objects.filter(
            conversation=OuterRef("pk"), direction=Message.Direction.IN, triage__isnull=False
        )
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )


def exported_conversations(workspace: Workspace, f: ReportFilter):
    """The conversations the export holds (any order): those whose creation fact is in the period and that
    match the filter's channel, network, label and assignee."""
    qs = Conversation.objects.filter(workspace=workspace).annotate(opened_at=Subquery(_created_fact(f)))
    qs = qs.filter(opened_at__gte=f.start, opened_at__lt=f.end)
    if f.channel:
        qs = qs.filter(channel_id=f.channel)
    if f.network:
        qs = qs.filter(channel__network=f.network)
    if f.assignee:
        qs = qs.filter(assignee_id=f.assignee)
    if f.label:
        qs = qs.filter(labels=f.label)
    return qs


_FIELDS = (
    "pk",
    "channel__name",
    "channel__network",
    "contact__name",
    "contact__handle",
    "opened_at",
    "resolved_at",
    "assignee_id",
    "assignee__display_name",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__email",
    "status",
    "rating",
    "latest_triaged_id",
)


def conversation_export_rows(
    workspace: Workspace, f: ReportFilter, *, link_prefix: str, chunk: int = CHUNK
) -> Iterator[list]:
    """The export's rows, lazily. `link_prefix` is the absolute URL of the workspace's inbox conversation
    path without the id (".../inbox/c/"), so no row pays for a `reverse()`."""
    base = (
        exported_conversations(workspace, f)
        .annotate(latest_triaged_id=Subquery(_latest_triaged_inbound()))
        .order_by("pk")
        .values_list(*_FIELDS)
    )
    statuses = {value: str(label) for value, label in Conversation.Status.choices}  # translated once
    assignees: dict[int, str] = {}
    after = 0
    while True:
        with transaction.atomic(savepoint=False):
            _without_jit()
            rows = list(base.filter(pk__gt=after)[:chunk])
            if not rows:
                return
            ids = [row[0] for row in rows]
            labels = _labels(ids)
            firsts = _first_responses(workspace, ids)
            triage = _triages([row[-1] for row in rows if row[-1] is not None])
        for row in rows:
            (
                pk,
                channel,
                network,
                contact,
                handle,
                opened,
                resolved,
                assignee_id,
                *person,
                status,
                rating,
                triaged,
            ) = row
            if assignee_id is not None and assignee_id not in assignees:
                display, first, last, email = person
                assignees[assignee_id] = User(
                    display_name=display, first_name=first, last_name=last, email=email
                ).name
            first_response = firsts.get(pk)
            sentiment, intent = triage.get(triaged, ("", ""))
            yield [
                pk,
                channel,
                network,
                contact or handle,
                opened,
                first_response[0] if first_response else None,
                first_response[1] if first_response else None,
                first_response[2] if first_response else None,
                resolved,
                assignees.get(assignee_id) if assignee_id is not None else "",
                "; ".join(labels.get(pk, ())),
                statuses.get(status, status),
                sentiment,
                intent,
                first_response[3] if first_response else None,
                rating,
                f"{link_prefix}{pk}/",
            ]
        if len(rows) < chunk:
            return
        after = ids[-1]


def _without_jit() -> None:
    """PostgreSQL compiles a chunk's query (its correlated subqueries make the planner's cost estimate
    large) in about as long as it then takes to run it: for this short transaction, no JIT."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


# The chunk's ids are ascending: its labels and facts are read by a range of conversation ids, which the
# (conversation, ...) indexes answer with one range scan (a list of 2,000 ids made PostgreSQL scan the
# whole table); rows of conversations in the range but not in the chunk are dropped here.


def _labels(ids: list[int]) -> dict[int, list[str]]:
    through = Conversation.labels.through
    wanted = set(ids)
    names: dict[int, list[str]] = defaultdict(list)
    pairs = through.objects.filter(conversation_id__gte=ids[0], conversation_id__lte=ids[-1])
    for conversation_id, name in pairs.order_by("label__name").values_list("conversation_id", "label__name"):
        if conversation_id in wanted:
            names[conversation_id].append(name)
    return names


def _first_responses(
    workspace: Workspace, ids: list[int]
) -> dict[int, tuple[dt.datetime, int | None, int | None, bool | None]]:
    facts = ReportingEvent.objects.filter(
        workspace=workspace,
        kind=ReportingEvent.Kind.FIRST_RESPONSE,
        conversation_id__gte=ids[0],
        conversation_id__lte=ids[-1],
    )
    wanted = set(ids)
    return {
        conversation_id: (at, wall, business, sla)
        for conversation_id, at, wall, business, sla in facts.order_by("-at").values_list(
            "conversation_id", "at", "value_seconds", "business_value_seconds", "sla_met"
        )
        if conversation_id in wanted
    }


def _triages(message_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Sentiment band (the inbox badge's) and intent of these messages' triages, by message id."""
    triages = MessageTriage.objects.filter(message_id__in=message_ids)
    return {
        message_id: (sentiment_label(sentiment), intent)
        for message_id, sentiment, intent in triages.values_list("message_id", "sentiment", "intent")
    }

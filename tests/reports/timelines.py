"""Hand-built conversation timelines for the report tests (pages and browser journey)."""

from __future__ import annotations

import datetime as dt
import itertools

from inbox.models import Conversation, Message
from networks.models import Channel
from reports.services import conversations_facts_refresh

_ids = itertools.count(1000)


def thread(channel: Channel, *steps: tuple[str, dt.datetime, object]) -> Conversation:
    """A conversation from (who, when, by) steps: "in" from the public, "out" a sent reply by a user (None:
    the assistant's auto-reply), "resolve" resolved by that user."""
    start = steps[0][1]
    conversation = Conversation.objects.create(
        workspace=channel.workspace,
        channel=channel,
        kind=Conversation.Kind.MENTION,
        root_external_id=str(next(_ids)),
        created_at=start,
        last_message_at=start,
    )
    resolver = None
    for who, at, by in steps:
        if who == "resolve":
            conversation.status, conversation.resolved_at, resolver = Conversation.Status.RESOLVED, at, by
            conversation.save(update_fields=["status", "resolved_at"])
            continue
        Message.objects.create(
            workspace=channel.workspace,
            conversation=conversation,
            channel=channel,
            external_id=str(next(_ids)),
            direction=Message.Direction.IN if who == "in" else Message.Direction.OUT,
            author_user=by if who == "out" else None,
            send_status="" if who == "in" else Message.SendStatus.SENT,
            text="hello",
            created_at=at,
        )
    if resolver is not None:
        conversations_facts_refresh(conversation_ids=[conversation.pk], by_user_id=resolver.pk)
    return conversation

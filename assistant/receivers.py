"""What the assistant does with what the inbox announces (inbox.signals): it triages the messages stored
(`messages_stored`, sent on commit: the rows exist; the sweeper catches what a refused enqueue left), and
records the fate of the suggestion a written reply started from (`reply_written`), and the customer's
message as a candidate phrasing when the reply answered with an FAQ entry (assistant.phrasings)."""

from __future__ import annotations

from django.db.models import Subquery
from django.dispatch import receiver

from assistant import phrasings, services
from assistant.models import Suggestion
from assistant.tasks import enqueue_retriage, enqueue_triage
from inbox.models import Message
from inbox.signals import messages_reworded, messages_stored, reply_written


@receiver(messages_stored, sender=Message, dispatch_uid="assistant.triage_stored_messages")
def triage_stored_messages(sender, *, channel_id: int, inbound_ids: list[int], **kwargs) -> None:
    enqueue_triage(inbound_ids)


@receiver(messages_reworded, sender=Message, dispatch_uid="assistant.retriage_reworded_messages")
def retriage_reworded_messages(sender, *, inbound_ids: list[int], **kwargs) -> None:
    enqueue_retriage(inbound_ids)


@receiver(reply_written, sender=Message, dispatch_uid="assistant.record_suggestion_fate")
def record_suggestion_fate(sender, *, message: Message, suggestion_id: str, user, **kwargs) -> None:
    """Record what became of the suggestion the reply started from: sent as is or edited (the service
    decides). Only a pending suggestion for the conversation's latest inbound message in the reply's
    workspace counts; anything else (foreign, stale, already decided, malformed) is ignored without a word."""
    if not suggestion_id.isdigit():
        phrasings.phrasing_from_reply(reply=message)  # written by hand: maybe an FAQ answer all the same
        return
    latest_inbound = (
        Message.objects.filter(conversation_id=message.conversation_id, direction=Message.Direction.IN)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    suggestion = Suggestion.objects.filter(
        pk=int(suggestion_id),
        fate=Suggestion.Fate.PENDING,
        message__workspace_id=message.workspace_id,
        message__conversation_id=message.conversation_id,
        message_id=Subquery(latest_inbound),
    ).first()
    if suggestion is None:
        phrasings.phrasing_from_reply(reply=message)
        return
    suggestion = services.suggestion_record_fate(suggestion, final_text=message.text, user=user)
    if phrasings.phrasing_from_suggestion(suggestion=suggestion) is None:
        phrasings.phrasing_from_reply(reply=message)

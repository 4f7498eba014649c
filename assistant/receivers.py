"""The assistant triages what the inbox announces it stored (inbox.signals.messages_stored, sent on commit:
the rows exist). What a refused enqueue leaves untriaged, the sweeper (tasks.sweep_untriaged) catches."""

from __future__ import annotations

from django.dispatch import receiver

from assistant.tasks import enqueue_triage
from inbox.models import Message
from inbox.signals import messages_stored


@receiver(messages_stored, sender=Message, dispatch_uid="assistant.triage_stored_messages")
def triage_stored_messages(sender, *, channel_id: int, inbound_ids: list[int], **kwargs) -> None:
    enqueue_triage(inbound_ids)

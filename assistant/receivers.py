"""The assistant triages what the inbox stored.

Connected after inbox's receiver (assistant comes after inbox in INSTALLED_APPS, and signals dispatch in
connection order), so the messages are already rows of the same, still open, transaction. The triage is
enqueued on commit: a rolled-back poll triages nothing.
"""

from __future__ import annotations

from django.dispatch import receiver

from assistant.tasks import enqueue_triage
from inbox.models import Message
from networks.models import Channel
from networks.signals import items_fetched


@receiver(items_fetched, sender=Channel, dispatch_uid="assistant.triage_fetched_items")
def triage_fetched_items(sender, *, channel: Channel, items, backfill: bool, **kwargs) -> None:
    if not items:
        return
    ids = list(
        Message.objects.filter(
            channel=channel,
            external_id__in=[item.external_id for item in items],
            direction=Message.Direction.IN,
            triage__isnull=True,
        ).values_list("pk", flat=True)
    )
    enqueue_triage(ids)

"""The inbox stores what networks fetches, inside the transaction that advances the channel's cursor."""

from __future__ import annotations

from django.dispatch import receiver

from inbox.ingest import message_ingest_batch
from networks.models import Channel
from networks.signals import items_fetched


@receiver(items_fetched, sender=Channel, dispatch_uid="inbox.store_fetched_items")
def store_fetched_items(sender, *, channel: Channel, items, backfill: bool, **kwargs) -> None:
    message_ingest_batch(channel=channel, items=items)

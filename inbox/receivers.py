"""The inbox stores what networks fetches, inside the transaction that advances the channel's cursor."""

from __future__ import annotations

from django.dispatch import receiver

from inbox.ingest import message_ingest_batch
from networks.models import Channel
from networks.signals import items_fetched, items_reread, post_published


@receiver(items_fetched, sender=Channel, dispatch_uid="inbox.store_fetched_items")
def store_fetched_items(sender, *, channel: Channel, items, backfill: bool, **kwargs) -> None:
    message_ingest_batch(channel=channel, items=items)


@receiver(items_reread, sender=Channel, dispatch_uid="inbox.apply_reread_items")
def apply_reread_items(sender, *, channel: Channel, items, listings, gone=(), edited=(), **kwargs) -> None:
    from django.utils import timezone

    from inbox.edits import message_deleted_on_network, message_deletions_apply, message_edits_apply

    # What is new in a re-read (a comment the walk missed) is stored as new; the rest are edits.
    message_ingest_batch(channel=channel, items=items)
    if edited:
        # Under the channel's lock, as the ingest's own edits are.
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        message_edits_apply(channel=locked, items=edited)
    message_deletions_apply(channel=channel, listings=listings)
    if gone:
        message_deleted_on_network(channel=channel, external_ids=gone, at=timezone.now())


@receiver(post_published, sender=Channel, dispatch_uid="inbox.remember_published_post")
def remember_published_post(
    sender, *, channel_id: int, external_id: str, text: str, image_name: str, permalink: str, **kwargs
) -> None:
    from inbox.ingest import published_post_store

    published_post_store(
        channel_id=channel_id, external_id=external_id, text=text, image_name=image_name, permalink=permalink
    )

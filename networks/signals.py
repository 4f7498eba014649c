"""What networks tells the apps that store things, without knowing them (dependencies point one way).

`items_fetched` is sent INSIDE the transaction that advances the channel's cursor: a receiver that stores
the items either commits with the cursor or raises and rolls both back, so nothing is lost or stored twice.
"""

from django.dispatch import Signal

# sender=Channel class; kwargs: channel (Channel), items (list[EngagementItem]), backfill (bool)
items_fetched = Signal()

# Sent after items_fetched, in the same transaction: what a poll read again (edits), and the threads it
# listed completely (deletions). kwargs: channel (Channel), items (list[EngagementItem]),
# listings (list[ThreadListing]), gone (list[str]: external ids the network says were deleted),
# edited (list[EngagementItem]: new words the network pushed for messages we may hold; applied to those we
# do, never stored as new, since such an item names the message and little else).
items_reread = Signal()

# Something of ours went out on a channel (posts publishes it; the inbox names it in the threads under it).
# Sent inside the transaction that records it. sender=Channel class; kwargs: channel_id (int),
# external_id (str: the network's id), text (str), image_name (str: a stored file, or ""), permalink (str)
post_published = Signal()

# A channel's token died: it stops until someone reconnects it. Sent inside the transaction that marks it,
# once per lost connection. sender=Channel class; kwargs: channel (Channel)
channel_needs_reconnect = Signal()

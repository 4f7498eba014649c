"""Webhooks as accelerators: what Meta and LinkedIn push is stored through the poll's own path, and the
channel is polled at once; the poll stays the source of truth and the catch-up after any outage.

The request does the minimum (Meta retries an endpoint that answers slowly): check the signature, record
the delivery row (its body digest is the replay guard: one row per network and body), enqueue its
processing. `webhook_delivery_process` then reads it into items, stores them with `items_fetched` exactly as
a poll does (the unique (channel, external_id) constraint makes a delivery and the poll's copy one message),
and marks the channels it names due. A delivery whose task never reached the broker is handed out again by
`webhook_deliveries_sweep`.
"""

from networks.webhooks.common import MAX_BODY_BYTES, REPLAY_WINDOW, receiver, webhook_networks, webhook_url
from networks.webhooks.processing import (
    CLAIM_LEASE,
    MAX_ATTEMPTS,
    SWEEP_AFTER,
    webhook_deliveries_prune,
    webhook_deliveries_sweep,
    webhook_delivery_process,
)
from networks.webhooks.receiving import Receipt, webhook_delivery_receive, webhook_handshake
from networks.webhooks.subscribing import channel_webhooks_subscribe, subscribable

__all__ = [
    "CLAIM_LEASE",
    "MAX_ATTEMPTS",
    "MAX_BODY_BYTES",
    "REPLAY_WINDOW",
    "SWEEP_AFTER",
    "Receipt",
    "channel_webhooks_subscribe",
    "receiver",
    "subscribable",
    "webhook_deliveries_prune",
    "webhook_deliveries_sweep",
    "webhook_delivery_process",
    "webhook_delivery_receive",
    "webhook_handshake",
    "webhook_networks",
    "webhook_url",
]

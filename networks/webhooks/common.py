"""What the webhook modules share: the windows and limits, the networks that push, the URL, app secrets."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse

from core.http import worker_client
from networks import registry
from networks.models import Channel, ChannelWebhookState
from networks.providers import base as p
from networks.providers.webhooks_base import WebhookReceiver

#: Deliveries (and entries) older than this are not processed: a replay of a captured delivery, or a retry
#: so late the poll has long since fetched what it carried. Meta retries for up to 36 hours; LinkedIn for 8.
REPLAY_WINDOW = dt.timedelta(hours=48)
#: Meta batches up to 1,000 changes per delivery; bodies are small. Anything larger is not Meta's.
MAX_BODY_BYTES = 1_000_000


def receiver(network: str) -> WebhookReceiver | None:
    """How `network`'s pushes are checked and read; None when it is polled only."""
    spec = registry.SPECS.get(network)
    return spec.provider_class.webhooks if spec else None


def webhook_networks() -> list[str]:
    """The networks that push, in the registry's order."""
    return [network for network in registry.SPECS if receiver(network) is not None]


def webhook_url(network: str) -> str:
    """The address to give the network's app dashboard for `network`'s webhooks."""
    return settings.SITE_URL + reverse("network_webhook", args=[network])


def app_secret(network: str) -> str:
    app = registry.app_config(network)
    return app.client_secret if app else ""


def ensure_states(channel_ids: list[int]) -> None:
    ChannelWebhookState.objects.bulk_create(
        [ChannelWebhookState(channel_id=pk) for pk in channel_ids], ignore_conflicts=True
    )


def provider_for(channel: Channel) -> p.Provider:
    return registry.build_provider(channel, http=worker_client())

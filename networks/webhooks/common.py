"""What the webhook modules share: the windows and limits, the networks that push, the URL, app secrets."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse

from core.http import worker_client
from networks import registry
from networks.models import Channel, ChannelWebhookState, Network
from networks.providers.facebook import FacebookProvider
from networks.providers.graph import GraphProvider

#: Deliveries (and entries) older than this are not processed: a replay of a captured delivery, or a retry
#: so late the poll has long since fetched what it carried. Meta retries for up to 36 hours; LinkedIn for 8.
REPLAY_WINDOW = dt.timedelta(hours=48)
#: Meta batches up to 1,000 changes per delivery; bodies are small. Anything larger is not Meta's.
MAX_BODY_BYTES = 1_000_000

WEBHOOK_NETWORKS = (Network.FACEBOOK, Network.INSTAGRAM, Network.LINKEDIN)
META = (Network.FACEBOOK, Network.INSTAGRAM)


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


def graph_provider(channel: Channel) -> GraphProvider:
    provider = registry.build_provider(channel, http=worker_client())
    assert isinstance(provider, GraphProvider)
    return provider


def facebook_provider(channel: Channel, http) -> FacebookProvider:
    provider = registry.build_provider(channel, http=http)
    assert isinstance(provider, FacebookProvider)
    return provider

"""Reads for the health page and admin: each channel's webhook state and each network app's webhook URL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from networks import registry
from networks.models import Channel, ChannelWebhookState, Network, WebhookDelivery
from networks.webhooks import WEBHOOK_NETWORKS, webhook_url


@dataclass(frozen=True)
class WebhookEndpoint:
    network: str
    label: str
    url: str
    configured: bool  # an app secret to check signatures with (and, for Meta, a verify token)
    refused_24h: int


def attach_webhook_states(channels: list[Channel]) -> list[Channel]:
    """Sets `webhook` on each channel of a network that pushes: its ChannelWebhookState, or an unsaved
    empty one (nothing received yet); None for networks without webhooks. One query."""
    states = {
        state.channel_id: state
        for state in ChannelWebhookState.objects.filter(channel__in=[c.pk for c in channels])
    }
    for channel in channels:
        pushes = channel.network in WEBHOOK_NETWORKS
        state = (states.get(channel.pk) or ChannelWebhookState(channel=channel)) if pushes else None
        channel.webhook = state  # type: ignore[attr-defined]
    return channels


def webhook_endpoints(networks: set[str], *, now: dt.datetime | None = None) -> list[WebhookEndpoint]:
    """The webhook URL of each network app among `networks` (the workspace's channels), with whether it
    can check what arrives and how many deliveries it refused in the last 24 hours."""
    wanted = [n for n in WEBHOOK_NETWORKS if n in networks]
    if not wanted:
        return []
    since = (now or timezone.now()) - dt.timedelta(hours=24)
    refused = dict(
        WebhookDelivery.objects.filter(
            network__in=wanted, status=WebhookDelivery.Status.REFUSED, received_at__gte=since
        )
        .values("network")
        .annotate(n=Count("pk"))
        .values_list("network", "n")
    )
    endpoints = []
    for network in wanted:
        app = registry.app_config(network)
        configured = bool(app and app.client_secret) and (
            network == Network.LINKEDIN or bool(app and app.webhook_verify_token)
        )
        endpoints.append(
            WebhookEndpoint(
                network, Network(network).label, webhook_url(network), configured, refused.get(network, 0)
            )
        )
    return endpoints

"""Reads for the health page and admin: each channel's webhook state and each network app's webhook URL."""

from __future__ import annotations

from dataclasses import dataclass

from networks import registry
from networks.models import Channel, ChannelWebhookState, Network
from networks.webhooks import receiver, subscribable, webhook_networks, webhook_url


@dataclass(frozen=True)
class WebhookEndpoint:
    network: str
    label: str
    url: str
    configured: bool  # an app secret to check signatures with (and a verify token where one is needed)
    needs_verify_token: bool


def attach_webhook_states(channels: list[Channel]) -> list[Channel]:
    """Sets `webhook` on each channel of a network that pushes: its ChannelWebhookState, or an unsaved
    empty one (nothing received yet); None for networks without webhooks. One query."""
    networks = set(webhook_networks())
    pushing = [c.pk for c in channels if c.network in networks]
    states = (
        {state.channel_id: state for state in ChannelWebhookState.objects.filter(channel__in=pushing)}
        if pushing
        else {}
    )
    for channel in channels:
        pushes = channel.network in networks
        state = (states.get(channel.pk) or ChannelWebhookState(channel=channel)) if pushes else None
        channel.webhook = state  # type: ignore[attr-defined]
        channel.webhook_subscribable = subscribable(channel.network)  # type: ignore[attr-defined]
    return channels


def webhook_endpoints(networks: set[str]) -> list[WebhookEndpoint]:
    """The webhook URL of each network app among `networks` (the workspace's channels), and whether it can
    check what arrives (an app secret, and a verify token for the handshake where the network wants one)."""
    endpoints = []
    for network in (n for n in webhook_networks() if n in networks):
        door = receiver(network)
        assert door is not None
        app = registry.app_config(network)
        configured = bool(app and app.client_secret) and (
            not door.needs_verify_token or bool(app and app.webhook_verify_token)
        )
        endpoints.append(
            WebhookEndpoint(
                network, Network(network).label, webhook_url(network), configured, door.needs_verify_token
            )
        )
    return endpoints

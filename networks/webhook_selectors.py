"""Reads for the health page and admin: each channel's webhook and stream state, and each network app's
webhook URL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from networks import registry
from networks.models import Channel, ChannelWebhookState, Network, StreamState
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


@dataclass(frozen=True)
class StreamHealth:
    """How a channel's stream is doing, for the health page."""

    state: StreamState | None  # None: no consumer has opened it yet
    consumer_alive: bool

    @property
    def connected(self) -> bool:
        return bool(
            self.consumer_alive and self.state and self.state.connected_at and not self.state.disconnected_at
        )


#: A stream whose consumer wrote nothing for this long is not being consumed (run_streams is not running).
STREAM_SILENT_AFTER = dt.timedelta(minutes=2)


def attach_stream_states(channels: list[Channel], *, now: dt.datetime) -> list[Channel]:
    """Sets `stream` on each channel of a network that streams (a StreamHealth), None elsewhere. One query."""
    streaming = {c.network for c in channels if registry.streams(c.network)}
    states = list(StreamState.objects.filter(network__in=streaming)) if streaming else []
    by_channel = {pk: state for state in states for pk in state.channel_ids}
    for channel in channels:
        if channel.network not in streaming:
            channel.stream = None  # type: ignore[attr-defined]
            continue
        state = by_channel.get(channel.pk)
        beat = state.heartbeat_at if state else None
        alive = bool(beat and now - beat < STREAM_SILENT_AFTER)
        channel.stream = StreamHealth(state, consumer_alive=alive)  # type: ignore[attr-defined]
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

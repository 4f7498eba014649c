"""Asking a network to send a channel's events to our webhook URL, where its API allows it."""

from __future__ import annotations

import logging

from django.utils import timezone

from core.http import worker_client
from networks import registry
from networks.models import Channel, ChannelWebhookState
from networks.providers import base as p
from networks.webhooks.common import ensure_states

log = logging.getLogger(__name__)


def subscribable(network: str) -> bool:
    """Whether the network's API lets CM Hub subscribe an account to the app's webhooks."""
    spec = registry.SPECS.get(network)
    return bool(spec and spec.provider_class.supports_webhook_subscribe)


def channel_webhooks_subscribe(*, channel: Channel) -> bool:
    """Ask the network to send this channel's events to our webhook URL, where the API allows it (a
    Facebook Page, or an Instagram account's Page, installs the app with `subscribed_apps`). LinkedIn
    subscriptions are made per member and organization, outside CM Hub. Records the outcome on the
    channel's webhook state; True when subscribed."""
    if not subscribable(channel.network):
        return False
    ensure_states([channel.pk])
    try:
        registry.build_provider(channel, http=worker_client()).webhook_subscribe()
    except p.ProviderError as exc:
        ChannelWebhookState.objects.filter(channel_id=channel.pk).update(subscribe_error=str(exc)[:500])
        log.warning("webhook subscription failed", extra={"channel": channel.pk, "error": str(exc)[:300]})
        return False
    ChannelWebhookState.objects.filter(channel_id=channel.pk).update(
        subscribed_at=timezone.now(), subscribe_error=""
    )
    return True

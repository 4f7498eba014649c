"""Asking a network to send a channel's events to our webhook URL, where its API allows it."""

from __future__ import annotations

import logging

from django.utils import timezone

from core.http import worker_client
from networks.models import Channel, ChannelWebhookState, Network
from networks.providers import base as p
from networks.webhooks.common import ensure_states, facebook_provider

log = logging.getLogger(__name__)


def channel_webhooks_subscribe(*, channel: Channel) -> bool:
    """Ask the network to send this channel's events to our webhook URL, where the API allows it (a
    Facebook Page installs the app with `subscribed_apps`). Instagram follows its Page's subscription and
    the app's dashboard; LinkedIn subscriptions are made per member and organization in LinkedIn's portal.
    Records the outcome on the channel's webhook state; True when subscribed."""
    if channel.network != Network.FACEBOOK:
        return False
    ensure_states([channel.pk])
    try:
        facebook_provider(channel, worker_client()).webhook_subscribe()
    except p.ProviderError as exc:
        ChannelWebhookState.objects.filter(channel_id=channel.pk).update(subscribe_error=str(exc)[:500])
        log.warning("webhook subscription failed", extra={"channel": channel.pk, "error": str(exc)[:300]})
        return False
    ChannelWebhookState.objects.filter(channel_id=channel.pk).update(
        subscribed_at=timezone.now(), subscribe_error=""
    )
    return True

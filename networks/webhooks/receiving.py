"""The webhook URL's side: a delivery is checked (signature over the raw body, in constant time), recorded
(its body digest is the replay guard: one row per network and body) and its processing enqueued; the
handshakes Meta and LinkedIn make before sending anything are answered here too."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from networks import registry
from networks.models import Channel, ChannelWebhookState, WebhookDelivery
from networks.providers.webhooks_base import REFUSED, Handshake, Verdict, WebhookReceiver
from networks.webhooks.common import MAX_BODY_BYTES, app_secret, ensure_states, receiver

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    """How the request is answered: its status, and the delivery row when one was accepted."""

    status: int
    delivery: WebhookDelivery | None = None
    refusal: str = ""


def _named_accounts(door: WebhookReceiver, body: bytes) -> list[str]:
    """The accounts an (untrusted) body names, for counting refusals per channel; [] when unreadable."""
    try:
        payload = json.loads(body[:MAX_BODY_BYTES])
    except ValueError:
        return []
    return door.account_ids(payload)


def _channels_for(door: WebhookReceiver, account_ids: list[str]) -> list[Channel]:
    return list(Channel.objects.filter(network__in=list(door.networks), external_id__in=account_ids))


def _refuse(network: str, door: WebhookReceiver, refusal: str, body: bytes, *, status: int) -> Receipt:
    accounts = _named_accounts(door, body)
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            network=network,
            status=WebhookDelivery.Status.REFUSED,
            refusal=refusal,
            digest=hashlib.sha256(body).hexdigest(),
            account_ids=accounts,
            processed_at=now,
        )
        channel_ids = [c.pk for c in _channels_for(door, accounts)]
        if channel_ids:
            ensure_states(channel_ids)
            ChannelWebhookState.objects.filter(channel_id__in=channel_ids).update(
                refused=F("refused") + 1, last_refused_at=now
            )
    log.warning(
        "webhook delivery refused",
        extra={"network": network, "refusal": refusal, "delivery": delivery.pk, "accounts": accounts[:5]},
    )
    return Receipt(status, delivery, refusal)


def webhook_delivery_receive(*, network: str, body: bytes, headers: Any) -> Receipt:
    """Check and record one POST to the webhook URL of a network that pushes (`receiver(network)`);
    enqueue its processing once recorded."""
    door = receiver(network)
    assert door is not None, f"{network} does not push"
    secret = app_secret(network)
    if not secret:
        return _refuse(network, door, WebhookDelivery.Refusal.NOT_CONFIGURED, body, status=403)
    verdict = door.verdict(secret=secret, body=body, headers=headers)
    if verdict != Verdict.VALID:
        return _refuse(network, door, str(verdict), body, status=403)
    digest = hashlib.sha256(body).hexdigest()
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                network=network,
                digest=digest,
                # What the signature covered, as text: a NUL cannot be stored (JSON never has a raw one).
                body=body.decode("utf-8", "replace").replace("\x00", "\ufffd"),
                account_ids=_named_accounts(door, body),
            )
    except IntegrityError:
        # The same signed body again: a retry of one we already have, or someone replaying a captured
        # one. Answered 200 so the network stops retrying; nothing is processed twice.
        return _refuse(network, door, WebhookDelivery.Refusal.REPLAY, body, status=200)
    from networks.tasks import enqueue_webhook

    enqueue_webhook(delivery.pk)
    return Receipt(200, delivery)


def webhook_handshake(*, network: str, query: Mapping[str, str]) -> Handshake:
    """The answer to the network's verification GET (Meta's `hub.challenge`, LinkedIn's `challengeCode`),
    from the app's secret and verify token; refused when they are not configured or do not match."""
    door = receiver(network)
    if door is None:
        return REFUSED
    app = registry.app_config(network)
    return door.handshake(
        query=query,
        secret=app.client_secret if app else "",
        verify_token=app.webhook_verify_token if app else "",
    )

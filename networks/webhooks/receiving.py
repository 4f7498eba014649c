"""The webhook URL's side: a delivery is checked (signature over the raw body, in constant time), recorded
(its body digest is the replay guard: one row per network and body) and its processing enqueued; the
handshakes Meta and LinkedIn make before sending anything are answered here too."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from networks import registry
from networks import webhook_signatures as sig
from networks.models import Channel, ChannelWebhookState, Network, WebhookDelivery
from networks.providers import linkedin_webhooks, meta_webhooks
from networks.webhooks.common import MAX_BODY_BYTES, META, app_secret, ensure_states

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    """How the request is answered: its status, and the delivery row when one was accepted."""

    status: int
    delivery: WebhookDelivery | None = None
    refusal: str = ""


def _verdict(network: str, *, secret: str, body: bytes, headers: Any) -> sig.Verdict:
    if network == Network.LINKEDIN:
        return sig.linkedin_signature(secret=secret, body=body, header=headers.get("X-LI-Signature"))
    return sig.meta_signature(secret=secret, body=body, header=headers.get("X-Hub-Signature-256"))


def _named_accounts(network: str, body: bytes) -> list[str]:
    """The accounts an (untrusted) body names, for counting refusals per channel; [] when unreadable."""
    try:
        payload = json.loads(body[:MAX_BODY_BYTES])
    except ValueError:
        return []
    reader = linkedin_webhooks.account_ids if network == Network.LINKEDIN else meta_webhooks.account_ids
    return reader(payload)


def _channels_for(network: str, account_ids: list[str]) -> list[Channel]:
    networks = list(META) if network in META else [network]
    return list(Channel.objects.filter(network__in=networks, external_id__in=account_ids))


def _refuse(network: str, refusal: str, body: bytes, *, status: int) -> Receipt:
    accounts = _named_accounts(network, body)
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
        channel_ids = [c.pk for c in _channels_for(network, accounts)]
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
    """Check and record one POST to the webhook URL; enqueue its processing once recorded."""
    secret = app_secret(network)
    if not secret:
        return _refuse(network, WebhookDelivery.Refusal.NOT_CONFIGURED, body, status=403)
    verdict = _verdict(network, secret=secret, body=body, headers=headers)
    if verdict != sig.Verdict.VALID:
        return _refuse(network, str(verdict), body, status=403)
    digest = hashlib.sha256(body).hexdigest()
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                network=network,
                digest=digest,
                # What the signature covered, as text: a NUL cannot be stored (JSON never has a raw one).
                body=body.decode("utf-8", "replace").replace("\x00", "\ufffd"),
                account_ids=_named_accounts(network, body),
            )
    except IntegrityError:
        # The same signed body again: a retry of one we already have, or someone replaying a captured
        # one. Answered 200 so the network stops retrying; nothing is processed twice.
        return _refuse(network, WebhookDelivery.Refusal.REPLAY, body, status=200)
    from networks.tasks import enqueue_webhook

    enqueue_webhook(delivery.pk)
    return Receipt(200, delivery)


def webhook_handshake_meta(*, network: str, mode: str, token: str, challenge: str) -> str | None:
    """Meta's GET verification: the challenge to echo, or None (answered 403)."""
    app = registry.app_config(network)
    return sig.meta_handshake(
        verify_token=app.webhook_verify_token if app else "", mode=mode, token=token, challenge=challenge
    )


def webhook_handshake_linkedin(*, challenge_code: str) -> dict[str, str] | None:
    """LinkedIn's GET validation: the JSON to answer with, or None when no client secret is configured."""
    secret = app_secret(Network.LINKEDIN)
    # LinkedIn's codes are UUIDs; anything long is not LinkedIn, and is not echoed back.
    if not secret or not challenge_code or len(challenge_code) > sig.MAX_CHALLENGE:
        return None
    return {
        "challengeCode": challenge_code,
        "challengeResponse": sig.linkedin_challenge_response(secret=secret, challenge_code=challenge_code),
    }

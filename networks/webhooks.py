"""Webhooks as accelerators: what Meta and LinkedIn push is stored through the poll's own path, and the
channel is polled at once; the poll stays the source of truth and the catch-up after any outage.

The request does the minimum (Meta retries an endpoint that answers slowly): check the signature, record
the delivery row (its body digest is the replay guard: one row per network and body), enqueue its
processing. `webhook_delivery_process` then reads it into items, stores them with `items_fetched` exactly as
a poll does (the unique (channel, external_id) constraint makes a delivery and the poll's copy one message),
and marks the channels it names due. A delivery whose task never reached the broker is handed out again by
`webhook_deliveries_sweep`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from core.http import worker_client
from networks import normalise, registry
from networks import webhook_signatures as sig
from networks.models import Channel, ChannelWebhookState, Network, WebhookDelivery
from networks.providers import base as p
from networks.providers import linkedin_webhooks, meta_webhooks
from networks.providers.facebook import FacebookProvider
from networks.providers.graph import GraphProvider

log = logging.getLogger(__name__)

#: Deliveries (and entries) older than this are not processed: a replay of a captured delivery, or a retry
#: so late the poll has long since fetched what it carried. Meta retries for up to 36 hours; LinkedIn for 8.
REPLAY_WINDOW = dt.timedelta(hours=48)
#: How long a received delivery may wait for its task before the sweeper hands it out again.
SWEEP_AFTER = dt.timedelta(seconds=60)
#: A claimed delivery belongs to its worker this long (the task's hard limit is 90 s): a second copy of its
#: task finds it taken and does nothing; after a crash, the sweeper hands it out again.
CLAIM_LEASE = dt.timedelta(minutes=2)
MAX_ATTEMPTS = 5
#: Deliveries are kept this long (a little beyond the replay window, for the health page and admin).
KEEP_FOR = dt.timedelta(days=7)
#: A Messenger conversation found for a person is remembered this long (one Graph call per person a day).
CONVERSATION_CACHE_SECONDS = 24 * 3600
#: A post's words and address, read for comments whose delivery lacks them, are remembered this long.
POST_CACHE_SECONDS = 3600
#: Meta batches up to 1,000 changes per delivery; bodies are small. Anything larger is not Meta's.
MAX_BODY_BYTES = 1_000_000

WEBHOOK_NETWORKS = (Network.FACEBOOK, Network.INSTAGRAM, Network.LINKEDIN)
_META = (Network.FACEBOOK, Network.INSTAGRAM)


@dataclass(frozen=True)
class Receipt:
    """How the request is answered: its status, and the delivery row when one was accepted."""

    status: int
    delivery: WebhookDelivery | None = None
    refusal: str = ""


def webhook_url(network: str) -> str:
    """The address to give the network's app dashboard for `network`'s webhooks."""
    return settings.SITE_URL + reverse("network_webhook", args=[network])


def _app_secret(network: str) -> str:
    app = registry.app_config(network)
    return app.client_secret if app else ""


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
    networks = list(_META) if network in _META else [network]
    return list(Channel.objects.filter(network__in=networks, external_id__in=account_ids))


def _ensure_states(channel_ids: list[int]) -> None:
    ChannelWebhookState.objects.bulk_create(
        [ChannelWebhookState(channel_id=pk) for pk in channel_ids], ignore_conflicts=True
    )


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
            _ensure_states(channel_ids)
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
    secret = _app_secret(network)
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
    secret = _app_secret(Network.LINKEDIN)
    # LinkedIn's codes are UUIDs; anything long is not LinkedIn, and is not echoed back.
    if not secret or not challenge_code or len(challenge_code) > sig.MAX_CHALLENGE:
        return None
    return {
        "challengeCode": challenge_code,
        "challengeResponse": sig.linkedin_challenge_response(secret=secret, challenge_code=challenge_code),
    }


# --- Processing ---------------------------------------------------------------------------------------


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """The conditional UPDATE whose row count says who won: one worker processes a delivery at a time,
    however many copies of its task the sweeper and the broker's redeliveries made."""
    now = timezone.now()
    won = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.RECEIVED)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    return WebhookDelivery.objects.filter(pk=delivery_id).first() if won else None


def webhook_delivery_process(delivery_id: int) -> WebhookDelivery | None:
    """Store what one delivery carries and mark its channels due. Returns the delivery, or None when it is
    gone or already processed. A bad payload is recorded as failed (logged, counted), never raised: the
    network was answered long ago and retrying it cannot make it better."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    try:
        payload = json.loads(delivery.body)
        reader = linkedin_webhooks.parse if delivery.network == Network.LINKEDIN else meta_webhooks.parse
        parsed = reader(payload, now=timezone.now(), max_age=REPLAY_WINDOW)
    except ValueError as exc:
        log.warning(
            "webhook delivery is not a payload we read", extra={"delivery": delivery.pk, "error": str(exc)}
        )
        return _finish(delivery, WebhookDelivery.Status.FAILED, error=f"Malformed payload: {exc}"[:500])
    try:
        stored = _apply(parsed.events)
    except Exception as exc:
        # The database or a bug: the row stays `received` for the sweeper, up to MAX_ATTEMPTS.
        log.exception("webhook delivery processing failed", extra={"delivery": delivery.pk})
        if delivery.attempts >= MAX_ATTEMPTS:
            return _finish(delivery, WebhookDelivery.Status.FAILED, error=str(exc)[:500])
        with contextlib.suppress(DatabaseError):  # let the task's retry claim it at once
            WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=None)
        raise
    return _finish(
        delivery,
        WebhookDelivery.Status.PROCESSED,
        events=len(parsed.events),
        stored=stored,
        skipped=parsed.skipped,
        stale=parsed.stale,
    )


def _finish(delivery: WebhookDelivery, status: str, **fields: Any) -> WebhookDelivery:
    delivery.status = status
    delivery.processed_at = timezone.now()
    for name, value in fields.items():
        setattr(delivery, name, value)
    delivery.save(update_fields=["status", "processed_at", *fields])
    return delivery


def _apply(events: list[meta_webhooks.WebhookEvent]) -> int:
    by_account: dict[tuple[str, str], list[meta_webhooks.WebhookEvent]] = defaultdict(list)
    for event in events:
        by_account[(str(event.network), event.account_id)].append(event)
    stored = 0
    now = timezone.now()
    for (network, account), group in by_account.items():
        # The same account may be connected in several workspaces (an agency and its client): each gets it.
        channels = Channel.objects.filter(network=network, external_id=account).exclude(
            status=Channel.Status.PAUSED
        )
        for channel in channels:
            stored += _apply_to_channel(channel, group, now)
    return stored


def _apply_to_channel(channel: Channel, events: list[meta_webhooks.WebhookEvent], now: dt.datetime) -> int:
    items = [e.item for e in events if e.hint == meta_webhooks.Hint.STORE and e.item is not None]
    items = _with_post_context(channel, items)
    messages = [e for e in events if e.hint == meta_webhooks.Hint.MESSAGE and e.item is not None]
    if messages:
        items += _filed_messages(channel, messages)
    clean, _unstorable = normalise.items(items, channel_id=channel.pk)
    from networks.tasks import store_items

    with transaction.atomic():
        kept, _refused = store_items(channel, clean) if clean else ([], 0)
        _ensure_states([channel.pk])
        ChannelWebhookState.objects.filter(channel_id=channel.pk).update(
            last_delivery_at=now,
            deliveries=F("deliveries") + 1,
            stored=F("stored") + len(kept),
        )
        ChannelWebhookState.objects.filter(channel_id=channel.pk, subscribed_at__isnull=True).update(
            subscribed_at=now
        )
        # Whatever the delivery only summarised (edits, removals, mentions, visitor posts, a DM whose
        # conversation could not be named), and anything it did not say: the poll fetches it now.
        Channel.objects.filter(pk=channel.pk, status=Channel.Status.ACTIVE, next_poll_at__gt=now).update(
            next_poll_at=now
        )
    return len(kept)


def _with_post_context(channel: Channel, items: list[p.EngagementItem]) -> list[p.EngagementItem]:
    """Comments carry the post they are under by id; the inbox shows the post's words and link beside a
    thread, as the poll stores them. Read once per post (then remembered); without them the comment is
    stored all the same."""
    wanted = {
        i.post_external_id for i in items if i.post_external_id and not (i.post_text and i.post_permalink)
    }
    if not wanted or channel.network not in _META:
        return items
    found: dict[str, tuple[str, str]] = {}
    provider: GraphProvider | None = None
    for post_id in wanted:
        key = f"webhooks:post:{channel.pk}:{post_id}"
        context = cache.get(key)
        if context is None:
            try:
                provider = provider or _graph(channel)
                context = provider.post_context(post_id)
            except p.ProviderError as exc:
                log.info(
                    "post of a webhook comment not read",
                    extra={"channel": channel.pk, "error": type(exc).__name__},
                )
                continue
            cache.set(key, list(context), POST_CACHE_SECONDS)
        found[post_id] = (context[0], context[1])
    filled = []
    for item in items:
        text, link = found.get(item.post_external_id, ("", ""))
        filled.append(
            replace(
                item,
                post_text=item.post_text or text,
                post_permalink=item.post_permalink or link,
                permalink=item.permalink or link,
            )
        )
    return filled


def _filed_messages(channel: Channel, events: list[meta_webhooks.WebhookEvent]) -> list[p.EngagementItem]:
    """DMs filed in the conversation the poll files them in. The payload names only the sender, so the
    conversation is asked of Graph once per person (then remembered); a DM whose conversation cannot be
    named is left to the poll, which this delivery makes due."""
    if channel.network != Network.FACEBOOK:
        return []  # Instagram DMs: the poll reads them (their conversations live on the linked Page)
    filed: list[p.EngagementItem] = []
    provider: FacebookProvider | None = None
    http = worker_client()  # the worker's shared client: not closed here
    for event in events:
        assert event.item is not None
        key = f"webhooks:conversation:{channel.pk}:{event.customer_id}"
        found = cache.get(key)
        if found is None:
            try:
                provider = provider or _facebook(channel, http)
                found = provider.conversation_with(event.customer_id)
            except p.ProviderError as exc:
                log.info(
                    "conversation of a webhook DM not found; the poll will read it",
                    extra={"channel": channel.pk, "error": type(exc).__name__},
                )
                continue
            if found is None:
                continue
            cache.set(key, list(found), CONVERSATION_CACHE_SECONDS)
        conversation_id, link, name = found
        author = event.item.author
        if author is not None and author.external_id == event.customer_id and name:
            author = replace(author, name=name, profile_url=f"https://www.facebook.com/{author.external_id}")
        filed.append(
            replace(event.item, thread_root_external_id=conversation_id, permalink=link, author=author)
        )
    return filed


def _graph(channel: Channel) -> GraphProvider:
    provider = registry.build_provider(channel, http=worker_client())
    assert isinstance(provider, GraphProvider)
    return provider


def _facebook(channel: Channel, http) -> FacebookProvider:
    provider = registry.build_provider(channel, http=http)
    assert isinstance(provider, FacebookProvider)
    return provider


def webhook_deliveries_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Deliveries recorded but not processed after a while (the broker refused the task, a worker died):
    enqueued again. Those that failed MAX_ATTEMPTS times are marked failed and left for admin to see."""
    now = now or timezone.now()
    pending = WebhookDelivery.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE),
        status=WebhookDelivery.Status.RECEIVED,
        received_at__lte=now - SWEEP_AFTER,
    )
    pending.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=WebhookDelivery.Status.FAILED, processed_at=now, error="Gave up after repeated failures."
    )
    ids = list(
        pending.filter(attempts__lt=MAX_ATTEMPTS).order_by("received_at").values_list("pk", flat=True)[:500]
    )
    from networks.tasks import enqueue_webhook

    for pk in ids:
        enqueue_webhook(pk)
    return ids


def webhook_deliveries_prune(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _detail = WebhookDelivery.objects.filter(received_at__lt=now - KEEP_FOR).delete()
    return deleted


# --- Subscribing ----------------------------------------------------------------------------------------


def channel_webhooks_subscribe(*, channel: Channel) -> bool:
    """Ask the network to send this channel's events to our webhook URL, where the API allows it (a
    Facebook Page installs the app with `subscribed_apps`). Instagram follows its Page's subscription and
    the app's dashboard; LinkedIn subscriptions are made per member and organization in LinkedIn's portal.
    Records the outcome on the channel's webhook state; True when subscribed."""
    if channel.network != Network.FACEBOOK:
        return False
    _ensure_states([channel.pk])
    try:
        _facebook(channel, worker_client()).webhook_subscribe()
    except p.ProviderError as exc:
        ChannelWebhookState.objects.filter(channel_id=channel.pk).update(subscribe_error=str(exc)[:500])
        log.warning("webhook subscription failed", extra={"channel": channel.pk, "error": str(exc)[:300]})
        return False
    ChannelWebhookState.objects.filter(channel_id=channel.pk).update(
        subscribed_at=timezone.now(), subscribe_error=""
    )
    return True

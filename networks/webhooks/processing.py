"""Processing a recorded delivery: read into the items a poll returns, stored through the poll's own path
(the unique (channel, external_id) constraint makes a delivery and the poll's copy one message), and the
channels it names made due for a poll. Claimed with a lease; swept when its task never ran; pruned."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections import defaultdict
from dataclasses import replace
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from networks import normalise
from networks.models import Channel, ChannelWebhookState, WebhookDelivery
from networks.providers import base as p
from networks.providers.webhooks_base import Hint, WebhookEvent
from networks.signals import items_reread
from networks.webhooks.common import REPLAY_WINDOW, ensure_states, provider_for, receiver

log = logging.getLogger(__name__)

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
        door = receiver(delivery.network)
        if door is None:
            raise ValueError(f"{delivery.network} does not push")
        parsed = door.parse(json.loads(delivery.body), now=timezone.now(), max_age=REPLAY_WINDOW)
    except ValueError as exc:
        log.warning(
            "webhook delivery is not a payload we read", extra={"delivery": delivery.pk, "error": str(exc)}
        )
        return _finish(delivery, WebhookDelivery.Status.FAILED, error=f"Malformed payload: {exc}"[:500])
    try:
        stored = pushed_events_apply(parsed.events)
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


def pushed_events_apply(events: list[WebhookEvent], *, streamed: bool = False) -> int:
    """Store what pushed events carry, for every channel of the accounts they name; how many messages
    were stored. Webhook deliveries and streams (networks.streams) both come this way. A stream's events
    are counted on its own StreamState, not as webhook deliveries, and make a channel due only when one
    of them summarises something the poll must read (Hint.POLL): a stream delivers complete items all day
    long, and a poll after each would only spend the network's rate limit."""
    by_account: dict[tuple[str, str], list[WebhookEvent]] = defaultdict(list)
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
            stored += _apply_to_channel(channel, group, now, streamed=streamed)
    return stored


def _apply_to_channel(
    channel: Channel, events: list[WebhookEvent], now: dt.datetime, *, streamed: bool = False
) -> int:
    items = [e.item for e in events if e.hint == Hint.STORE and e.item is not None]
    items = _with_post_context(channel, items)
    messages = [e for e in events if e.hint == Hint.MESSAGE and e.item is not None]
    filed = _filed_messages(channel, messages) if messages else []
    reads = [e for e in events if e.hint == Hint.READ]
    read = _read_pushed(channel, reads)
    items += filed + read
    # A DM whose conversation was not found, a post that could not be read: the poll's to catch.
    unresolved = len(messages) - len(filed) + len(reads) - len(read)
    clean, _unstorable = normalise.items(items, channel_id=channel.pk)
    edits = [e.item for e in events if e.hint == Hint.EDIT and e.item is not None]
    edited, _unstorable_edits = normalise.items(edits, channel_id=channel.pk)
    from networks.tasks import store_items

    with transaction.atomic():
        kept, _refused = store_items(channel, clean) if clean else ([], 0)
        if edited:
            # After the new items: an edit pushed with the message it changes finds it stored.
            items_reread.send(sender=Channel, channel=channel, items=[], listings=[], edited=edited)
        if not streamed:
            ensure_states([channel.pk])
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
        if not streamed or unresolved or any(e.hint == Hint.POLL for e in events):
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
    if not wanted:
        return items
    found: dict[str, tuple[str, str]] = {}
    provider: p.Provider | None = None
    for post_id in wanted:
        key = f"webhooks:post:{channel.pk}:{post_id}"
        context = cache.get(key)
        if context is None:
            try:
                provider = provider or provider_for(channel)
                context = provider.post_context(post_id)
            except Exception as exc:  # the network's error, or a payload its parser did not expect
                _not_read("post of a webhook comment not read", channel, exc)
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


def _read_pushed(channel: Channel, events: list[WebhookEvent]) -> list[p.EngagementItem]:
    """What a delivery named by ids only and the poll cannot list (an Instagram @mention), read from the
    network; one that cannot be read is logged and counted as the poll's to catch, never a failed delivery."""
    found: list[p.EngagementItem] = []
    provider: p.Provider | None = None
    for event in events:
        try:
            provider = provider or provider_for(channel)
            item = provider.read_pushed(event.what, event.refs)
        except Exception as exc:  # one unreadable item must not hold back the others, nor a stream
            _not_read("webhook item not read", channel, exc)
            continue
        if item is not None:
            found.append(item)
    return found


def _filed_messages(channel: Channel, events: list[WebhookEvent]) -> list[p.EngagementItem]:
    """DMs filed in the conversation the poll files them in. The payload names only the sender, so the
    conversation is asked of the network once per person (then remembered); a DM whose conversation the
    provider cannot name is left to the poll, which this delivery makes due."""
    filed: list[p.EngagementItem] = []
    provider: p.Provider | None = None
    for event in events:
        assert event.item is not None
        key = f"webhooks:dm-thread:{channel.pk}:{event.customer_id}"
        thread = cache.get(key)
        if not isinstance(thread, p.DmThread):
            try:
                provider = provider or provider_for(channel)
                thread = provider.conversation_with(event.customer_id)
            except Exception as exc:
                _not_read("conversation of a webhook DM not found; the poll will read it", channel, exc)
                continue
            if thread is None:
                continue
            cache.set(key, thread, CONVERSATION_CACHE_SECONDS)
        author = event.item.author
        known = thread.customer
        if author is not None and known is not None and author.external_id == known.external_id:
            # The poll names the person as the thread does: the same contact, whichever copy comes first.
            author = replace(
                author,
                name=known.name or author.name,
                handle=known.handle or author.handle,
                profile_url=known.profile_url or author.profile_url,
            )
        filed.append(
            replace(
                event.item,
                thread_root_external_id=thread.conversation_id,
                permalink=thread.permalink,
                author=author,
            )
        )
    return filed


def _not_read(what: str, channel: Channel, exc: Exception) -> None:
    """What a push named could not be read: the network's refusal is routine (logged), anything else is a
    payload or a bug nobody expected (logged with its traceback); either way the poll brings it."""
    if isinstance(exc, DatabaseError):
        raise exc
    if isinstance(exc, p.ProviderError):
        log.info(what, extra={"channel": channel.pk, "error": type(exc).__name__})
    else:
        log.exception(what, extra={"channel": channel.pk, "error": type(exc).__name__})


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

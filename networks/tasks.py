"""Polling: beat ticks dispatch_polls, which claims due channels; poll_channel fetches and hands the items
to the storing apps inside the transaction that advances the cursor. Tasks take ids and call services."""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from celery import shared_task
from django.conf import settings
from django.db import DataError, IntegrityError, OperationalError, transaction
from django.db.models import Count
from django.utils import timezone

from core.http import make_client, worker_client
from core.queue import enqueue
from networks import normalise, registry, services
from networks.models import Channel, PollRun
from networks.providers import base as p
from networks.signals import items_fetched, items_reread

log = logging.getLogger(__name__)

DISPATCH_BATCH = 200
# A claimed poll counts against its network's cap until it finishes, or for this long at most.
POLL_IN_FLIGHT_FOR = dt.timedelta(minutes=3)
# Items per run, fetched and stored in chunks; a channel with more comes back a second later (has_more).
POLL_CHUNK = 500
POLL_BUDGET = 2000
# What one item can make the database refuse (its data, not the database's health): storing item by item
# isolates it. Anything else (the database gone, a bug of ours) fails the poll and leaves the cursor.
ITEM_REFUSALS = (DataError, IntegrityError, ValueError, TypeError)


@shared_task(name="networks.dispatch_polls", ignore_result=True, soft_time_limit=20, time_limit=30)
def dispatch_polls() -> int:
    """Claim due channels and enqueue one poll each. Several dispatchers may run: skip_locked splits
    the rows between them, and pushing next_poll_at forward in the same transaction makes each claim
    happen once. Each network gets at most its concurrency cap of polls in flight, so one network's
    backlog never takes every worker (and its rate limits) at once."""
    now = timezone.now()
    in_flight = _polls_in_flight(now)
    claimed: list[int] = []
    with transaction.atomic():
        for network, spec in registry.SPECS.items():
            cap = settings.CMHUB_POLL_CONCURRENCY.get(network, spec.provider_class.poll_concurrency)
            slots = min(cap - in_flight.get(network, 0), DISPATCH_BATCH - len(claimed))
            if slots <= 0:
                continue
            due = list(
                Channel.objects.due(now)
                .filter(network=network)
                .select_for_update(skip_locked=True)
                .order_by("next_poll_at")
                .values_list("pk", "poll_interval")[:slots]
            )
            next_poll_at = registry.next_poll_at(network, now) if due else None
            for pk, interval in due:
                assert next_poll_at is not None
                Channel.objects.filter(pk=pk).update(next_poll_at=next_poll_at(interval), poll_started_at=now)
                claimed.append(pk)
        for pk in claimed:
            enqueue(poll_channel, pk)
    return len(claimed)


def _polls_in_flight(now) -> dict[str, int]:
    """Polls claimed and not finished yet, per network (a crashed poll stops counting after a while)."""
    since = now - POLL_IN_FLIGHT_FOR
    rows = (
        Channel.objects.filter(poll_started_at__gte=since)
        .values("network")
        .annotate(n=Count("pk"))
        .values_list("network", "n")
    )
    return dict(rows)


@shared_task(
    name="networks.poll_channel",
    ignore_result=True,
    soft_time_limit=120,
    time_limit=150,
    # A rerun is safe: the cursor only moves with the stored items, and storage is idempotent.
    acks_late=True,
)
def poll_channel(channel_id: int) -> None:
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return
    try:
        if channel.status in (Channel.Status.ACTIVE, Channel.Status.ERROR):
            poll_once(channel)
    finally:
        Channel.objects.filter(pk=channel_id).update(poll_started_at=None)


def poll_once(channel: Channel, *, http=None) -> PollRun:
    """One poll of one channel: up to POLL_BUDGET items, in chunks. Each chunk is stored with its cursor
    in its own transaction (so a crash loses nothing and a replay stores nothing twice), while the next
    chunk is already being fetched: the network's latency and the database's overlap."""
    started_at = timezone.now()
    client = http or worker_client()
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"poll-{channel.pk}") as prefetch:
            return _poll_chunks(channel, client, prefetch, started_at)
    except Exception as exc:
        # Whatever went wrong (a bug, the database, a time limit), the channel says so on its health page
        # and backs off: a poll never fails silently. What was stored before stays stored.
        log.exception("poll crashed", extra={"channel": channel.pk, "network": channel.network})
        return services.channel_poll_failed(channel=channel, error=exc, started_at=started_at)


def _poll_chunks(channel: Channel, client, prefetch: ThreadPoolExecutor, started_at) -> PollRun:
    try:
        provider = registry.build_provider(channel, http=client)
        services.channel_refresh_if_expiring(channel, provider)
        try:
            result = provider.poll(cursor=channel.cursor or {}, max_items=POLL_CHUNK)
        except p.AuthExpired:
            if not services.channel_refresh_if_expiring(channel, provider, force=True):
                raise
            provider = registry.build_provider(channel, http=client)
            result = provider.poll(cursor=channel.cursor or {}, max_items=POLL_CHUNK)
    except p.ProviderError as exc:
        return services.channel_poll_failed(channel=channel, error=exc, started_at=started_at)

    expected_cursor = channel.cursor or {}
    for chunk in range(POLL_BUDGET // POLL_CHUNK):
        last = chunk == POLL_BUDGET // POLL_CHUNK - 1
        upcoming = None
        if result.has_more and not last:
            # Fetch the next chunk while this one is stored; the cursor it starts from is already known.
            upcoming = prefetch.submit(provider.poll, cursor=result.cursor, max_items=POLL_CHUNK)
        run = _store_chunk(channel, expected_cursor, result, provider, started_at)
        if run is None or upcoming is None:
            if upcoming is not None:
                upcoming.cancel()
            return run or _superseded(channel, provider, started_at)
        expected_cursor = result.cursor
        try:
            result = upcoming.result()
        except p.ProviderError as exc:
            return services.channel_poll_failed(channel=channel, error=exc, started_at=timezone.now())
        started_at = timezone.now()
    return run


def _store_chunk(channel: Channel, expected_cursor: dict, result: p.PollResult, provider, started_at):
    """Store one chunk with its cursor; None when another poll of the channel moved the cursor first.

    The cursor moves past an item only when it was stored or deliberately skipped (it cannot be stored:
    normalise says so, or the database refused it on its own); any other failure rolls the chunk back."""
    items, unstorable = normalise.items(result.items, channel_id=channel.pk)
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        if (locked.cursor or {}) != expected_cursor:
            log.info("poll superseded", extra={"channel": channel.pk})
            return None
        stored, refused = _store_items(locked, items)
        _store_reread(locked, result)
        stored_result = replace(result, items=stored, skipped=result.skipped + unstorable + refused)
        return services.channel_poll_succeeded(
            channel=locked, result=stored_result, rate_limit=provider.rate_limit, started_at=started_at
        )


def _store_items(channel: Channel, items: list[p.EngagementItem]) -> tuple[list[p.EngagementItem], int]:
    """Hand the items to the storing apps at once; when the database refuses the chunk, item by item, each
    in its own savepoint, so one bad row cannot hold back the others. Returns what was stored and how many
    items were refused."""
    backfill = channel.backfill_status != Channel.Backfill.DONE
    try:
        with transaction.atomic():
            items_fetched.send(sender=Channel, channel=channel, items=items, backfill=backfill)
        return items, 0
    except ITEM_REFUSALS as exc:
        log.warning(
            "chunk refused; storing item by item", extra={"channel": channel.pk, "error": str(exc)[:300]}
        )
    stored = []
    for item in items:
        try:
            with transaction.atomic():
                items_fetched.send(sender=Channel, channel=channel, items=[item], backfill=backfill)
        except ITEM_REFUSALS as exc:
            log.warning(
                "skipped an item the database refused",
                extra={"channel": channel.pk, "id": item.external_id, "error": str(exc)[:300]},
            )
            continue
        stored.append(item)
    return stored, len(items) - len(stored)


def _store_reread(channel: Channel, result: p.PollResult) -> None:
    """What the poll read again (edits) and listed completely (deletions), in a savepoint of its own: a
    refusal here is logged and costs the re-read, never the new items or the cursor."""
    if not result.reread and not result.listings and not result.gone:
        return
    items, _unstorable = normalise.items(list(result.reread), channel_id=channel.pk)
    try:
        with transaction.atomic():
            items_reread.send(
                sender=Channel,
                channel=channel,
                items=items,
                listings=list(result.listings),
                gone=list(result.gone),
            )
    except ITEM_REFUSALS as exc:
        log.warning("re-read refused", extra={"channel": channel.pk, "error": str(exc)[:300]})


def _superseded(channel: Channel, provider, started_at) -> PollRun:
    """Another poll committed first; its items include ours. Record an empty, successful run."""
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        return services.channel_poll_succeeded(
            channel=locked,
            result=p.PollResult(items=[], cursor=locked.cursor),
            rate_limit=provider.rate_limit,
            started_at=started_at,
        )


@shared_task(name="networks.refresh_tokens", ignore_result=True, soft_time_limit=300, time_limit=360)
def refresh_tokens() -> int:
    """Renew tokens about to expire where the network allows it, each network with its own margin (an
    Instagram token lives 60 days; an X token lives 2 hours and is also renewed right before a poll)."""
    now = timezone.now()
    refreshed = 0
    with make_client() as http:
        for network, spec in registry.SPECS.items():
            if not (spec.refreshable or spec.refresh_needs_token):
                continue
            channels = Channel.objects.filter(
                network=network,
                token_expires_at__lte=now + spec.refresh_ahead,
                status__in=[Channel.Status.ACTIVE, Channel.Status.ERROR],
            )
            for channel in channels:
                if not spec.renewable(channel):
                    continue  # a LinkedIn token without a refresh token: warned about instead
                provider = registry.build_provider(channel, http=http)
                refreshed += services.channel_refresh_if_expiring(channel, provider)
    return refreshed


@shared_task(name="networks.warn_expiring_tokens", ignore_result=True, soft_time_limit=120, time_limit=180)
def warn_expiring_tokens() -> int:
    """Email admins once when a token that cannot be renewed (LinkedIn) enters its warning window."""
    from networks.selectors import expiring_soon

    candidates = Channel.objects.filter(
        token_expires_at__isnull=False, expiry_warned_at__isnull=True
    ).exclude(status=Channel.Status.PAUSED)
    warned = 0
    for channel in candidates:
        if expiring_soon(channel):
            with transaction.atomic():
                warned += services.channel_warn_expiry(channel=channel)
    return warned


@shared_task(name="networks.prune_poll_runs", ignore_result=True, soft_time_limit=120, time_limit=180)
def prune_poll_runs(days: int = 7) -> int:
    deleted, _detail = PollRun.objects.filter(
        started_at__lt=timezone.now() - dt.timedelta(days=days)
    ).delete()
    return deleted


# --- Webhooks (networks.webhooks): the accelerator; the poll above stays the source of truth -----------

#: What a webhook delivery stores goes through the poll's own storing step (same receivers, same guards).
store_items = _store_items


def enqueue_webhook(delivery_id: int) -> None:
    enqueue(process_webhook, delivery_id)


def enqueue_webhook_subscribe(channel_id: int) -> None:
    enqueue(subscribe_webhooks, channel_id)


@shared_task(
    name="networks.process_webhook",
    ignore_result=True,
    soft_time_limit=60,
    time_limit=90,
    # A rerun is safe: the delivery is claimed while `received`, and storage is idempotent.
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
)
def process_webhook(delivery_id: int) -> None:
    from networks import webhooks

    webhooks.webhook_delivery_process(delivery_id)


@shared_task(name="networks.sweep_webhooks", ignore_result=True, soft_time_limit=20, time_limit=30)
def sweep_webhooks() -> int:
    from networks import webhooks

    return len(webhooks.webhook_deliveries_sweep())


@shared_task(name="networks.prune_webhooks", ignore_result=True, soft_time_limit=120, time_limit=180)
def prune_webhooks() -> int:
    from networks import webhooks

    return webhooks.webhook_deliveries_prune()


@shared_task(
    name="networks.subscribe_webhooks",
    ignore_result=True,
    soft_time_limit=60,
    time_limit=90,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=10,
)
def subscribe_webhooks(channel_id: int) -> None:
    from networks import webhooks

    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is not None:
        webhooks.channel_webhooks_subscribe(channel=channel)

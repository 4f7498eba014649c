"""Polling: beat ticks dispatch_polls, which claims due channels; poll_channel fetches and hands the items
to the storing apps inside the transaction that advances the cursor. Tasks take ids and call services."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import replace

from celery import shared_task
from django import db
from django.conf import settings
from django.db import DataError, IntegrityError, OperationalError, transaction
from django.db.models import Count
from django.utils import timezone

from core import crypto
from core.db import bulk_update_rows
from core.http import make_client, worker_client
from core.queue import enqueue
from networks import normalise, registry, services
from networks.models import Channel, PollRun
from networks.providers import base as p
from networks.signals import items_fetched, items_reread

log = logging.getLogger(__name__)

DISPATCH_BATCH = 200
# Claimed polls per poll_channels task: enough to make the task's own cost small per poll, few enough
# that one worker process does not hold a large share of a tick's polls.
POLLS_PER_TASK = 10
# How long poll_channels waits for its polls: under its soft time limit, which pool threads never see.
POLL_TASK_WAIT = dt.timedelta(seconds=120)
# At most this many claims per tick (a tick has 20 s; a batch of 200 takes a few hundred milliseconds).
DISPATCH_LIMIT = 5000
# A claimed poll counts against its network's cap until it finishes, or for this long at most.
POLL_IN_FLIGHT_FOR = dt.timedelta(minutes=3)
# For this long after it starts, a poll_channels task claims the next due channel of its network each time
# one of its polls ends (the cap permitting): a network's cap bounds its polls in flight, not its polls per
# tick. Without it a cap of 4 allowed 4 polls per 5-second tick (48 a minute), whatever the workers could do.
POLL_HANDOFF_FOR = dt.timedelta(seconds=10)
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
    backlog never takes every worker (and its rate limits) at once.

    Claims go in batches until nothing is due or every cap is full: one tick must keep up with what
    falls due between ticks (10,000 channels polled every minute are 830 polls per 5-second tick)."""
    now = timezone.now()
    in_flight = _polls_in_flight(now)
    claimed = 0
    for network in registry.SPECS:
        room = _poll_cap(network) - in_flight.get(network, 0)
        while room > 0 and claimed < DISPATCH_LIMIT:
            with transaction.atomic():
                claims = _claim_due(network, now, min(room, DISPATCH_BATCH))
                for start in range(0, len(claims), POLLS_PER_TASK):  # sent at commit
                    enqueue(poll_channels, claims[start : start + POLLS_PER_TASK], network)
            claimed += len(claims)
            room -= len(claims)
            if len(claims) < DISPATCH_BATCH:
                break
    return claimed


def _poll_cap(network: str) -> int:
    """How many polls of `network` may be in flight at once (CMHUB_POLL_CONCURRENCY_<NETWORK>, else the
    provider's own)."""
    return settings.CMHUB_POLL_CONCURRENCY.get(
        network, registry.SPECS[network].provider_class.poll_concurrency
    )


def _claim_due(network: str, now: dt.datetime, slots: int) -> list[tuple[int, str]]:
    """Claim up to `slots` due channels of `network`, in the caller's transaction: [(id, due at)]."""
    due = list(
        Channel.objects.due(now)
        .filter(network=network)
        .select_for_update(skip_locked=True)
        .order_by("next_poll_at")
        .only("pk", "poll_interval", "next_poll_at")[:slots]
    )
    if not due:
        return []
    # The channel's own interval with a tenth of spread, or, where the network's quota is shared
    # (YouTube), the quota planner's (networks.quota), never sooner than the channel's interval.
    next_poll_at = registry.next_poll_at(network, now)
    claims = []
    for channel in due:
        claims.append((channel.pk, channel.next_poll_at.isoformat()))
        channel.next_poll_at = next_poll_at(channel.poll_interval)
        channel.poll_started_at = now
    # One array per column (PostgreSQL's UNNEST) rather than Django's CASE per row and column: in the
    # 3,000-channel poll bench, PostgreSQL's CPU per poll fell from 3.4 to 2.6 ms.
    bulk_update_rows(due, ["next_poll_at", "poll_started_at"])
    return claims


def _claim_handoff(network: str, ended: int) -> list[tuple[int, str]]:
    """In place of `ended` polls of `network` that just ended: the channels of that network now due, as
    many as its cap leaves room for."""
    now = timezone.now()
    with transaction.atomic():
        room = min(ended, _poll_cap(network) - _polls_in_flight(now, network).get(network, 0))
        return _claim_due(network, now, room) if room > 0 else []


def _polls_in_flight(now, network: str | None = None) -> dict[str, int]:
    """Polls claimed and not finished yet, per network (a crashed poll stops counting after a while)."""
    since = now - POLL_IN_FLIGHT_FOR
    rows = Channel.objects.filter(poll_started_at__gte=since)
    if network is not None:
        rows = rows.filter(network=network)
    return dict(rows.values("network").annotate(n=Count("pk")).values_list("network", "n"))


@shared_task(
    name="networks.poll_channels",
    ignore_result=True,
    soft_time_limit=150,
    time_limit=180,
    # A rerun is safe: the cursor only moves with the stored items, and storage is idempotent.
    acks_late=True,
)
def poll_channels(claims: list[tuple[int, str]], network: str | None = None) -> None:
    """Poll the claimed channels [(id, due at)] of `network` at once, each on a thread of the process's
    poll pool, and as each ends, the next due channel of that network in its place (POLL_HANDOFF_FOR).

    A poll mostly waits on the network (a real API answers in 100-500 ms), so one process keeps many in
    flight; one task per few channels keeps the broker's and the task machinery's cost per poll small.
    Each poll is its own unit: one failing is recorded on its channel and the others go on."""
    handoff_until = time.monotonic() + POLL_HANDOFF_FOR.total_seconds() if network else 0.0

    def handed_off(ended: int) -> list[tuple[int, str]]:
        if network is None or time.monotonic() >= handoff_until:
            return []
        return _claim_handoff(network, ended)

    shared: dict = {}  # the app and watch windows, read once for the task's polls (registry.build_provider)
    if settings.CMHUB_POLL_THREADS <= 1:
        # The embedded default (SQLite takes one writer at a time) polls in turn.
        queue = deque(claims)
        while queue:
            _poll_claimed(*queue.popleft(), shared)
            queue.extend(handed_off(1))
        return
    pool = _poll_pool()
    futures = {pool.submit(_poll_claimed, pk, due_at, shared): pk for pk, due_at in claims}
    # Celery's time limits reach the task's own thread only, never the pool's: the task waits a bounded
    # time and returns before its soft limit, and a poll still running finishes on its thread (its HTTP
    # calls have timeouts) and records its own outcome, as every poll does.
    wait_until = time.monotonic() + POLL_TASK_WAIT.total_seconds()
    # Ended polls are handed off a few at a time (half the task's size), one claim for several polls.
    ended, handoff_size = 0, max(1, len(claims) // 2)
    while futures:
        done, _running = wait(futures, timeout=wait_until - time.monotonic(), return_when=FIRST_COMPLETED)
        if not done:
            break
        for future in done:
            pk = futures.pop(future)
            if future.exception() is not None:  # a poll records its own failures: this is the database's
                log.error("poll could not be recorded", exc_info=future.exception(), extra={"channel": pk})
        ended += len(done)
        if ended >= handoff_size or not futures:
            for pk, due_at in handed_off(ended):
                futures[pool.submit(_poll_claimed, pk, due_at, shared)] = pk
            ended = 0
    if futures:
        log.warning("polls still running past the task's wait", extra={"channels": sorted(futures.values())})


@shared_task(
    name="networks.poll_channel",
    ignore_result=True,
    soft_time_limit=120,
    time_limit=150,
    acks_late=True,
)
def poll_channel(channel_id: int, due_at: str | None = None) -> None:
    """Poll one channel; `due_at` is when the dispatcher found it due (ISO 8601), kept on the poll run so
    lateness (start minus due) is measured where it happens (/metrics, the poll benchmark)."""
    _poll_claimed(channel_id, due_at)


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _poll_pool() -> ThreadPoolExecutor:
    """The process's poll threads (CMHUB_POLL_THREADS), made on first use; keyed by process id, so a
    forked worker child makes its own rather than inheriting threads that do not exist in it."""
    pid = os.getpid()
    pool = _pools.get(pid)
    if pool is None:
        with _pools_lock:
            pool = _pools.get(pid) or ThreadPoolExecutor(
                max_workers=settings.CMHUB_POLL_THREADS, thread_name_prefix="poll"
            )
            _pools[pid] = pool
    return pool


def _poll_claimed(channel_id: int, due_at: str | None, shared: dict | None = None) -> None:
    """One claimed poll. On a pool thread, the thread's database connection is kept from one poll to
    the next as a request's would be (CONN_MAX_AGE, health checks), and closed when broken or old."""
    try:
        _poll_one(channel_id, due_at, shared)
    finally:
        if threading.current_thread() is not threading.main_thread():
            db.connection.close_if_unusable_or_obsolete()


def _poll_one(channel_id: int, due_at: str | None, shared: dict | None) -> None:
    try:
        channel = Channel.objects.filter(pk=channel_id).first()
    except crypto.CredentialsUnreadable:
        # Read without them: the poll needs them, fails, and says so on the channel (a reconnect).
        channel = Channel.objects.filter(pk=channel_id).defer("credentials").first()
    if channel is None:
        return
    if channel.status not in (Channel.Status.ACTIVE, Channel.Status.ERROR):
        Channel.objects.filter(pk=channel_id).update(poll_started_at=None)
        return
    try:
        # The run's own save ends the claim (poll_started_at).
        poll_once(channel, due_at=_parsed(due_at), shared=shared)
    except BaseException:
        Channel.objects.filter(pk=channel_id).update(poll_started_at=None)
        raise


def _parsed(value: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None  # a message from an older dispatcher, or garbage: lateness is then unknown


def poll_once(
    channel: Channel, *, http=None, due_at: dt.datetime | None = None, shared: dict | None = None
) -> PollRun:
    """One poll of one channel: up to POLL_BUDGET items, in chunks. Each chunk is stored with its cursor
    in its own transaction (so a crash loses nothing and a replay stores nothing twice), while the next
    chunk is already being fetched: the network's latency and the database's overlap."""
    started_at = timezone.now()
    client = http or worker_client()
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"poll-{channel.pk}") as prefetch:
            return _poll_chunks(channel, client, prefetch, started_at, due_at, shared)
    except Exception as exc:
        # Whatever went wrong (a bug, the database, a time limit), the channel says so on its health page
        # and backs off: a poll never fails silently. What was stored before stays stored.
        log.exception("poll crashed", extra={"channel": channel.pk, "network": channel.network})
        return services.channel_poll_failed(channel=channel, error=exc, started_at=started_at, due_at=due_at)


def _poll_chunks(
    channel: Channel, client, prefetch: ThreadPoolExecutor, started_at, due_at, shared: dict | None
) -> PollRun:
    try:
        provider = registry.build_provider(channel, http=client, shared=shared)
        services.channel_refresh_if_expiring(channel, provider)
        try:
            result = provider.poll(cursor=channel.cursor or {}, max_items=POLL_CHUNK)
        except p.AuthExpired:
            if not services.channel_refresh_if_expiring(channel, provider, force=True):
                raise
            provider = registry.build_provider(channel, http=client, shared=shared)
            result = provider.poll(cursor=channel.cursor or {}, max_items=POLL_CHUNK)
    except p.ProviderError as exc:
        return services.channel_poll_failed(channel=channel, error=exc, started_at=started_at, due_at=due_at)

    expected_cursor = channel.cursor or {}
    for chunk in range(POLL_BUDGET // POLL_CHUNK):
        last = chunk == POLL_BUDGET // POLL_CHUNK - 1
        upcoming = None
        if result.has_more and not last:
            # Fetch the next chunk while this one is stored; the cursor it starts from is already known.
            upcoming = prefetch.submit(provider.poll, cursor=result.cursor, max_items=POLL_CHUNK)
        run = _store_chunk(
            channel, expected_cursor, result, provider, started_at, due_at, channel_as_read=chunk == 0
        )
        due_at = None  # the poll's first run says when it was due; the chunks after it continue it
        if run is None or upcoming is None:
            if upcoming is not None:
                upcoming.cancel()
            if run is not None and result.has_more:
                # Stopped at its budget: the run is over (it comes back in a second, claimed anew), so it
                # no longer counts against its network's cap.
                Channel.objects.filter(pk=channel.pk).update(poll_started_at=None)
            return run or _superseded(channel, provider, started_at)
        expected_cursor = result.cursor
        try:
            result = upcoming.result()
        except p.ProviderError as exc:
            return services.channel_poll_failed(channel=channel, error=exc, started_at=timezone.now())
        started_at = timezone.now()
    return run


def _store_chunk(
    channel: Channel,
    expected_cursor: dict,
    result: p.PollResult,
    provider,
    started_at,
    due_at=None,
    *,
    channel_as_read: bool = False,
):
    """Store one chunk with its cursor; None when another poll of the channel moved the cursor first.
    `channel_as_read`: `channel` is as read before the poll (its first chunk), not updated since.

    The cursor moves past an item only when it was stored or deliberately skipped (it cannot be stored:
    normalise says so, or the database refused it on its own); any other failure rolls the chunk back."""
    items, unstorable = normalise.items(result.items, channel_id=channel.pk)
    if not result.items and not result.reread and not result.listings and not result.gone and channel_as_read:
        # Most polls find nothing: no lock and no second read of the channel, a conditional UPDATE instead
        # (the channel as read before the poll is still the stored one unless another poll succeeded since).
        with transaction.atomic():
            return services.channel_poll_succeeded(
                channel=channel,
                result=result,
                rate_limit=provider.rate_limit,
                started_at=started_at,
                due_at=due_at,
                unlocked=True,
            )
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        if (locked.cursor or {}) != expected_cursor:
            log.info("poll superseded", extra={"channel": channel.pk})
            return None
        stored, refused = _store_items(locked, items)
        _store_reread(locked, result)
        stored_result = replace(result, items=stored, skipped=result.skipped + unstorable + refused)
        return services.channel_poll_succeeded(
            channel=locked,
            result=stored_result,
            rate_limit=provider.rate_limit,
            started_at=started_at,
            due_at=due_at,
        )


def _store_items(channel: Channel, items: list[p.EngagementItem]) -> tuple[list[p.EngagementItem], int]:
    """Hand the items to the storing apps at once; when the database refuses the chunk, item by item, each
    in its own savepoint, so one bad row cannot hold back the others. Returns what was stored and how many
    items were refused."""
    if not items:
        return [], 0  # most polls find nothing new: no savepoint, no receivers
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
        run = services.channel_poll_succeeded(
            channel=locked,
            result=p.PollResult(items=[], cursor=locked.cursor),
            rate_limit=provider.rate_limit,
            started_at=started_at,
        )
    assert run is not None  # saved on the locked channel, never skipped
    return run


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

"""Polling: beat ticks dispatch_polls, which claims due channels; poll_channel fetches and hands the items
to the storing apps inside the transaction that advances the cursor. Tasks take ids and call services."""

from __future__ import annotations

import datetime as dt
import logging
import random

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from core.http import make_client
from networks import registry, services
from networks.models import Channel, PollRun
from networks.providers import base as p
from networks.signals import items_fetched

log = logging.getLogger(__name__)

DISPATCH_BATCH = 200
POLL_BUDGET = 500  # items per run; a channel with more comes back a second later (has_more)


@shared_task(name="networks.dispatch_polls", ignore_result=True, soft_time_limit=20, time_limit=30)
def dispatch_polls() -> int:
    """Claim due channels and enqueue one poll each. Several dispatchers may run: skip_locked splits
    the rows between them, and pushing next_poll_at forward in the same transaction makes each claim
    happen once."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Channel.objects.due(now)
            .select_for_update(skip_locked=True)
            .order_by("next_poll_at")
            .values_list("pk", "poll_interval")[:DISPATCH_BATCH]
        )
        for pk, interval in due:
            # Spread the next polls over a fraction of the interval so channels don't tick in lockstep.
            Channel.objects.filter(pk=pk).update(
                next_poll_at=now + dt.timedelta(seconds=interval + random.uniform(0, interval * 0.1))
            )
        for pk, _interval in due:
            transaction.on_commit(lambda pk=pk: poll_channel.delay(pk))
    return len(due)


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
    if channel is None or channel.status not in (Channel.Status.ACTIVE, Channel.Status.ERROR):
        return
    poll_once(channel)


def poll_once(channel: Channel, *, http=None) -> PollRun:
    """One poll of one channel, start to finish. Returns the recorded run."""
    started_at = timezone.now()
    client = http or make_client()
    try:
        provider = registry.build_provider(channel, http=client)
        _refresh_if_expiring(channel, provider)
        try:
            result = provider.poll(cursor=channel.cursor or {}, max_items=POLL_BUDGET)
        except p.AuthExpired:
            if not _refresh_if_expiring(channel, provider, force=True):
                raise
            provider = registry.build_provider(channel, http=client)
            result = provider.poll(cursor=channel.cursor or {}, max_items=POLL_BUDGET)
    except p.ProviderError as exc:
        return services.channel_poll_failed(channel=channel, error=exc, started_at=started_at)
    finally:
        if http is None:
            client.close()
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        if locked.cursor != channel.cursor:
            # Another poll of this channel committed first; its items include ours. Nothing to do.
            log.info("poll superseded", extra={"channel": channel.pk})
            return services.channel_poll_succeeded(
                channel=locked,
                result=p.PollResult(items=[], cursor=locked.cursor),
                rate_limit=provider.rate_limit,
                started_at=started_at,
            )
        items_fetched.send(
            sender=Channel,
            channel=locked,
            items=result.items,
            backfill=locked.backfill_status != Channel.Backfill.DONE,
        )
        return services.channel_poll_succeeded(
            channel=locked, result=result, rate_limit=provider.rate_limit, started_at=started_at
        )


def _refresh_if_expiring(channel: Channel, provider: p.Provider, *, force: bool = False) -> bool:
    spec = registry.SPECS[channel.network]
    if not spec.refreshable:
        return False
    expiring = channel.token_expires_at and channel.token_expires_at <= timezone.now() + spec.refresh_ahead
    if not (force or expiring):
        return False
    try:
        credentials = provider.refresh_credentials()
    except p.ProviderError:
        return False
    services.channel_credentials_refreshed(channel=channel, credentials=credentials)
    return True


@shared_task(name="networks.refresh_tokens", ignore_result=True, soft_time_limit=300, time_limit=360)
def refresh_tokens() -> int:
    """Renew tokens about to expire where the network allows it, each network with its own margin (an
    Instagram token lives 60 days; an X token lives 2 hours and is also renewed right before a poll)."""
    now = timezone.now()
    refreshed = 0
    with make_client() as http:
        for network, spec in registry.SPECS.items():
            if not spec.refreshable:
                continue
            channels = Channel.objects.filter(
                network=network,
                token_expires_at__lte=now + spec.refresh_ahead,
                status__in=[Channel.Status.ACTIVE, Channel.Status.ERROR],
            )
            for channel in channels:
                provider = registry.build_provider(channel, http=http)
                refreshed += _refresh_if_expiring(channel, provider)
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

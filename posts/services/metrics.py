"""Engagement read from the networks, stored per published target (issue 15, Publishing report)."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable

import httpx
from django.utils import timezone as tz

from core.http import worker_client
from networks import registry
from networks.providers import base as p
from networks.providers.base import PostMetrics
from posts.models import PostMetricsSnapshot, PostTarget

log = logging.getLogger(__name__)
FIGURES = ("views", "reach", "likes", "comments", "shares", "saves", "clicks")


def record_metrics(
    targets: Iterable[PostTarget], metrics: Iterable[PostMetrics], *, now: dt.datetime | None = None
) -> int:
    """Store today's figures of each target the network reported on (matched by external id); a second
    read the same day replaces the first. Targets the network left out keep their older rows. Returns
    how many targets were stored."""
    now = now or tz.now()
    by_external_id = {t.external_id: t for t in targets if t.external_id}
    stored = 0
    for item in metrics:
        target = by_external_id.get(item.post_id)
        if target is None:
            continue
        figures = {name: getattr(item, name) for name in FIGURES}
        PostMetricsSnapshot.objects.update_or_create(
            target=target, day=tz.localdate(now), defaults={"fetched_at": now, **figures}
        )
        stored += 1
    return stored


#: How far back published posts keep being re-read: engagement settles within days, and each read costs
#: the channel's rate limit.
REFRESH_DAYS = 28


def refresh_recent_metrics(
    *, days: int = REFRESH_DAYS, now: dt.datetime | None = None, http: httpx.Client | None = None
) -> int:
    """Read today's engagement of every target published in the last `days` days, one request batch per
    channel, on the networks whose provider declares Capability.POST_METRICS. A channel that is rate
    limited or lacks the insights permission is skipped with a log line and read again next run, like the
    poll does; the others still go. Returns how many targets were stored."""
    now = now or tz.now()
    client = http or worker_client()
    targets = PostTarget.objects.filter(
        status=PostTarget.Status.PUBLISHED, published_at__gte=now - dt.timedelta(days=days)
    ).select_related("channel")
    by_channel: dict[int, list[PostTarget]] = defaultdict(list)
    for target in targets:
        by_channel[target.channel_id].append(target)
    stored = 0
    for group in by_channel.values():
        channel = group[0].channel
        if not registry.SPECS[channel.network].provider_class.supports(p.Capability.POST_METRICS):
            continue
        try:
            provider = registry.build_provider(channel, http=client)
            metrics = provider.post_metrics(post_ids=[t.external_id for t in group])
        except p.RateLimited as exc:
            log.info("metrics: channel %s rate limited until %s; next run", channel.pk, exc.reset_at)
            continue
        except p.PermissionMissing:
            log.warning("metrics: channel %s lacks the permission to read insights", channel.pk)
            continue
        except p.ProviderError as exc:
            log.warning("metrics: channel %s could not be read: %s", channel.pk, exc)
            continue
        stored += record_metrics(group, metrics, now=now)
    return stored

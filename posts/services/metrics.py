"""Engagement read from the networks, stored per published target (issue 15, Publishing report)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone as tz

from networks.providers.base import PostMetrics
from posts.models import PostMetricsSnapshot, PostTarget

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

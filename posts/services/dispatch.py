"""The beat's dispatcher: due targets leased and enqueued, bursts cut into chunks per channel."""

from __future__ import annotations

import datetime as dt
import time

from django.utils import timezone

from core import delivery
from posts.models import (
    FailureCause,
    PostTarget,
)

from .common import T
from .pipeline import (
    BURST_SIZE,
    DISPATCH_BATCH,
    DISPATCH_BUDGET,
    MISSED_ERROR,
    PIPELINE,
    PUBLISH_CHUNK,
    _overdue,
)
from .publishing import _settle


def targets_dispatch_due(*, now: dt.datetime | None = None, budget: float = DISPATCH_BUDGET) -> list[int]:
    """Due targets, leased so the next tick leaves them alone: scheduled ones to publish (or mark missed
    when overdue past the workspace's grace period), unknown ones to read back, publishing ones whose
    worker died (they may have landed: unknown). Works in batches, each its own short transaction, until
    nothing due is left or `budget` seconds are spent: a burst of thousands due in the same minute is
    enqueued by one tick, not one batch per tick. Returns the ids enqueued."""
    now = now or timezone.now()
    deadline = time.monotonic() + budget
    ids: list[int] = []
    while True:
        batch, full = _dispatch_batch(now)
        ids += batch
        if not full or time.monotonic() >= deadline:
            return ids


def _dispatch_batch(now: dt.datetime) -> tuple[list[int], bool]:
    """One batch: (ids enqueued once this commits, whether the batch was full so more may be due)."""

    def hand_out(due: list[PostTarget]) -> list[int]:
        ids = []
        for target in due:
            if _overdue(target, now):
                _settle(target, T.MISSED, error=MISSED_ERROR(), cause=FailureCause.MISSED)
            else:
                ids.append(target.pk)
        channels = {target.pk: target.channel_id for target in due}
        for chunk in _chunks(ids, channels):
            _enqueue(chunk)
        return ids

    return delivery.dispatch_due(
        PIPELINE,
        now=now,
        batch=DISPATCH_BATCH,
        select_related=("post__workspace__publishing_policy",),
        hand_out=hand_out,
    )


def _chunks(ids: list[int], channels: dict[int, int]) -> list[list[int]]:
    """One task per target, as a rule: each publishes as soon as a worker is free, and a slow network
    delays nothing else. In a burst (more than BURST_SIZE due at once) a task takes up to PUBLISH_CHUNK
    targets of one channel, so the workers' time goes to publishing rather than to the broker."""
    if len(ids) <= BURST_SIZE:
        return [[target_id] for target_id in ids]
    by_channel: dict[int, list[int]] = {}
    for target_id in ids:
        by_channel.setdefault(channels[target_id], []).append(target_id)
    return [
        group[start : start + PUBLISH_CHUNK]
        for group in by_channel.values()
        for start in range(0, len(group), PUBLISH_CHUNK)
    ]


def _enqueue(target_ids: list[int]) -> None:
    from posts.tasks import enqueue_publish  # tasks import this module

    enqueue_publish(target_ids)

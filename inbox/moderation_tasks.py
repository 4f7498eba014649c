"""Moderation on the networks: `moderate` takes one action's next step, `dispatch_moderation` hands out the
actions whose next step is due. Thin: the rules, and the claim that makes a rerun harmless, live in
`inbox.moderation` and `core.delivery`. Imported by inbox.tasks, so Celery finds them."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from core.queue import enqueue
from inbox import moderation


def enqueue_moderation(action_id: int) -> None:
    enqueue(moderate, action_id)


@shared_task(
    name="inbox.moderate",
    ignore_result=True,
    soft_time_limit=moderation.TIME_LIMIT - 15,
    time_limit=moderation.TIME_LIMIT,  # see moderation.PIPELINE.stale_after
    # Safe to run twice: the claim (queued -> running) lets one run write, and unknown ones are read back.
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
)
def moderate(action_id: int) -> None:
    moderation.moderation_process(action_id)


@shared_task(name="inbox.dispatch_moderation", ignore_result=True, soft_time_limit=20, time_limit=30)
def dispatch_moderation() -> int:
    return len(moderation.moderation_dispatch_due())

"""Moderation on the networks: `moderate` takes one action's next step, `dispatch_moderation` hands out the
actions whose next step is due. Thin: the rules, and the claim that makes a rerun harmless, live in
`inbox.moderation` and `core.delivery`. Imported by inbox.tasks, so Celery finds them."""

from __future__ import annotations

from celery import shared_task

from core import delivery
from core.queue import enqueue
from inbox import moderation


def enqueue_moderation(action_id: int) -> None:
    enqueue(moderate, action_id)


@shared_task(
    name="inbox.moderate",
    soft_time_limit=moderation.TIME_LIMIT - 15,
    time_limit=moderation.TIME_LIMIT,  # see moderation.PIPELINE.stale_after
    **delivery.STEP_TASK_OPTIONS,
)
def moderate(action_id: int) -> None:
    moderation.moderation_process(action_id)


@shared_task(name="inbox.dispatch_moderation", ignore_result=True, soft_time_limit=20, time_limit=30)
def dispatch_moderation() -> int:
    return len(moderation.moderation_dispatch_due())

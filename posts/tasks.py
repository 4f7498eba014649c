"""Publishing tasks: `dispatch_due_targets` (beat) finds due targets, `publish_target` takes one target's
next step. Both are thin: the rules, and the claim that makes a rerun harmless, live in `posts.services`."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError, transaction

from posts import services

log = logging.getLogger(__name__)


def enqueue_publish(target_id: int) -> None:
    """Enqueue `publish_target` once the current transaction commits. A broker that refuses it loses
    nothing: the target's lease runs out and the next dispatch enqueues it again."""

    def send() -> None:
        try:
            publish_target.delay(target_id)
        except Exception:  # kombu's errors vary by transport; every one means "not enqueued"
            log.warning(
                "could not enqueue a publish; the beat will", extra={"target": target_id}, exc_info=True
            )

    transaction.on_commit(send)


@shared_task(name="posts.dispatch_due_targets", ignore_result=True, soft_time_limit=30, time_limit=40)
def dispatch_due_targets() -> int:
    return len(services.targets_dispatch_due())


@shared_task(
    name="posts.publish_target",
    ignore_result=True,
    soft_time_limit=90,
    time_limit=120,  # below services.PUBLISHING_STALE: a target "publishing" past it lost its worker
    # Safe to run twice: the claim (scheduled -> publishing) lets one run publish; unknown ones are read back.
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
)
def publish_target(target_id: int) -> None:
    services.target_process(target_id)

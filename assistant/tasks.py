"""Assistant tasks, on the `assistant` queue. Thin: the work and its idempotence live in services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError, transaction

from assistant import services

log = logging.getLogger(__name__)


@shared_task(
    name="assistant.triage_messages",
    ignore_result=True,
    soft_time_limit=50,
    time_limit=60,
    # Safe to run twice: a message's triage is one row, and only the run that stored it acts on it.
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
)
def triage_messages(message_ids: list[int]) -> int:
    return len(services.message_triage_batch(message_ids=[int(i) for i in message_ids]))


def enqueue_triage(message_ids: list[int]) -> None:
    """Enqueue triage once the ingesting transaction commits. A broker that refuses is logged, not raised:
    the poll that stored the messages must not fail for a triage."""
    if not message_ids:
        return

    def send() -> None:
        try:
            triage_messages.delay(list(message_ids))
        except Exception:  # kombu's errors vary by transport; every one of them means "not enqueued"
            log.warning("could not enqueue triage", extra={"messages": len(message_ids)}, exc_info=True)

    transaction.on_commit(send)

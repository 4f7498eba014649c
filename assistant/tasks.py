"""Assistant tasks, on the `assistant` queue. Thin: the work and its idempotence live in services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from assistant import services
from core.queue import enqueue


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


@shared_task(
    name="assistant.retriage_messages",
    ignore_result=True,
    soft_time_limit=50,
    time_limit=60,
    acks_late=True,  # safe to run twice: the same words give the same triage
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
)
def retriage_messages(message_ids: list[int]) -> int:
    return services.message_retriage_batch(message_ids=[int(i) for i in message_ids])


def enqueue_retriage(message_ids: list[int]) -> None:
    """Triage these edited messages again (their words or stars changed)."""
    if message_ids:
        enqueue(retriage_messages, list(message_ids))


def enqueue_triage(message_ids: list[int]) -> None:
    """Triage these messages once the storing transaction commits; the sweeper catches what the broker
    refused, so the poll that stored them never fails for a triage."""
    if message_ids:
        enqueue(triage_messages, list(message_ids))


@shared_task(name="assistant.sweep_untriaged", ignore_result=True, soft_time_limit=20, time_limit=30)
def sweep_untriaged() -> int:
    """Inbound messages stored a while ago and still without a triage (their enqueue was refused, or the
    task was lost): triaged now, late but never forgotten."""
    ids = services.untriaged_message_ids(now=timezone.now())
    enqueue_triage(ids)
    return len(ids)

"""Outgoing webhooks' tasks, thin: `deliver_webhook` makes one attempt at one message, `dispatch_webhooks`
(a beat tick) hands out the messages whose attempt is due. The database is the schedule."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from core import delivery as engine
from core.queue import enqueue
from hooks import delivery, services

KEEP_LOG = dt.timedelta(days=30)


def enqueue_delivery(outgoing_id: int) -> None:
    enqueue(deliver_webhook, outgoing_id)


@shared_task(
    name="hooks.deliver_webhook",
    soft_time_limit=delivery.SEND_TIME_LIMIT - 10,
    time_limit=delivery.SEND_TIME_LIMIT,  # see delivery.STALE
    **engine.STEP_TASK_OPTIONS,  # the claim (waiting -> in flight) lets one run send
)
def deliver_webhook(outgoing_id: int) -> None:
    delivery.webhook_deliver(outgoing_id)


@shared_task(name="hooks.dispatch_webhooks", ignore_result=True, soft_time_limit=20, time_limit=30)
def dispatch_webhooks() -> int:
    return len(delivery.webhooks_dispatch_due())


@shared_task(name="hooks.prune_webhook_log", ignore_result=True, soft_time_limit=300, time_limit=360)
def prune_webhook_log() -> int:
    return services.deliveries_older_than(cutoff=timezone.now() - KEEP_LOG)

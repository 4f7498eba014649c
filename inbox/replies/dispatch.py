"""What the send task and the dispatcher's tick run."""

from __future__ import annotations

import datetime as dt

import httpx
from django.utils import timezone

from core import delivery
from inbox.models import Message

from .common import SendOutcome
from .pipeline import DISPATCH_BATCH, DUE_TOLERANCE, PIPELINE, S
from .sending import reply_reconcile, reply_send


def reply_process(message_id: int, *, http: httpx.Client | None = None) -> SendOutcome | None:
    """The next step for one reply: settle it if unknown, send it if queued and due."""
    message = Message.objects.filter(pk=message_id, direction=Message.Direction.OUT).first()
    if message is None:
        return None
    now = timezone.now()
    if (
        message.send_status in (S.QUEUED, S.UNKNOWN)
        and message.next_step_at
        and message.next_step_at > now + DUE_TOLERANCE
    ):
        # Early (a duplicate delivery, a retry scheduled twice): the backoff or the rate limit still holds.
        return SendOutcome(message.send_status, (message.next_step_at - now).total_seconds())
    if message.send_status == S.UNKNOWN:
        outcome = reply_reconcile(message, http=http)
        if outcome.status != S.QUEUED:
            return outcome
        message.refresh_from_db()
    if message.send_status != S.QUEUED:
        return None
    return reply_send(message_id, http=http)


def replies_dispatch_due(*, now: dt.datetime | None = None) -> list[int]:
    """Replies whose next step is due: queued ones (a retry's time came, or their enqueue was lost), unknown
    ones to read back, and sending ones whose worker died (unknown first: they may have landed). Leased and
    enqueued on commit; returns their ids."""
    from inbox.tasks import enqueue_send  # tasks import this module

    return delivery.dispatch_due_to(
        PIPELINE, enqueue=enqueue_send, now=now or timezone.now(), batch=DISPATCH_BATCH
    )

"""Sending replies: `send_reply` takes one reply's next step (settle, send), `sweep_replies` finds replies
whose step is overdue. Both are thin: the rules, and the claim that makes a rerun harmless, live in
`inbox.replies`. The database is the schedule: no countdown handed to the broker exceeds a few minutes."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError, transaction

from inbox import replies

log = logging.getLogger(__name__)


def enqueue_send(message_id: int, *, countdown: float = 0.0) -> None:
    """Enqueue `send_reply` once the current transaction commits (at once outside one).

    A broker that refuses the message (down, unreachable) loses nothing: the reply is in the database,
    queued, and the sweeper enqueues it again. So the failure is logged, never raised to the person."""

    def send() -> None:
        try:
            send_reply.apply_async((message_id,), countdown=round(countdown, 3) or None)
        except Exception:  # kombu's errors vary by transport; every one of them means "not enqueued"
            log.warning(
                "could not enqueue a reply; the sweeper will", extra={"reply": message_id}, exc_info=True
            )

    transaction.on_commit(send)


@shared_task(
    name="inbox.send_reply",
    ignore_result=True,
    soft_time_limit=replies.SEND_TIME_LIMIT - 15,
    time_limit=replies.SEND_TIME_LIMIT,  # see replies.SENDING_STALE
    # Safe to run twice: the claim (queued -> sending) lets one run send, and unknown replies are read back.
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
)
def send_reply(message_id: int) -> None:
    outcome = replies.reply_process(message_id)
    if outcome is not None and outcome.retry_in is not None and outcome.retry_in <= replies.MAX_COUNTDOWN:
        enqueue_send(message_id, countdown=outcome.retry_in)


@shared_task(name="inbox.sweep_replies", ignore_result=True, soft_time_limit=50, time_limit=60)
def sweep_replies() -> int:
    ids = replies.replies_sweep()
    for message_id in ids:
        enqueue_send(message_id)
    return len(ids)

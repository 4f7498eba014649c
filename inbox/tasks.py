"""Sending replies: `send_reply` takes one reply's next step (settle, send), `dispatch_replies` hands out
the replies whose next step is due. Both are thin: the rules, and the claim that makes a rerun harmless,
live in `inbox.replies` and `core.delivery`. The database is the schedule, never a broker countdown."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError, transaction

from inbox import replies

log = logging.getLogger(__name__)


def enqueue_send(message_id: int) -> None:
    """Enqueue `send_reply` once the current transaction commits (at once outside one).

    A broker that refuses the message (down, unreachable) loses nothing: the reply is in the database,
    queued, and the dispatcher hands it out again once its lease runs out. So the failure is logged, never
    raised to the person."""

    def send() -> None:
        try:
            send_reply.delay(message_id)
        except Exception:  # kombu's errors vary by transport; every one of them means "not enqueued"
            log.warning(
                "could not enqueue a reply; the dispatcher will", extra={"reply": message_id}, exc_info=True
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
    replies.reply_process(message_id)


@shared_task(name="inbox.dispatch_replies", ignore_result=True, soft_time_limit=20, time_limit=30)
def dispatch_replies() -> int:
    return len(replies.replies_dispatch_due())

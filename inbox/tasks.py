"""Sending replies: `send_reply` takes one reply's next step (settle, send), `dispatch_replies` hands out
the replies whose next step is due. Both are thin: the rules, and the claim that makes a rerun harmless,
live in `inbox.replies` and `core.delivery`. The database is the schedule, never a broker countdown."""

from __future__ import annotations

from celery import shared_task

from core import delivery
from core.queue import enqueue
from inbox import replies


def enqueue_send(message_id: int) -> None:
    enqueue(send_reply, message_id)


@shared_task(
    name="inbox.send_reply",
    soft_time_limit=replies.SEND_TIME_LIMIT - 15,
    time_limit=replies.SEND_TIME_LIMIT,  # see replies.SENDING_STALE
    **delivery.STEP_TASK_OPTIONS,  # the claim (queued -> sending) lets one run send
)
def send_reply(message_id: int) -> None:
    replies.reply_process(message_id)


@shared_task(name="inbox.dispatch_replies", ignore_result=True, soft_time_limit=20, time_limit=30)
def dispatch_replies() -> int:
    return len(replies.replies_dispatch_due())


from inbox import moderation_tasks  # noqa: E402, F401 - registers the moderation tasks with Celery

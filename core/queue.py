"""The one way work is handed to the broker: `enqueue(task, *args)` sends once the current transaction
commits (at once outside one), so a worker never reads rows that are not there yet, and a rolled-back
action enqueues nothing.

A broker that refuses the message (down, unreachable) breaks nothing: the failure is logged, never raised to
the person whose action succeeded. For the pipelines it loses nothing either: the row that asked for the
work is in the database and its dispatcher (polls, publishing, replies, triage) hands it out again.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from django.db import transaction

log = logging.getLogger(__name__)


def enqueue(task: Task, *args: Any, **kwargs: Any) -> None:
    def send() -> None:
        try:
            task.apply_async(args, kwargs or None)
        except Exception:  # kombu's errors vary by transport; every one of them means "not enqueued"
            log.error("could not enqueue %s", task.name, extra={"task_args": args}, exc_info=True)

    transaction.on_commit(send)

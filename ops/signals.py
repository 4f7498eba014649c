"""Every task message carries the time it was published, so /metrics can tell how long the oldest one in
a queue has waited (Celery's own headers have an ETA, not a publish time)."""

from __future__ import annotations

import time

from celery.signals import before_task_publish

PUBLISHED_AT_HEADER = "cmhub_published_at"


@before_task_publish.connect
def _stamp_publish_time(headers: dict[str, object] | None = None, **kwargs: object) -> None:
    if headers is not None and PUBLISHED_AT_HEADER not in headers:
        # A retry republishes the message: its first publish time stays, the wait is the task's.
        headers[PUBLISHED_AT_HEADER] = time.time()

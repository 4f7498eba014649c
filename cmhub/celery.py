"""The Celery app. Settings come from Django's settings under the CELERY_ namespace."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import task_postrun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmhub.settings")

app = Celery("cmhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _load_beat_schedule(sender: Celery, **kwargs: object) -> None:
    from cmhub.beat import BEAT_SCHEDULE

    sender.conf.beat_schedule = BEAT_SCHEDULE


@task_postrun.connect
def _close_old_connections(task=None, **kwargs: object) -> None:
    """What Django does after each request: close connections that broke or outlived CONN_MAX_AGE, keep
    the healthy ones for the next task (settings.CELERY_DB_REUSE_MAX stops Celery closing them all).
    A task run eagerly (tests) runs inside its caller's connection: leave that alone."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()

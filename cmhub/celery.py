"""The Celery app. Settings come from Django's settings under the CELERY_ namespace."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmhub.settings")

app = Celery("cmhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _load_beat_schedule(sender: Celery, **kwargs: object) -> None:
    from cmhub.beat import BEAT_SCHEDULE

    sender.conf.beat_schedule = BEAT_SCHEDULE

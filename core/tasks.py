"""Tasks that belong to no app: health checks of the task pipeline itself."""

from __future__ import annotations

import os
import socket

from celery import shared_task


@shared_task(name="core.ping", ignore_result=False, soft_time_limit=10, time_limit=20)
def ping(token: str = "") -> dict[str, str | int]:
    """Answers who ran it, so a caller can tell a real worker process from eager mode."""
    return {"pong": token, "pid": os.getpid(), "host": socket.gethostname()}

"""Tasks that belong to no app: health checks of the task pipeline itself, and sending mail."""

from __future__ import annotations

import os
import socket
from smtplib import SMTPException

from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(name="core.ping", ignore_result=False, soft_time_limit=10, time_limit=20)
def ping(token: str = "") -> dict[str, str | int]:
    """Answers who ran it, so a caller can tell a real worker process from eager mode."""
    return {"pong": token, "pid": os.getpid(), "host": socket.gethostname()}


@shared_task(
    name="core.send_email",
    ignore_result=True,
    # Redelivered if the worker dies mid-send: a mail sent twice beats a mail lost (nothing else to check).
    acks_late=True,
    autoretry_for=(SMTPException, OSError),  # the server is down, slow or refusing for now
    max_retries=5,
    retry_backoff=30,  # 30 s, 1 min, 2 min... with jitter, so a server coming back is not stampeded
    retry_backoff_max=1800,
    retry_jitter=True,
    soft_time_limit=60,
    time_limit=90,
)
def send_email(
    *,
    subject: str,
    body: str,
    to: list[str],
    from_email: str | None = None,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """One mail, as core.mail.email_send queued it."""
    message = EmailMultiAlternatives(subject, body, from_email, to, headers=headers or None)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()

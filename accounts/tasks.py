from __future__ import annotations

from celery import shared_task

from accounts import services


@shared_task(name="accounts.purge_expired_invitations", soft_time_limit=60, time_limit=90)
def purge_expired_invitations() -> None:
    services.invitations_purge_expired()

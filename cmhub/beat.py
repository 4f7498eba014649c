"""The whole periodic schedule, in one place. Each entry expires: a tick that waited in the broker longer
than its period is useless, and the next tick will do the work."""

from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    # Expired invitations are kept for the audit trail a while, then removed so the list stays readable.
    "purge-expired-invitations": {
        "task": "accounts.purge_expired_invitations",
        "schedule": crontab(minute=17, hour=3),
        "options": {"expires": 3600},
    },
}

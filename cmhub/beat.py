"""The whole periodic schedule, in one place. Each entry expires: a tick that waited in the broker longer
than its period is useless, and the next tick will do the work."""

from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    # Claims channels whose next poll is due; the database is the schedule, this is only the clock.
    "dispatch-polls": {
        "task": "networks.dispatch_polls",
        "schedule": 5.0,
        "options": {"expires": 5},
    },
    # Tokens that can be renewed are renewed a day ahead, so polling never meets an expired one.
    "refresh-tokens": {
        "task": "networks.refresh_tokens",
        "schedule": crontab(minute=7),
        "options": {"expires": 3000},
    },
    # LinkedIn tokens cannot be renewed: admins hear about it a week ahead, once.
    "warn-expiring-tokens": {
        "task": "networks.warn_expiring_tokens",
        "schedule": crontab(minute=23, hour="*/6"),
        "options": {"expires": 3600},
    },
    # Webhook deliveries recorded but never processed (the broker refused the task, a worker died).
    "sweep-webhooks": {
        "task": "networks.sweep_webhooks",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    # Webhook deliveries are kept a week (the replay guard needs two days), then removed.
    "prune-webhooks": {
        "task": "networks.prune_webhooks",
        "schedule": crontab(minute=47, hour=3),
        "options": {"expires": 3600},
    },
    # Answers kept for API retries with an Idempotency-Key: a retry comes within 24 hours or not at all.
    "prune-idempotent-answers": {
        "task": "api.prune_idempotent_answers",
        "schedule": crontab(minute=53, hour=3),
        "options": {"expires": 3600},
    },
    # Poll history feeds the health page's 24-hour figures; a week is plenty.
    "prune-poll-runs": {
        "task": "networks.prune_poll_runs",
        "schedule": crontab(minute=41, hour=3),
        "options": {"expires": 3600},
    },
    # Replies whose next step is due: a retry after a backoff or a rate limit, a read-back after an
    # unconfirmed send, one queued while the broker was down or left "sending" by a worker that died. The
    # database is the schedule; this is only the clock, ticking often because people wait for replies.
    "dispatch-replies": {
        "task": "inbox.dispatch_replies",
        "schedule": 5.0,
        "options": {"expires": 5},
    },
    # Moderation actions (hide, delete, private reply) whose next step is due: a retry, a read-back of an
    # unclear outcome, a lost enqueue or a dead worker's. The database is the schedule; this is the clock.
    "dispatch-moderation": {
        "task": "inbox.dispatch_moderation",
        "schedule": 5.0,
        "options": {"expires": 5},
    },
    # Claims post targets due to publish (and unknown ones to read back); the database is the schedule,
    # retries set next_attempt_at and come back through here, so this is only the clock.
    "dispatch-due-targets": {
        "task": "posts.dispatch_due_targets",
        "schedule": 10.0,
        "options": {"expires": 10},
    },
    # Inbound messages whose triage was never enqueued (a broker outage) or got lost: triaged late.
    "sweep-untriaged": {
        "task": "assistant.sweep_untriaged",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Expired invitations are kept for the audit trail a while, then removed so the list stays readable.
    "purge-expired-invitations": {
        "task": "accounts.purge_expired_invitations",
        "schedule": crontab(minute=17, hour=3),
        "options": {"expires": 3600},
    },
    # Engagement of the last four weeks' published posts, for the Publishing report: figures settle
    # slowly and each read spends the channel's rate limit, so hourly is plenty; a tick an hour late is
    # superseded by the next one.
    "refresh-post-metrics": {
        "task": "posts.refresh_post_metrics",
        "schedule": crontab(minute=23),
        "options": {"expires": 3000},
    },
    # Outgoing webhooks whose next attempt is due: a retry after a backoff, one whose enqueue was lost, one
    # left in flight by a dead worker, the next of a conversation once the one before it was delivered.
    "dispatch-webhooks": {
        "task": "hooks.dispatch_webhooks",
        "schedule": 5.0,
        "options": {"expires": 5},
    },
    # The webhook delivery log keeps a month of settled messages.
    "prune-webhook-log": {
        "task": "hooks.prune_webhook_log",
        "schedule": crontab(minute=53, hour=3),
        "options": {"expires": 3600},
    },
}

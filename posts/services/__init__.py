"""Writes for posts by sub-domain: media, compose, reviews, scheduling, publishing each target exactly once.

Publishing follows the reply pipeline (`inbox.replies`): the beat's `posts_dispatch_due` finds due targets
and leases them (pushes `next_attempt_at` forward) so the next tick does not enqueue them again; the task
claims a target with a conditional UPDATE (`scheduled -> publishing`) whose row count says which worker
publishes; a publish whose outcome is unknown (`Ambiguous`, a worker killed mid-request) is read back from
the channel (`Provider.find_post`) before anything is sent again. The database is the schedule: retries set
`next_attempt_at` and the beat picks them up; no long ETA is ever handed to the broker.

Callers use this package (`from posts import services`); the modules below it are its parts.
"""

from .common import PostError
from .compose import post_create, post_problems, post_submit, post_update
from .dispatch import targets_dispatch_due
from .media import SIGNED_URL_SECONDS, media_upload, rendition_for
from .pipeline import (
    BURST_SIZE,
    DISPATCH_BATCH,
    DISPATCH_BUDGET,
    DISPATCH_LEASE,
    DUE_TOLERANCE,
    MAX_ATTEMPTS,
    MISSED_ERROR,
    PIPELINE,
    POLICY,
    PUBLISH_CHUNK,
    PUBLISHING_STALE,
    RECONCILE_DELAY,
    STEP_TIME_LIMIT,
)
from .publishing import StepCache, target_claim, target_process, target_publish, target_reconcile
from .reviews import review_approve, review_request_changes
from .scheduling import (
    post_cancel,
    post_duplicate,
    post_reschedule,
    post_schedule,
    scheduled_at_from_local,
    target_retry,
)

__all__ = [
    "BURST_SIZE",
    "DISPATCH_BATCH",
    "DISPATCH_BUDGET",
    "DISPATCH_LEASE",
    "DUE_TOLERANCE",
    "MAX_ATTEMPTS",
    "MISSED_ERROR",
    "PIPELINE",
    "POLICY",
    "PUBLISHING_STALE",
    "PUBLISH_CHUNK",
    "RECONCILE_DELAY",
    "SIGNED_URL_SECONDS",
    "STEP_TIME_LIMIT",
    "PostError",
    "StepCache",
    "media_upload",
    "post_cancel",
    "post_create",
    "post_duplicate",
    "post_problems",
    "post_reschedule",
    "post_schedule",
    "post_submit",
    "post_update",
    "rendition_for",
    "review_approve",
    "review_request_changes",
    "scheduled_at_from_local",
    "target_claim",
    "target_process",
    "target_publish",
    "target_reconcile",
    "target_retry",
    "targets_dispatch_due",
]

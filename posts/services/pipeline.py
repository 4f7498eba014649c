"""The publish pipeline's timers and its place in the delivery engine (core.delivery)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from core import delivery
from core import remote_errors as errors
from posts.models import (
    FailureCause,
    PostTarget,
)

from .common import T, _grace

DISPATCH_LEASE = dt.timedelta(minutes=2)  # an enqueue lost on the way is dispatched again after this
# Every task that runs publish steps (publish_target, and publish_targets for a burst's chunk) is killed at
# this hard limit, so no step lives longer: a target still "publishing" a margin past it (clock skew between
# machines, a slow database) lost its worker. A longer timer only makes a crash's recovery late: each
# target claimed by a killed worker waits this long before it is read back.
STEP_TIME_LIMIT = 120  # seconds
PUBLISHING_STALE = dt.timedelta(seconds=STEP_TIME_LIMIT + 30)
RECONCILE_DELAY = dt.timedelta(seconds=15)  # let the network index a post before reading it back
DUE_TOLERANCE = dt.timedelta(seconds=5)  # a task arriving a little early (clock skew) still publishes
DISPATCH_BATCH = 500
BURST_SIZE = 20  # more targets than this due in one dispatch batch: enqueued in chunks per channel
PUBLISH_CHUNK = 10  # targets per task in a burst; each publish is bounded by the HTTP timeouts
DISPATCH_BUDGET = 20.0  # seconds one dispatch tick may spend enqueuing (its soft time limit is 30)

POLICY = delivery.Policy(
    max_attempts=5,
    max_checks=6,
    backoff_base=dt.timedelta(seconds=30),
    backoff_cap=dt.timedelta(minutes=10),
    reconcile_delay=RECONCILE_DELAY,
)
MAX_ATTEMPTS = POLICY.max_attempts
PIPELINE = delivery.Pipeline(
    model=PostTarget,
    policy=POLICY,
    status="status",
    due="next_attempt_at",
    attempts="attempts",
    waiting=T.SCHEDULED,
    in_flight=T.PUBLISHING,
    unknown=T.UNKNOWN,
    stale_after=PUBLISHING_STALE,
    lease=DISPATCH_LEASE,
    tolerance=DUE_TOLERANCE,
)


def MISSED_ERROR() -> str:  # a message, translated when used
    return _("Not published: CM Hub was unavailable at the scheduled time and the grace period passed.")


def _overdue(target: PostTarget, now: dt.datetime) -> bool:
    """Never tried, and due longer ago than the grace period: workers were down. Publishing hours late
    would surprise everyone, so it is missed instead (duplicating the post publishes it anew). Load the
    target with post__workspace__publishing_policy to spare the policy's query."""
    if target.status != T.SCHEDULED or target.attempts or target.error:
        return False
    return (target.post.scheduled_at or target.next_attempt_at) < now - _grace(target.post.workspace)


#: The error a network raised, as the cause a report counts (the most specific class first: Duplicate is
#: an Invalid).
_CAUSES: tuple[tuple[type[BaseException], FailureCause], ...] = (
    (errors.RateLimited, FailureCause.RATE_LIMITED),
    (errors.AuthExpired, FailureCause.AUTH_LOST),
    (errors.PermissionMissing, FailureCause.PERMISSION),
    (errors.Duplicate, FailureCause.DUPLICATE),
    (errors.Invalid, FailureCause.INVALID),
    (errors.NotFound, FailureCause.NOT_FOUND),
    (errors.Transient, FailureCause.TRANSIENT),
    (errors.ReadBackIncomplete, FailureCause.UNCONFIRMED),
    (errors.Ambiguous, FailureCause.UNCONFIRMED),
    (NotImplementedError, FailureCause.UNCONFIRMED),
)


def failure_cause(exc: BaseException) -> FailureCause:
    """The stable cause code of a publish that ended on `exc`."""
    for kind, cause in _CAUSES:
        if isinstance(exc, kind):
            return cause
    return FailureCause.UNCONFIRMED if isinstance(exc, errors.ProviderError) else FailureCause.INTERNAL

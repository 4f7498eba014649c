"""The reply pipeline's timers and its place in the delivery engine (core.delivery)."""

from __future__ import annotations

import datetime as dt

from core import delivery
from inbox.models import Message

S = Message.SendStatus
DUE_TOLERANCE = dt.timedelta(seconds=5)  # a task arriving a little early (clock skew) still sends
RECONCILE_DELAY = 15.0  # seconds before reading back a reply that may have landed: let the network index it
POLICY = delivery.Policy(
    max_attempts=5,
    max_checks=10,
    backoff_base=dt.timedelta(seconds=10),
    backoff_cap=dt.timedelta(minutes=5),
    reconcile_delay=dt.timedelta(seconds=RECONCILE_DELAY),
)
MAX_ATTEMPTS = POLICY.max_attempts
# send_reply is killed at this hard limit, so no send lives longer: a reply still "sending" a margin past it
# (clock skew, a slow database) lost its worker. A longer timer only makes a crash's recovery late.
SEND_TIME_LIMIT = 60  # seconds
SENDING_STALE = dt.timedelta(seconds=SEND_TIME_LIMIT + 30)
DISPATCH_LEASE = dt.timedelta(minutes=2)  # an enqueue lost on the way is handed out again after this
DISPATCH_BATCH = 500
PIPELINE = delivery.Pipeline(
    model=Message,
    policy=POLICY,
    status="send_status",
    due="next_step_at",
    attempts="send_attempts",
    waiting=S.QUEUED,
    in_flight=S.SENDING,
    unknown=S.UNKNOWN,
    stale_after=SENDING_STALE,
    lease=DISPATCH_LEASE,
    tolerance=DUE_TOLERANCE,
)

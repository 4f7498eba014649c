"""Replies: writing an answer, approving it, and sending it to the network exactly once.

States (`Message.send_status`) and who moves them:
    pending_approval --approve--> queued --claim--> sending --> sent
                     --reject---> rejected            |-> queued   (transient trouble, rate limit)
                                                     |-> failed   (refused; retry by hand -> queued)
                                                     '-> unknown  (may have landed; read back: sent|queued)

The rules are the delivery engine's (`core.delivery`), shared with publishing: the claim is a conditional
UPDATE (`queued -> sending`) whose row count says which worker sends, so a task delivered twice, two
workers, or the dispatcher handing out a reply already on its way never send it twice. A send whose outcome
is unknown is never retried blindly: the thread is read back first.

The database is the schedule: `next_step_at` says when a reply's next step is due (or when its send
began), a new or approved reply is enqueued at once, and every later step (a retry, a read-back, a reply
whose enqueue was lost or whose worker died) is handed out by the dispatcher's tick when it is due.

Callers use this package (`from inbox import replies`); the modules below it are its parts: rules (what a
network accepts, who must approve), writing (create, approve, reject, retry), sending (one send and its
read-back), dispatch (what the task and the dispatcher run), pipeline (the timers).
"""

from .common import MAX_TEXT_CHARS, PREVIEW_CHARS, ReplyError, SendOutcome, StaleThread
from .dispatch import replies_dispatch_due, reply_process
from .pipeline import (
    DISPATCH_BATCH,
    DISPATCH_LEASE,
    DUE_TOLERANCE,
    MAX_ATTEMPTS,
    PIPELINE,
    POLICY,
    RECONCILE_DELAY,
    SEND_TIME_LIMIT,
    SENDING_STALE,
)
from .rules import (
    TextCount,
    reply_count,
    reply_length,
    reply_limit,
    reply_needs_approval,
    reply_problems,
    thread_changes_since,
)
from .sending import reply_claim, reply_reconcile, reply_send, reply_target
from .writing import (
    inbox_policy_update,
    reply_approve,
    reply_create,
    reply_edit_and_approve,
    reply_parent,
    reply_reject,
    reply_retry,
)

__all__ = [
    "DISPATCH_BATCH",
    "DISPATCH_LEASE",
    "DUE_TOLERANCE",
    "MAX_ATTEMPTS",
    "MAX_TEXT_CHARS",
    "PIPELINE",
    "POLICY",
    "PREVIEW_CHARS",
    "RECONCILE_DELAY",
    "SENDING_STALE",
    "SEND_TIME_LIMIT",
    "ReplyError",
    "SendOutcome",
    "StaleThread",
    "TextCount",
    "inbox_policy_update",
    "replies_dispatch_due",
    "reply_approve",
    "reply_claim",
    "reply_count",
    "reply_create",
    "reply_edit_and_approve",
    "reply_length",
    "reply_limit",
    "reply_needs_approval",
    "reply_parent",
    "reply_problems",
    "reply_process",
    "reply_reconcile",
    "reply_reject",
    "reply_retry",
    "reply_send",
    "reply_target",
    "thread_changes_since",
]

"""What a conversation becomes when the team answers it, and when the customer writes again.

One place for both directions, used by the reply pipeline (our reply reached the network) and by ingestion
(a reply the team wrote on the network itself, and every inbound message). The decision is taken when the
network accepted the reply, not when it was queued: a reply waiting for approval, or one the network
refused, has not answered anybody, and a conversation that left the queue on a failed send would be
forgotten.
"""

from __future__ import annotations

import datetime as dt

from inbox.models import Conversation, InboxPolicy

#: Fields `conversation_answered` and `conversation_customer_wrote` may change.
FIELDS = ["status", "resolved_at", "priority", "last_reply_at"]

_WAITING_ON_CUSTOMER = (Conversation.Status.PENDING, Conversation.Status.RESOLVED)


def after_reply(policy: InboxPolicy | None) -> str:
    return policy.after_reply if policy is not None else InboxPolicy.AfterReply.PENDING


def conversation_answered(conversation: Conversation, *, at: dt.datetime, policy: InboxPolicy | None) -> bool:
    """Fold a reply of ours that reached the network at `at` into `conversation` (in memory, not saved).

    When nothing the customer wrote is newer than the reply, the thread waits for them: pending or resolved
    as the workspace chose (an open one stays open when it chose so), and its urgency is spent (back to
    normal priority; the customer's next message is triaged again). Returns True when it left the queue.
    """
    conversation.last_reply_at = max(filter(None, [conversation.last_reply_at, at]))
    if conversation.last_inbound_at is not None and conversation.last_inbound_at > at:
        return False  # the customer wrote again after this reply: it still needs the team
    if conversation.priority > Conversation.Priority.NORMAL:
        conversation.priority = Conversation.Priority.NORMAL
    target = after_reply(policy)
    if conversation.status != Conversation.Status.OPEN or target == InboxPolicy.AfterReply.STAY_OPEN:
        return False
    conversation.status = target
    conversation.resolved_at = at if target == Conversation.Status.RESOLVED else None
    return True


def conversation_customer_wrote(conversation: Conversation) -> bool:
    """An inbound message on a thread that waited for the customer (pending or resolved) puts it back in
    the queue, with a new first-response target. Returns True when it reopened."""
    if conversation.status not in _WAITING_ON_CUSTOMER:
        return False
    conversation.status = Conversation.Status.OPEN
    conversation.resolved_at = None
    conversation.first_response_at = None
    conversation.first_response_due_at = None
    return True

"""The inbox's queue in the navigation (core/waiting.py): replies that wait for this manager's approval."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Membership
from accounts.policy import Perm, can
from inbox.models import Message


def replies_awaiting_approval(member: Membership) -> QuerySet[Message] | None:
    """Others' replies waiting for approval (nobody approves their own); None for a role that approves none.
    The send sweeper's partial index (msg_send_queue) finds them without reading the workspace's messages."""
    if not can(member, Perm.APPROVE_REPLIES):
        return None
    return Message.objects.filter(
        workspace_id=member.workspace_id,
        direction=Message.Direction.OUT,
        send_status=Message.SendStatus.PENDING_APPROVAL,
    ).exclude(author_user_id=member.user_id)

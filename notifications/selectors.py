"""Reads for notifications, always one person's in one workspace: anyone else's id answers 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Membership
from notifications.models import Notification


def get_notification_for_member(member: Membership, pk: int) -> Notification:
    return get_object_or_404(
        Notification, pk=pk, recipient_id=member.user_id, workspace_id=member.workspace_id
    )


def notifications_for_member(member: Membership) -> QuerySet[Notification]:
    return Notification.objects.for_member(member.user_id, member.workspace_id).order_by("-created_at", "-pk")


def unread_count(user_id: int, workspace_id: int) -> int:
    """The bell: one COUNT on the partial index."""
    return Notification.objects.for_member(user_id, workspace_id).unread().count()

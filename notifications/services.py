"""Writes for notifications. Callers (the publishing and inbox notify functions) run on commit, next to the
email they send, so a rolled-back action never notifies anyone."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.utils import timezone, translation

from accounts.models import Membership, User, Workspace
from notifications.models import Notification

MAX_TEXT = 300


def notification_send(
    *,
    recipients: Iterable[User],
    workspace: Workspace,
    kind: str,
    url: str,
    text: Callable[[], str],
) -> list[Notification]:
    """One notification per recipient who is an active member of `workspace`; `text()` is called in each
    recipient's language (their own, else the workspace's), the way the emails are written."""
    people = {user.pk: user for user in recipients}
    members = set(
        Membership.objects.filter(
            workspace=workspace, user_id__in=list(people), user__is_active=True
        ).values_list("user_id", flat=True)
    )
    rows = []
    for user_id, user in people.items():
        if user_id not in members:
            continue  # someone who left the workspace, or never was in it
        with translation.override(user.language or workspace.default_language):
            words = str(text())
        rows.append(
            Notification(recipient=user, workspace=workspace, kind=kind, url=url, text=words[:MAX_TEXT])
        )
    return Notification.objects.bulk_create(rows)


def notifications_mark_read(*, user: User, workspace: Workspace, ids: Iterable[int] | None = None) -> int:
    """Mark some (or all) of the person's unread notifications in the workspace read; returns how many."""
    unread = Notification.objects.for_member(user.pk, workspace.pk).unread()
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())

"""In-app notifications: a short line for one person in one workspace, next to the email they also get."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as tz
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_member(self, user_id: int, workspace_id: int) -> NotificationQuerySet:
        return self.filter(recipient_id=user_id, workspace_id=workspace_id)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    class Kind(models.TextChoices):
        REVIEW_REQUESTED = "review_requested", _("Review requested")
        POST_APPROVED = "post_approved", _("Post approved")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        POST_FAILED = "post_failed", _("Post failed")
        MENTIONED = "mentioned", _("Mentioned")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    # Rendered once, in the recipient's language, like the email sent with it.
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=tz.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The bell's count, on every page: unread for (user, workspace). Partial, so it stays small
            # however many read notifications pile up.
            models.Index(
                fields=["recipient", "workspace", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            # The list page: all of one person's notifications in a workspace, newest first.
            models.Index(fields=["recipient", "workspace", "-created_at"], name="notification_list_idx"),
        ]

    def __str__(self) -> str:
        return self.text

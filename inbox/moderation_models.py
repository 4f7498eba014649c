"""ModerationAction: one request to hide, show again, delete or privately answer a message on its network, or
to block its author there.

Each row is both the audit (who asked what, on which message, when, what the network said) and the
delivery engine's schedule (`state`, `next_step_at`, `leased_until`): it is sent exactly once, like a reply.
Imported by inbox.models, so Django and migrations see it as an inbox model.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as tz
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from networks.models import Channel


class ModerationAction(models.Model):
    class Action(models.TextChoices):
        HIDE = "hide", _("Hide")
        UNHIDE = "unhide", _("Show again")
        DELETE = "delete", _("Delete")
        PRIVATE_REPLY = "private_reply", _("Private reply")
        BLOCK = "block", _("Block the author")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("In progress")
        UNKNOWN = "unknown", _("Checking")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    PENDING = (State.QUEUED, State.RUNNING, State.UNKNOWN)

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey("inbox.Message", on_delete=models.CASCADE, related_name="moderation_actions")
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    text = models.TextField(_("private reply"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"), default=tz.now)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    # When the next step is due (a retry, a read-back), or, while running, when that step began.
    next_step_at = models.DateTimeField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    external_id = models.CharField(_("id on the network"), max_length=300, blank=True)  # a private reply's

    class Meta:
        verbose_name = _("moderation action")
        verbose_name_plural = _("moderation actions")
        constraints = [
            # A comment takes one private reply, ever (the networks' rule): a failed attempt frees it.
            models.UniqueConstraint(
                fields=["message"],
                condition=Q(action="private_reply") & ~Q(state="failed"),
                name="moderation_one_private_reply",
            ),
            # One change of visibility at a time per message: a hide and an unhide racing would leave the
            # network and the inbox disagreeing.
            models.UniqueConstraint(
                fields=["message"],
                condition=Q(
                    action__in=["hide", "unhide", "delete"], state__in=["queued", "running", "unknown"]
                ),
                name="moderation_one_pending_change",
            ),
            models.CheckConstraint(
                condition=~Q(action="private_reply") | ~Q(text=""), name="moderation_private_reply_has_text"
            ),
        ]
        indexes = [
            # The dispatcher: actions whose next step is due.
            models.Index(
                fields=["state", "next_step_at"],
                name="moderation_queue",
                condition=Q(state__in=["queued", "unknown", "running"]),
            ),
            # A thread's messages with their moderation, and the admin's list per workspace.
            models.Index(fields=["message", "-requested_at"], name="moderation_by_message"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} #{self.message_id} ({self.get_state_display()})"

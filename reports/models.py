"""Reporting facts: one row per thing that happened to a conversation, written as it happens (or rebuilt
from stored messages by `reports_backfill`). Reports aggregate this table only, never the inbox's rows."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from inbox.models import Conversation
from networks.models import Channel


class ReportingEvent(models.Model):
    class Kind(models.TextChoices):
        CONVERSATION_CREATED = "conversation_created", _("Conversation created")
        FIRST_RESPONSE = "first_response", _("First response")
        REPLY = "reply", _("Reply")
        RESOLVED = "resolved", _("Resolved")
        REOPENED = "reopened", _("Reopened")
        # One per message, so volumes and the hour-of-week heatmap read this table's (workspace, kind, at)
        # index instead of scanning the inbox's messages (which have no index by workspace and time).
        MESSAGE_RECEIVED = "message_received", _("Message received")
        MESSAGE_SENT = "message_sent", _("Message sent")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    network = models.CharField(max_length=16)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    # The agent who replied or resolved; empty for what the public or the assistant did.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    # Wall-clock and business-hours durations: first response and reply times since the inbound message
    # answered, resolution time since the conversation was created.
    value_seconds = models.PositiveIntegerField(null=True, blank=True)
    business_value_seconds = models.PositiveIntegerField(null=True, blank=True)
    sla_met = models.BooleanField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "kind", "at"], name="reports_event_ws_kind_at"),
            models.Index(fields=["workspace", "at"], name="reports_event_ws_at"),
            models.Index(fields=["conversation", "kind"], name="reports_event_conv_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.conversation_id} {self.at:%Y-%m-%d %H:%M}"

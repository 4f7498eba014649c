"""Outgoing webhooks: the endpoints a workspace's admins register, and the outbox of what is sent to them.

An `OutgoingWebhook` row is written in the transaction that records the fact it announces (a rolled-back
change writes none), then delivered by `hooks.delivery` through the delivery engine (`core.delivery`): at
least once, in order per ordering key (a conversation, a post, a channel), retried with backoff for a day.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone as tz
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from core.crypto import EncryptedTextField

#: How long a message is retried before it is given up and its endpoint disabled.
RETRY_WINDOW = dt.timedelta(hours=24)
#: What is kept of an endpoint's answer: enough to read an error page's first lines.
EXCERPT_CHARS = 500


def new_secret() -> str:
    """A signing secret as Standard Webhooks writes them: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list, blank=True)  # event type names
    # `whsec_` + base64 of 32 random bytes, as Standard Webhooks' libraries read it; encrypted at rest.
    secret = EncryptedTextField(_("signing secret"), default=new_secret)
    active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=tz.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["created_at", "pk"]
        indexes = [
            # Every event asks for the workspace's active endpoints (receivers), and the settings page
            # lists a workspace's endpoints.
            models.Index(fields=["workspace", "active"], name="hooks_endpoint_ws_active"),
        ]

    def __str__(self) -> str:
        return self.url

    def subscribed(self, event_type: str) -> bool:
        return event_type in (self.events or [])


class OutgoingWebhook(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        IN_FLIGHT = "in_flight", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(_("event"), max_length=64)
    payload = models.JSONField(_("payload"))
    # The `webhook-id` header: the same for every attempt of this message, so a receiver can drop repeats.
    message_id = models.CharField(_("message id"), max_length=40, unique=True)
    # Messages of one endpoint with the same key are delivered in the order they were written.
    ordering_key = models.CharField(_("ordering key"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When the next attempt is due; for a message in flight, when its attempt began.
    next_attempt_at = models.DateTimeField(_("next attempt"), default=tz.now)
    leased_until = models.DateTimeField(null=True, blank=True, editable=False)
    retry_until = models.DateTimeField(_("retried until"))
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last response status"), null=True, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=EXCERPT_CHARS, blank=True)
    error = models.CharField(_("error"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created"), default=tz.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing webhook")
        verbose_name_plural = _("outgoing webhooks")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The dispatcher's tick: waiting messages whose next attempt is due, oldest first.
            models.Index(fields=["status", "next_attempt_at"], name="hooks_out_due"),
            # The ordering rule: is an older message of this endpoint and key still undelivered?
            models.Index(fields=["endpoint", "ordering_key", "status", "id"], name="hooks_out_ep_key"),
            # An endpoint's delivery log, newest first, a page at a time.
            models.Index(fields=["endpoint", "-created_at", "-id"], name="hooks_out_ep_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"

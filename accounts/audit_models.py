"""The audit log: who did what, when, from where, with what before and after. Append-only.

Every app writes it through one service, `accounts.audit.audit_record`; the model lives here, low in the
dependency order, so inbox, posts, networks and assistant can all record into it, and reports can read it.

Where a workspace is known, an event belongs to it. Sign-ins, sign-outs, failed sign-ins and two-factor
changes happen before (or outside) any workspace: they are stored once with `workspace=None`, and each
workspace's page shows those whose actor is one of its members (`AuditEventQuerySet.visible_in`).

Append-only is enforced here (save, delete, QuerySet.update/delete raise). A PostgreSQL trigger is not
required: nothing in the product writes to the table but `audit_record`, Django admin is read-only, and
someone with raw SQL access is trusted with far more than this table. Deleting a workspace deletes its
events (its data goes with it); deleting a user keeps their events, with their name in `actor_label`.
Django's deletion collector goes through the base manager, not this QuerySet, so those two still work.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as tz
from django.utils.translation import gettext_lazy as _


class AuditLogIsAppendOnly(Exception):
    """Raised on any attempt to change or delete a recorded audit event."""


class AuditAction(models.TextChoices):
    # Sign-in and two-factor authentication (workspace=None: shown in every workspace of the actor)
    SIGNED_IN = "auth.signed_in", _("Signed in")
    SIGNED_OUT = "auth.signed_out", _("Signed out")
    SIGN_IN_FAILED = "auth.sign_in_failed", _("Failed sign-in")
    MFA_ENABLED = "mfa.enabled", _("Two-factor authentication enabled")
    MFA_DISABLED = "mfa.disabled", _("Two-factor authentication disabled")
    MFA_RECOVERY_CODES_REGENERATED = "mfa.recovery_codes_regenerated", _("Recovery codes regenerated")
    # Members and invitations
    MEMBER_ROLE_CHANGED = "member.role_changed", _("Member role changed")
    MEMBER_REMOVED = "member.removed", _("Member removed")
    INVITATION_SENT = "invitation.sent", _("Invitation sent")
    INVITATION_REVOKED = "invitation.revoked", _("Invitation revoked")
    INVITATION_ACCEPTED = "invitation.accepted", _("Invitation accepted")
    WORKSPACE_SETTINGS_CHANGED = "workspace.settings_changed", _("Workspace settings changed")
    # Channels
    CHANNEL_CONNECTED = "channel.connected", _("Channel connected")
    CHANNEL_DISCONNECTED = "channel.disconnected", _("Channel disconnected")
    CHANNEL_PAUSED = "channel.paused", _("Channel paused")
    CHANNEL_RESUMED = "channel.resumed", _("Channel resumed")
    # Replies
    REPLY_SENT = "reply.sent", _("Reply sent")
    REPLY_SUBMITTED = "reply.submitted", _("Reply submitted for approval")
    REPLY_APPROVED = "reply.approved", _("Reply approved")
    REPLY_REJECTED = "reply.rejected", _("Reply rejected")
    REPLY_AUTO_SENT = "reply.auto_sent", _("Auto-reply sent")
    INBOX_POLICY_CHANGED = "inbox.policy_changed", _("Inbox policy changed")
    # Posts
    POST_APPROVED = "post.approved", _("Post approved")
    POST_REJECTED = "post.rejected", _("Post sent back for changes")
    POST_SCHEDULED = "post.scheduled", _("Post scheduled")
    POST_CANCELLED = "post.cancelled", _("Post cancelled")
    # Assistant
    RULE_CREATED = "rule.created", _("Rule created")
    RULE_CHANGED = "rule.changed", _("Rule changed")
    RULE_DELETED = "rule.deleted", _("Rule deleted")
    AUTO_REPLY_SETTINGS_CHANGED = "assistant.auto_reply_changed", _("Auto-reply settings changed")
    ASSISTANT_SETTINGS_CHANGED = "assistant.settings_changed", _("Assistant settings changed")
    # Outgoing webhooks
    WEBHOOK_CREATED = "webhook.created", _("Webhook endpoint added")
    WEBHOOK_CHANGED = "webhook.changed", _("Webhook endpoint changed")
    WEBHOOK_DELETED = "webhook.deleted", _("Webhook endpoint deleted")
    # Exports
    EXPORT_DOWNLOADED = "export.downloaded", _("Export downloaded")
    # API
    API_TOKEN_CREATED = "api.token_created", _("API token created")
    API_TOKEN_REVOKED = "api.token_revoked", _("API token revoked")

    @property
    def group(self) -> str:
        return self.value.split(".", 1)[0]


#: The filter's groups, in the order the page lists them.
ACTION_GROUPS: dict[str, Any] = {
    "auth": _("Sign-in"),
    "mfa": _("Two-factor authentication"),
    "member": _("Members"),
    "invitation": _("Invitations"),
    "workspace": _("Workspace"),
    "channel": _("Channels"),
    "reply": _("Replies"),
    "inbox": _("Inbox"),
    "post": _("Posts"),
    "rule": _("Rules"),
    "assistant": _("Assistant"),
    "webhook": _("Webhooks"),
    "export": _("Exports"),
    "api": _("API"),
}

#: Actions recorded with workspace=None, shown in each workspace the actor belongs to.
PERSONAL_ACTIONS = frozenset(a for a in AuditAction if a.group in {"auth", "mfa"})


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditLogIsAppendOnly("Audit events cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")

    def visible_in(self, workspace_id: int) -> AuditEventQuerySet:
        """The workspace's own events, and the personal ones (sign-in, 2FA) of its current members."""
        from accounts.models import Membership

        members = Membership.objects.filter(workspace_id=workspace_id).values("user_id")
        return self.filter(Q(workspace_id=workspace_id) | Q(workspace__isnull=True, actor_id__in=members))


class AuditEvent(models.Model):
    class ActorKind(models.TextChoices):
        PERSON = "person", _("Person")
        ASSISTANT = "assistant", _("Assistant")
        SYSTEM = "system", _("System")

    workspace = models.ForeignKey(
        "accounts.Workspace",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("workspace"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    # Kept as written: a deleted (or renamed) user's events still say who it was.
    actor_label = models.CharField(_("actor name"), max_length=254, blank=True)
    actor_kind = models.CharField(
        _("actor kind"), max_length=16, choices=ActorKind.choices, default=ActorKind.PERSON
    )
    action = models.CharField(_("action"), max_length=64, choices=AuditAction.choices)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=300, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), default=tz.now, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The Audit log page: a workspace's events, newest first, a page at a time.
            models.Index(fields=["workspace", "-created_at", "-id"], name="audit_ws_created"),
            # The page filtered by an action or a group of actions.
            models.Index(fields=["workspace", "action", "-created_at"], name="audit_ws_action"),
            # Personal events (workspace=None) of a workspace's members, merged into its page.
            models.Index(fields=["actor", "-created_at"], name="audit_actor_created"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label or '-'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")

    @property
    def changes(self) -> list[tuple[str, str | None, str | None]]:
        """(field, before, after) for every field either side names, in a stable order, as text: a rule's
        conditions (a dict) read as JSON, not as Python."""
        before, after = self.before or {}, self.after or {}
        return [
            (key, _shown(before.get(key)), _shown(after.get(key)))
            for key in sorted(before.keys() | after.keys())
        ]


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)

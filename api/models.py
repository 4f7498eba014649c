"""API tokens and the answers kept for idempotent retries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone as tz
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Workspace


class Area(models.TextChoices):
    """What a token's scopes are about: one read and one write scope each (`conversations:read`...)."""

    CONVERSATIONS = "conversations", _("Conversations, messages and replies")
    CONTACTS = "contacts", _("Contacts")
    KNOWLEDGE = "knowledge", _("Labels, saved replies and FAQ")
    POSTS = "posts", _("Posts")
    CHANNELS = "channels", _("Channels")
    REPORTS = "reports", _("Reports")


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def live(self) -> ApiTokenQuerySet:
        now = tz.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A secret that acts in one workspace. A personal token acts as its owner, with the role the owner has
    there at each request (a person who leaves takes their tokens' rights with them); a workspace token acts
    with the role it was given (never above its creator's), and its actions are recorded as its creator's,
    naming the token. Only a hash of the secret is stored: it is shown once, at creation."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("Personal")
        WORKSPACE = "workspace", _("Workspace")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PERSONAL)
    role = models.CharField(_("role"), max_length=16, choices=Membership.Role.choices, blank=True)
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created"), default=tz.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [
            # Settings -> API lists a workspace's tokens, newest first.
            models.Index(fields=["workspace", "-created_at"], name="apitoken_ws_created"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def allows(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > tz.now())


class IdempotentAnswer(models.Model):
    """The first answer to a write sent with an `Idempotency-Key`: the same key and body within the window
    get it again, and nothing is done twice. A row without a status is a write still running."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # method, path and body, hashed
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=tz.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="idempotency_key_once_per_token"),
        ]
        indexes = [
            # The daily prune of answers past the window.
            models.Index(fields=["created_at"], name="idempotency_created"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status or 'running'})"

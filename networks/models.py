from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as tz
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from core.crypto import EncryptedJSONField, EncryptedTextField
from networks.providers import base as p

# The one list of networks is the providers' (networks.providers.base.Network). The fields take their choices
# from a callable, so a network added there needs no migration.
Network = p.Network


def network_choices() -> list[tuple[str, str]]:
    return [(network.value, network.label) for network in Network]


class NetworkApp(models.Model):
    """The deployment's own app on a network (client id and secret), set in admin or the environment."""

    network = models.CharField(_("network"), max_length=16, choices=network_choices, unique=True)
    client_id = models.CharField(_("client id"), max_length=200)
    client_secret = EncryptedTextField(_("client secret"), blank=True)
    api_base_url = models.URLField(
        _("API base URL"), blank=True, help_text=_("Leave empty for the network's own.")
    )
    oauth_base_url = models.URLField(
        _("sign-in host"),
        blank=True,
        help_text=_(
            "Where people grant access (e.g. https://www.facebook.com). Leave empty for the network's own."
        ),
    )
    webhook_verify_token = EncryptedTextField(
        _("webhook verify token"),
        blank=True,
        help_text=_(
            "Meta only: the word you type as “Verify token” when you give Meta the webhook URL. "
            "LinkedIn signs with the client secret and needs none."
        ),
    )

    class Meta:
        verbose_name = _("network app")
        verbose_name_plural = _("network apps")

    def __str__(self) -> str:
        return self.get_network_display()


class ServerApp(models.Model):
    """CM Hub's app as one server registered it, for networks where each server has its own apps (a
    Mastodon instance: `POST /api/v1/apps`). Registered the first time an admin connects an account there,
    then reused by every workspace of the deployment."""

    network = models.CharField(_("network"), max_length=16, choices=network_choices)
    server_url = models.URLField(
        _("server"), help_text=_("The server's address, e.g. https://mastodon.social.")
    )
    redirect_uri = models.URLField(_("redirect URI"), max_length=500)
    client_id = models.CharField(_("client id"), max_length=200)
    client_secret = EncryptedTextField(_("client secret"), blank=True)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("registered"), default=tz.now, editable=False)

    class Meta:
        verbose_name = _("server app")
        verbose_name_plural = _("server apps")
        constraints = [
            # An app is registered for one redirect URI: a deployment reached under another address (a new
            # domain) registers again rather than sending people back to the old one.
            models.UniqueConstraint(
                fields=["network", "server_url", "redirect_uri"], name="server_app_unique_per_redirect"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()} · {self.server_url}"


class ChannelQuerySet(models.QuerySet["Channel"]):
    def for_workspace(self, workspace: Workspace) -> ChannelQuerySet:
        return self.filter(workspace=workspace)

    def due(self, now: dt.datetime) -> ChannelQuerySet:
        return self.filter(status=Channel.Status.ACTIVE, next_poll_at__lte=now)

    def needing_reconnect(self) -> ChannelQuerySet:
        return self.filter(status=Channel.Status.NEEDS_RECONNECT)


class Channel(models.Model):
    """A connected social account: a Facebook Page, an Instagram account, an X account, a LinkedIn page."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        NEEDS_RECONNECT = "needs_reconnect", _("Reconnect needed")
        ERROR = "error", _("Error")

    class Backfill(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing history")
        DONE = "done", _("History imported")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    network = models.CharField(_("network"), max_length=16, choices=network_choices)
    external_id = models.CharField(_("account id on the network"), max_length=200)
    name = models.CharField(_("name"), max_length=200)
    handle = models.CharField(_("handle"), max_length=200, blank=True)
    avatar_url = models.URLField(_("avatar"), max_length=1000, blank=True)
    api_base_url = models.URLField(
        _("API base URL"), help_text=_("The network's API, or a fake, proxy or self-hosted instance.")
    )
    credentials = EncryptedJSONField(_("credentials"), default=dict, blank=True, editable=False)
    token_expires_at = models.DateTimeField(_("token expires"), null=True, blank=True)
    scopes_requested = models.JSONField(_("scopes asked"), default=list, blank=True)
    scopes_granted = models.JSONField(_("scopes granted"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    poll_interval = models.PositiveIntegerField(_("poll interval (seconds)"), default=60)
    next_poll_at = models.DateTimeField(_("next poll"), default=tz.now)
    poll_started_at = models.DateTimeField(null=True, blank=True, editable=False)  # a poll is in flight
    cursor = models.JSONField(_("cursor"), default=dict, blank=True)
    rate_limit_remaining = models.IntegerField(_("rate-limit budget left"), null=True, blank=True)
    rate_limit_reset_at = models.DateTimeField(_("rate limit resets"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    last_polled_at = models.DateTimeField(_("last successful poll"), null=True, blank=True)
    reconnect_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    expiry_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    backfill_days = models.PositiveSmallIntegerField(_("history to import (days)"), default=14)
    backfill_status = models.CharField(max_length=10, choices=Backfill.choices, default=Backfill.PENDING)
    backfill_fetched = models.PositiveIntegerField(default=0)
    #: How far back in time the history import has come: the time of the item its walk stopped at, the
    #: oldest so far (never moving forward again). None until the first interrupted poll.
    backfill_reached = models.DateTimeField(null=True, blank=True, editable=False)
    #: What the account's own server allows, where each server sets its own (a Mastodon instance's post
    #: length and media counts), as the provider read it at connection and re-reads it now and then.
    server_limits = models.JSONField(_("server limits"), default=dict, blank=True, editable=False)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("connected"), default=tz.now, editable=False)

    objects = ChannelQuerySet.as_manager()

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["network", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "network", "external_id"], name="channel_unique_account_per_workspace"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "paused", "needs_reconnect", "error"]),
                name="channel_status_valid",
            ),
        ]
        indexes = [
            # dispatch_polls, per network: WHERE status='active' AND network=%s AND next_poll_at <= now
            # ORDER BY next_poll_at.
            models.Index(fields=["status", "network", "next_poll_at"], name="channel_due_per_network"),
            # The polls in flight per network (the dispatcher's and each hand-off's count): few rows.
            models.Index(
                fields=["network", "poll_started_at"],
                name="channel_polls_in_flight",
                condition=Q(poll_started_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()} · {self.name}"

    @property
    def backfill_percent(self) -> int:
        """The share of the history window imported, 0 to 100: the time between the connection and how
        far back the import has come, over the days asked for. 100 only once the import is done (a walk
        may still have items to deliver at the far end of the window)."""
        if self.backfill_status == self.Backfill.DONE or not self.backfill_days:
            return 100
        if self.backfill_reached is None:
            return 0
        window = dt.timedelta(days=self.backfill_days)
        covered = min(max(self.created_at - self.backfill_reached, dt.timedelta(0)), window)
        return min(99, int(100 * covered / window))

    @property
    def full_label(self) -> str:
        """Network, name and handle: several channels may share a name, rarely a handle."""
        handle = f" (@{self.handle.lstrip('@')})" if self.handle else ""
        return f"{self}{handle}"

    @property
    def access_token(self) -> str:
        return (self.credentials or {}).get("access_token", "")

    @property
    def missing_scopes(self) -> list[str]:
        return [s for s in self.scopes_requested if s not in set(self.scopes_granted)]

    @property
    def rate_limited(self) -> bool:
        return bool(
            self.rate_limit_reset_at
            and self.rate_limit_reset_at > tz.now()
            and self.rate_limit_remaining == 0
        )


class PollRun(models.Model):
    """One poll of one channel: what it fetched and how it ended. Feeds the connection-health page."""

    class Outcome(models.TextChoices):
        OK = "ok", _("OK")
        RATE_LIMITED = "rate_limited", _("Rate limited")
        AUTH_EXPIRED = "auth_expired", _("Token expired")
        PERMISSION = "permission", _("Permission missing")
        TRANSIENT = "transient", _("Network trouble")
        ERROR = "error", _("Error")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="poll_runs")
    # When the dispatcher found the channel due (empty for the later chunks of a long poll, and for polls
    # not started by the dispatcher): started_at - due_at is how late polling runs (/metrics).
    due_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=tz.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    fetched = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.OK)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("poll run")
        verbose_name_plural = _("poll runs")
        ordering = ["-started_at"]
        indexes = [
            # Health page: items fetched per channel in the last 24 hours.
            models.Index(fields=["channel", "-started_at"], name="pollrun_channel_recent"),
            # /metrics counts the polls of the last window across every channel (ops.metrics).
            models.Index(fields=["-started_at"], name="pollrun_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} @ {self.started_at:%Y-%m-%d %H:%M:%S} ({self.outcome})"


class WatchSettings(models.Model):
    """Which posts the workspace's polls watch, and how often older ones are swept (issue 13, item 4).

    Recent posts are read at every poll. Older posts, back to `sweep_days`, are swept every
    `sweep_interval_hours`, at most `sweep_posts_per_run` per poll, resuming where the last run stopped;
    the same interval paces the re-read of recent threads that finds edited and deleted comments. Every
    post read costs calls against the network's rate limit: wider windows mean more calls."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="watch_settings")
    recent_days = models.PositiveSmallIntegerField(
        _("recent posts: created in the last (days)"),
        default=14,
        help_text=_("Their comments are read at every poll."),
    )
    recent_posts = models.PositiveSmallIntegerField(
        _("recent posts: at most"), default=25, help_text=_("The newest ones, per channel.")
    )
    sweep_days = models.PositiveSmallIntegerField(
        _("older posts: swept back to (days)"),
        default=365,
        help_text=_("Comments on older posts arrive through a slower sweep. 0 turns the sweep off."),
    )
    sweep_interval_hours = models.PositiveSmallIntegerField(
        _("sweep every (hours)"),
        default=6,
        help_text=_("Also how often recent threads are read again for edited and deleted comments."),
    )
    sweep_posts_per_run = models.PositiveSmallIntegerField(
        _("posts swept per poll"), default=25, help_text=_("A long sweep resumes at the next poll.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    LIMITS = {
        "recent_days": (1, 90),
        "recent_posts": (1, 100),
        "sweep_days": (0, 3650),
        "sweep_interval_hours": (1, 168),
        "sweep_posts_per_run": (1, 100),
    }

    class Meta:
        verbose_name = _("watch windows")
        verbose_name_plural = _("watch windows")
        constraints = [
            models.CheckConstraint(
                condition=Q(recent_days__gte=1, recent_days__lte=90)
                & Q(recent_posts__gte=1, recent_posts__lte=100)
                & Q(sweep_days__lte=3650)
                & Q(sweep_interval_hours__gte=1, sweep_interval_hours__lte=168)
                & Q(sweep_posts_per_run__gte=1, sweep_posts_per_run__lte=100),
                name="watch_settings_in_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workspace}: {self.recent_days} d / {self.sweep_days} d"

    @classmethod
    def for_workspace(cls, workspace_id: int) -> WatchSettings:
        """The workspace's row, or the defaults (unsaved) when nobody changed them."""
        return cls.objects.filter(workspace_id=workspace_id).first() or cls(workspace_id=workspace_id)


class WebhookDelivery(models.Model):
    """One POST a network made to our webhook URL, kept whatever became of it: the quick answer records
    it, a task processes it, a sweeper hands out the ones whose task was never enqueued.

    Accepted deliveries keep their raw body (what the signature covered) until processed; refused ones
    keep only why, and the accounts they named, for the counts on the health page."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")
        REFUSED = "refused", _("Refused")

    class Refusal(models.TextChoices):
        MISSING_SIGNATURE = "missing_signature", _("No signature")
        BAD_SIGNATURE = "bad_signature", _("Forged signature")
        REPLAY = "replay", _("Replayed delivery")
        NOT_CONFIGURED = "not_configured", _("No app secret configured")
        MALFORMED = "malformed", _("Not a webhook payload")

    network = models.CharField(_("network"), max_length=16, choices=network_choices)
    received_at = models.DateTimeField(_("received"), default=tz.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    refusal = models.CharField(_("refused because"), max_length=20, choices=Refusal.choices, blank=True)
    digest = models.CharField(max_length=64, blank=True)  # sha256 of the raw body: the replay guard
    body = models.TextField(blank=True)
    account_ids = models.JSONField(default=list, blank=True)  # the accounts the body names (entry ids)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # a worker is on it (a lease: see webhooks)
    attempts = models.PositiveSmallIntegerField(default=0)
    events = models.PositiveIntegerField(default=0)
    stored = models.PositiveIntegerField(default=0)  # items handed to the inbox (it keeps one copy of each)
    skipped = models.PositiveIntegerField(default=0)  # malformed entries, logged
    stale = models.PositiveIntegerField(default=0)  # entries older than the replay window, ignored
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-received_at"]
        constraints = [
            # A delivery seen once is not processed again (Meta and LinkedIn retry until answered 200;
            # anyone who captured one could replay it): same network, same body, one row.
            models.UniqueConstraint(
                fields=["network", "digest"],
                condition=~Q(status="refused"),
                name="webhookdelivery_unique_body",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["received", "processed", "failed", "refused"]),
                name="webhookdelivery_status_valid",
            ),
        ]
        indexes = [
            # The sweeper: WHERE status='received' AND received_at < now - grace.
            models.Index(fields=["status", "received_at"], name="webhookdelivery_pending"),
            # Health page: refused deliveries per network in the last 24 hours.
            models.Index(fields=["network", "status", "-received_at"], name="webhookdelivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()} webhook @ {self.received_at:%Y-%m-%d %H:%M:%S} ({self.status})"


class ChannelWebhookState(models.Model):
    """What webhooks did for one channel: when a verified delivery last named it, how many were refused,
    and whether the account is subscribed (our subscribe call succeeded, or a verified delivery came)."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="webhook_state")
    subscribed_at = models.DateTimeField(_("subscribed"), null=True, blank=True)
    subscribe_error = models.TextField(_("subscription error"), blank=True)
    last_delivery_at = models.DateTimeField(_("last verified delivery"), null=True, blank=True)
    deliveries = models.PositiveIntegerField(_("verified deliveries"), default=0)
    stored = models.PositiveIntegerField(_("items received from webhooks"), default=0)
    refused = models.PositiveIntegerField(_("refused deliveries"), default=0)
    last_refused_at = models.DateTimeField(_("last refused delivery"), null=True, blank=True)

    class Meta:
        verbose_name = _("channel webhook state")
        verbose_name_plural = _("channel webhook states")

    def __str__(self) -> str:
        return f"{self.channel} webhooks"


class StreamState(models.Model):
    """One long-lived stream connection (networks.streams): where it resumes and how it is doing, for the
    health page and admin. Keyed by the source's own key (a channel's, or one for all a network's)."""

    key = models.CharField(max_length=200, unique=True)
    network = models.CharField(_("network"), max_length=16, choices=network_choices)
    channel_ids = models.JSONField(default=list)  # the channels it serves, as last started
    cursor = models.JSONField(default=dict, blank=True)
    connected_at = models.DateTimeField(_("connected since"), null=True, blank=True)
    disconnected_at = models.DateTimeField(_("disconnected at"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)
    events = models.PositiveBigIntegerField(_("events"), default=0)
    stored = models.PositiveBigIntegerField(_("items stored"), default=0)  # new or already known
    reconnects = models.PositiveIntegerField(_("reconnections"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # the consumer process is alive

    class Meta:
        verbose_name = _("stream")
        verbose_name_plural = _("streams")

    def __str__(self) -> str:
        return self.key


class QuotaLedger(models.Model):
    """What one day of a network's shared quota has paid for (YouTube: 10,000 units a day per Google
    project, every YouTube channel of the deployment drawing on them, the day ending at midnight in
    California). Every call a provider makes is counted here before it is sent, with F() in one
    conditional UPDATE, so concurrent polls and writes never spend the same units twice (networks.quota)."""

    network = models.CharField(_("network"), max_length=16, choices=network_choices)
    #: The app the quota belongs to (the Google project's OAuth client id).
    project = models.CharField(_("project"), max_length=200)
    day = models.DateField(_("quota day"))
    spent = models.PositiveIntegerField(_("units spent"), default=0)
    poll_units = models.PositiveIntegerField(_("units spent by polls"), default=0)
    write_units = models.PositiveIntegerField(_("units spent by replies and moderation"), default=0)
    polls = models.PositiveIntegerField(_("polls"), default=0)
    #: The network said the quota is spent (quotaExceeded), whatever was counted here.
    exhausted_at = models.DateTimeField(_("network said spent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("quota day")
        verbose_name_plural = _("quota days")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["network", "project", "day"], name="quotaledger_one_row_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()} {self.project} {self.day}: {self.spent}"

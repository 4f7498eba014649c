"""Posts: one text written once, published to several channels, each target adapted to its network.

State names live here; which moves between them are allowed lives in `posts.states`, and only services
move them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as tz
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from core.text import single_line
from networks.models import Channel, network_choices


class PublishingPolicy(models.Model):
    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="publishing_policy")
    approvals_required = models.PositiveSmallIntegerField(
        _("approvals required"), choices=[(1, "1"), (2, "2")], default=1
    )
    missed_grace_minutes = models.PositiveIntegerField(
        _("grace period (minutes)"),
        default=60,
        help_text=_(
            "A post due longer ago than this when workers come back is marked missed, not published."
        ),
    )

    class Meta:
        verbose_name = _("publishing policy")
        verbose_name_plural = _("publishing policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(approvals_required__in=[1, 2]), name="publishingpolicy_approvals_1_or_2"
            )
        ]

    def __str__(self) -> str:
        return str(self.workspace)


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        APPROVED = "approved", _("Approved")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHING = "publishing", _("Publishing")
        PUBLISHED = "published", _("Published")
        PARTIALLY_PUBLISHED = "partially_published", _("Partially published")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="posts"
    )
    title = models.CharField(_("internal title"), max_length=200, blank=True)
    text = models.TextField(_("text"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    approvals_required = models.PositiveSmallIntegerField(default=1)
    last_error = models.TextField(_("last problem"), blank=True)
    media: models.ManyToManyField[MediaAsset, PostMedia] = models.ManyToManyField(
        "MediaAsset", through="PostMedia", blank=True, related_name="posts"
    )
    created_at = models.DateTimeField(default=tz.now)
    updated_at = models.DateTimeField(default=tz.now)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["scheduled", "publishing"]) | Q(scheduled_at__isnull=False),
                name="post_scheduled_has_time",
            ),
        ]
        indexes = [
            # Calendar: one workspace's posts in a date range.
            models.Index(fields=["workspace", "scheduled_at"], name="post_ws_calendar"),
            # Lists by state (review queue, drafts).
            models.Index(fields=["workspace", "status", "-updated_at"], name="post_ws_status"),
        ]

    def __str__(self) -> str:
        # The text has line breaks by nature; the post's name (subjects, notifications) has none.
        return self.title or single_line(self.text[:120])[:60] or f"Post #{self.pk}"

    def save(self, *args, **kwargs) -> None:
        # The one boundary for the title, whoever writes it (composer, duplicate, admin): it names the post
        # in mail subjects, where a line break refuses the mail.
        self.title = single_line(self.title)
        super().save(*args, **kwargs)


class FailureCause(models.TextChoices):
    """Why a target was not published, as a stable code (reports count by it; the words shown to a person
    are in `PostTarget.error`). Set by the publish pipeline from the error class the network raised."""

    RATE_LIMITED = "rate_limited", _("Rate limited by the network")
    AUTH_LOST = "auth_lost", _("Connection lost")
    PERMISSION = "permission", _("Permission missing")
    INVALID = "invalid", _("Refused by the network")
    DUPLICATE = "duplicate", _("Refused as a duplicate")
    NOT_FOUND = "not_found", _("Account or page gone")
    TRANSIENT = "transient", _("Network kept failing")
    MEDIA = "media", _("Media cannot be used")
    UNCONFIRMED = "unconfirmed", _("Could not be confirmed")
    MISSED = "missed", _("Missed: CM Hub was unavailable")
    INTERNAL = "internal", _("CM Hub could not prepare it")


class PostTarget(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHING = "publishing", _("Publishing")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Checking")
        MISSED = "missed", _("Missed")
        CANCELLED = "cancelled", _("Cancelled")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="targets")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="post_targets")
    text_override = models.TextField(_("text for this network"), blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    external_id = models.CharField(max_length=300, blank=True)
    permalink = models.URLField(max_length=1000, blank=True)
    error = models.TextField(blank=True)
    # Why it failed or was missed; empty in every other status.
    failure_cause = models.CharField(max_length=16, choices=FailureCause.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the next step is due (publish, retry, reconcile) or, while publishing, when the step began.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Dispatched and not claimed yet: the beat leaves it alone until then (a lost enqueue is retried after).
    leased_until = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("post target")
        verbose_name_plural = _("post targets")
        constraints = [
            models.UniqueConstraint(fields=["post", "channel"], name="posttarget_unique_channel"),
            models.CheckConstraint(
                condition=~Q(status="published") | ~Q(external_id=""), name="posttarget_published_has_id"
            ),
        ]
        indexes = [
            # dispatch_due_targets: scheduled/unknown/publishing targets whose step is due, oldest first.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="posttarget_due",
                condition=Q(status__in=["scheduled", "unknown", "publishing"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post} -> {self.channel}"

    @property
    def text(self) -> str:
        return self.text_override or self.post.text


class MediaAsset(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="media_assets")
    upload = models.FileField(_("file"), upload_to="posts/originals/%Y/%m/")
    alt_text = models.CharField(_("alt text"), max_length=1000, blank=True)
    format = models.CharField(max_length=16, blank=True)
    mime = models.CharField(max_length=100, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    frames = models.PositiveIntegerField(default=1)
    has_alpha = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=tz.now)

    class Meta:
        verbose_name = _("media asset")
        verbose_name_plural = _("media assets")

    def __str__(self) -> str:
        return self.upload.name


class Rendition(models.Model):
    class Fit(models.TextChoices):
        CROP = "crop", _("Crop")
        PAD = "pad", _("Pad")

    asset = models.ForeignKey(MediaAsset, on_delete=models.CASCADE, related_name="renditions")
    network = models.CharField(max_length=16, choices=network_choices)
    fit = models.CharField(max_length=4, choices=Fit.choices, default=Fit.CROP)
    file = models.FileField(upload_to="posts/renditions/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    mime = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=tz.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "network", "fit"], name="rendition_unique_per_network")
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} for {self.network}"


class PostMedia(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="post_media")
    asset = models.ForeignKey(MediaAsset, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    fit = models.CharField(max_length=4, choices=Rendition.Fit.choices, default=Rendition.Fit.CROP)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["post", "asset"], name="postmedia_unique_asset")]

    def __str__(self) -> str:
        return f"{self.post_id}#{self.position}"


class Review(models.Model):
    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REQUEST_CHANGES = "request_changes", _("Request changes")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=16, choices=Decision.choices)
    comment = models.TextField(blank=True)
    # Reviews of an earlier version stay for the history but no longer count (an edit drops approvals).
    current = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=tz.now)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            # One live approval per reviewer: N approvals means N different people.
            models.UniqueConstraint(
                fields=["post", "reviewer"],
                condition=Q(decision="approve", current=True),
                name="review_one_approval_per_reviewer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.decision} on {self.post_id}"


class PostEvent(models.Model):
    """The post's history: who did what, when."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target = models.ForeignKey(PostTarget, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=40)
    detail = models.TextField(blank=True)
    # On target_failed and target_missed: the FailureCause, kept when the target is retried later.
    cause = models.CharField(max_length=16, choices=FailureCause.choices, blank=True)
    created_at = models.DateTimeField(default=tz.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # A post's history, in order.
            models.Index(fields=["post", "created_at"], name="postevent_post_time"),
            # Publishing report: failures, approvals and submissions in a period.
            models.Index(fields=["action", "created_at"], name="postevent_action_time"),
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.post_id}"

    def sentence(self) -> str:
        """What happened, in the reader's language (load actor and target__channel with the event)."""
        names = {
            "actor": (self.actor.name or self.actor.email) if self.actor else _("CM Hub"),
            "channel": self.target.channel.name if self.target else "",
        }
        template = EVENT_SENTENCES.get(self.action)
        return str(template) % names if template else self.action


# One sentence per PostEvent.action (services write the actions; the post page reads them).
EVENT_SENTENCES = {
    "created": _("%(actor)s wrote this post"),
    "edited": _("%(actor)s edited it"),
    "submitted": _("%(actor)s sent it for review"),
    "approved": _("%(actor)s approved it"),
    "changes_requested": _("%(actor)s asked for changes"),
    "back_to_review": _("Edited by %(actor)s after approval: back to review"),
    "scheduled": _("%(actor)s scheduled it"),
    "rescheduled": _("%(actor)s moved it"),
    "cancelled": _("%(actor)s cancelled it"),
    "duplicated": _("%(actor)s made it from a copy"),
    "retry": _("%(actor)s asked to publish it again on %(channel)s"),
    "target_published": _("Published on %(channel)s"),
    "target_failed": _("Not published on %(channel)s"),
    "target_unknown": _("%(channel)s did not confirm: checking before any new attempt"),
    "target_scheduled": _("%(channel)s: another attempt is planned"),
    "target_missed": _("Missed on %(channel)s"),
}


class PostMetricsSnapshot(models.Model):
    """A published target's engagement as its network counted it, one row per day (the last read of the
    day wins): the newest row is the latest figure, the rows together are engagement over time. A figure
    the network does not report stays NULL, never 0."""

    target = models.ForeignKey(PostTarget, on_delete=models.CASCADE, related_name="metrics")
    day = models.DateField()
    fetched_at = models.DateTimeField()
    views = models.PositiveBigIntegerField(null=True, blank=True)
    reach = models.PositiveBigIntegerField(null=True, blank=True)
    likes = models.PositiveBigIntegerField(null=True, blank=True)
    comments = models.PositiveBigIntegerField(null=True, blank=True)
    shares = models.PositiveBigIntegerField(null=True, blank=True)
    saves = models.PositiveBigIntegerField(null=True, blank=True)
    clicks = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("post metrics")
        verbose_name_plural = _("post metrics")
        constraints = [models.UniqueConstraint(fields=["target", "day"], name="postmetrics_one_per_day")]

    def __str__(self) -> str:
        return f"{self.target_id} {self.day}"

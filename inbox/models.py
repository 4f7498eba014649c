from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone as tz
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from networks import registry
from networks.models import Channel, network_choices


class Intent(models.TextChoices):
    """What a message wants, as the assistant's triage says: the choices of every form that filters or
    corrects it. Inbox data (the inbox filters on it); the assistant computes it."""

    QUESTION = "question", _("Question")
    COMPLAINT = "complaint", _("Complaint")
    PRAISE = "praise", _("Praise")
    SPAM = "spam", _("Spam")
    OTHER = "other", _("Other")


class InboxPolicy(models.Model):
    """How a workspace runs its inbox: who needs approval, and the first-response target."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="inbox_policy")
    agent_replies_need_approval = models.BooleanField(
        _("agents' replies need a manager's approval"), default=False
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first-response target (minutes)"), default=120, help_text=_("0 turns the target off.")
    )
    # {"0": ["09:00", "18:00"], ...} by weekday (Monday = 0), in the workspace's time zone; empty = 24/7.
    business_hours = models.JSONField(_("business hours"), default=dict, blank=True)

    class AfterReply(models.TextChoices):
        STAY_OPEN = "open", _("Stay open")
        PENDING = "pending", _("Wait for the customer (pending)")
        RESOLVE = "resolved", _("Resolve")

    after_reply = models.CharField(
        _("when the team has replied"),
        max_length=10,
        choices=AfterReply.choices,
        default=AfterReply.PENDING,
        help_text=_(
            "What a conversation becomes once our reply reached the network. "
            "The customer's next message reopens it."
        ),
    )

    class Meta:
        verbose_name = _("inbox policy")
        verbose_name_plural = _("inbox policies")

    def __str__(self) -> str:
        return str(self.workspace)


class Contact(models.Model):
    """A person on a network, as seen by one workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="contacts")
    network = models.CharField(_("network"), max_length=16, choices=network_choices)
    external_id = models.CharField(_("id on the network"), max_length=200)
    handle = models.CharField(_("handle"), max_length=200, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    avatar_url = models.URLField(_("avatar"), max_length=1000, blank=True)
    profile_url = models.URLField(_("profile"), max_length=1000, blank=True)
    first_seen_at = models.DateTimeField(_("first seen"), default=tz.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=tz.now)
    message_count = models.PositiveIntegerField(_("messages"), default=0)
    notes = models.TextField(_("internal notes"), blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "network", "external_id"], name="contact_unique_per_network"
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name the network gave, else the @handle; never a raw id or URN. LinkedIn gives no handle
        (its member ids, `ACoAA...`, are not for people) and members' names only to some apps: without a
        name a LinkedIn person is "LinkedIn member"."""
        if self.name:
            return self.name
        if self.shown_handle:
            return f"@{self.shown_handle}"
        if not registry.provider_class(self.network).people_have_handles:
            return str(_("%(network)s member") % {"network": self.get_network_display()})
        return self.external_id

    @property
    def shown_handle(self) -> str:
        """The handle a person would recognise; empty where the network has none (LinkedIn stores ids)."""
        return self.handle if registry.provider_class(self.network).people_have_handles else ""


class Label(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(_("name"), max_length=50)
    color = models.CharField(_("colour"), max_length=7, default="#5a6576")

    class Meta:
        verbose_name = _("label")
        verbose_name_plural = _("labels")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="label_unique_name")]

    def __str__(self) -> str:
        return self.name


class ConversationQuerySet(models.QuerySet["Conversation"]):
    def for_workspace(self, workspace: Workspace) -> ConversationQuerySet:
        return self.filter(workspace=workspace)

    def open(self) -> ConversationQuerySet:
        return self.filter(status=Conversation.Status.OPEN)


class Conversation(models.Model):
    """A thread the team answers: the comments under one top-level comment, a mention thread, or a
    direct-message thread. Messages join it by the thread root the network gives."""

    class Kind(models.TextChoices):
        COMMENT = "comment", _("Comment")
        MENTION = "mention", _("Mention")
        DIRECT_MESSAGE = "direct_message", _("Direct message")
        REVIEW = "review", _("Review")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        RESOLVED = "resolved", _("Resolved")
        SPAM = "spam", _("Spam")

    class Priority(models.IntegerChoices):
        LOW = 0, _("Low")
        NORMAL = 1, _("Normal")
        HIGH = 2, _("High")
        URGENT = 3, _("Urgent")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="conversations")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="conversations")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    root_external_id = models.CharField(_("thread root on the network"), max_length=300)
    post_external_id = models.CharField(_("post on the network"), max_length=300, blank=True)
    post_permalink = models.URLField(_("post link"), max_length=1000, blank=True)
    # What the post says and shows, from the network's payload or from our own published post: a thread
    # names its post by these, never by a raw id.
    post_text = models.CharField(_("post text"), max_length=500, blank=True)
    post_image_url = models.URLField(_("post picture"), max_length=1000, blank=True)
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, related_name="conversations")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned"
    )
    labels = models.ManyToManyField(Label, blank=True, related_name="conversations")
    sensitive = models.BooleanField(
        _("sensitive"), default=False, help_text=_("Replies always need approval.")
    )
    preview = models.CharField(_("last message"), max_length=280, blank=True)
    # Who wrote the preview: the list marks our side ("You:", a colleague's name, the channel's).
    preview_outbound = models.BooleanField(default=False)
    preview_author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message_count = models.PositiveIntegerField(default=0)
    # A review thread's stars (1 to 5), kept equal to its review's (Message.rating), so the list filters
    # by rating without reading messages; empty for other threads.
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    last_message_at = models.DateTimeField(_("last message"), default=tz.now)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    # The newest reply of ours that reached the network: inbound messages up to it are answered.
    last_reply_at = models.DateTimeField(null=True, blank=True)
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=tz.now)
    updated_at = models.DateTimeField(default=tz.now)  # bumped on every change: live updates poll it

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "root_external_id"], name="conversation_unique_thread"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="conversation_rating_stars",
            ),
        ]
        indexes = [
            # Inbox list: one workspace, one status, newest activity first.
            models.Index(
                fields=["workspace", "status", "-last_message_at", "-id"], name="conv_ws_status_recent"
            ),
            # "Assigned to me" / "unassigned" views of the same list.
            models.Index(
                fields=["workspace", "assignee", "status", "-last_message_at"], name="conv_ws_assignee"
            ),
            # SLA views: overdue first.
            models.Index(
                fields=["workspace", "first_response_due_at"],
                name="conv_ws_sla_due",
                condition=Q(first_response_at__isnull=True),
            ),
            # Live updates: what changed in this workspace since the page was drawn.
            models.Index(fields=["workspace", "updated_at"], name="conv_ws_updated"),
            # The list filtered by stars ("1-star reviews, newest first"): reviews only, a small share of
            # a workspace's threads, so the status index would walk every comment to find them.
            models.Index(
                fields=["workspace", "rating", "status", "-last_message_at", "-id"],
                name="conv_ws_rating_recent",
                condition=Q(rating__isnull=False),
            ),
            # The threads under a post of ours, named when it is published: without it, every publish
            # walked all of its channel's threads.
            models.Index(
                fields=["channel", "post_external_id"],
                name="conv_channel_post",
                condition=~Q(post_external_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class PublishedPost(models.Model):
    """A post of ours as it went out on a channel (sent by posts through networks.signals.post_published):
    what the threads under it are about, with its picture, which no network payload carries."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=300)
    text = models.CharField(max_length=500, blank=True)
    image_name = models.CharField(max_length=500, blank=True)  # a stored file (shown at a signed URL)
    permalink = models.URLField(max_length=1000, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="published_post_unique"),
        ]

    def __str__(self) -> str:
        return self.external_id


class ConversationRead(models.Model):
    """Up to when a member has read a conversation (read state is per person)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=tz.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="read_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.conversation_id} at {self.read_at:%Y-%m-%d %H:%M}"


class Message(models.Model):
    """One comment, mention or direct message, inbound or ours. Stored once per (channel, external id)."""

    class Direction(models.TextChoices):
        IN = "in", _("Inbound")
        OUT = "out", _("Outbound")

    class SendStatus(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Checking")
        REJECTED = "rejected", _("Rejected")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    # NULL (not "") until an outbound reply is sent: the unique constraint must allow many unsent replies.
    external_id = models.CharField(max_length=300, null=True, blank=True)  # noqa: DJ001
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.IN)
    kind = models.CharField(max_length=16, default="comment")
    author_contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    parent_external_id = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    attachments = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=tz.now)  # the network's time
    ingested_at = models.DateTimeField(default=tz.now)
    permalink = models.URLField(max_length=1000, blank=True)
    hidden = models.BooleanField(default=False)
    # A review's stars (1 to 5), as the reviewer last set them; empty for everything but reviews.
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    # Edits and deletions seen on the network (inbox/edits.py): the words before each edit, oldest first,
    # as [{"text", "replaced_at"}] (with "rating": a review's stars before that edit), for the agent to
    # see what was answered; a deleted message stays, marked, so the thread and its triage history keep
    # their sense.
    edited_at = models.DateTimeField(null=True, blank=True)
    previous_texts = models.JSONField(default=list, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Our answer on a network that keeps one answer per thread (Provider.one_reply_per_thread: a Google
    # review's reply) when a later one took its place there: kept in the thread, shown as replaced. Its
    # network id passed to the new answer (the network names both the same).
    replaced_at = models.DateTimeField(null=True, blank=True)
    # Outbound replies only.
    send_status = models.CharField(max_length=20, choices=SendStatus.choices, blank=True)
    send_error = models.TextField(blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)
    # When the reply's next send step is due (a retry's backoff and a rate limit's reset push it forward),
    # or, while it is sending, when that step began. Empty for what CM Hub did not send (a poll's echo).
    next_step_at = models.DateTimeField(null=True, blank=True)
    # Handed to a worker until then: the dispatcher leaves it alone unless that enqueue was lost.
    leased_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_comment = models.TextField(blank=True)
    # PostgreSQL full-text (French and English, accents folded). SQLite searches an FTS5 index instead
    # (inbox_message_fts, kept in step by triggers: migration inbox 0004).
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            # The guard against duplicates: a replayed poll cannot store a message twice.
            models.UniqueConstraint(fields=["channel", "external_id"], name="message_unique_per_channel"),
            models.CheckConstraint(
                condition=Q(direction="in") | ~Q(send_status=""), name="message_outbound_has_status"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="message_rating_stars",
            ),
        ]
        indexes = [
            # Conversation page: its messages in order.
            models.Index(fields=["conversation", "created_at", "id"], name="msg_conversation_order"),
            # Reply dispatcher: replies whose next step is due.
            models.Index(
                fields=["send_status", "next_step_at"], name="msg_send_queue", condition=~Q(send_status="")
            ),
            # Full-text search: a GIN index on search_vector, created on PostgreSQL only (migration 0002).
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.external_id or self.pk}"


class Note(models.Model):
    """An internal note on a conversation; `@name` mentions notify teammates."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(_("note"))
    mentioned = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(default=tz.now)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class SavedReply(models.Model):
    """A canned answer with variables ({{ contact.name }}, {{ agent.first_name }}) and a shortcut."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="saved_replies")
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("body"))
    shortcut = models.SlugField(
        _("shortcut"), max_length=40, blank=True, help_text=_("Type /shortcut to insert.")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=tz.now)

    class Meta:
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "shortcut"], name="savedreply_unique_shortcut", condition=~Q(shortcut="")
            )
        ]

    def __str__(self) -> str:
        return self.title


from inbox.moderation_models import ModerationAction  # noqa: E402, F401 - an inbox model in its own module

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as tz
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from inbox.models import Message


class Language(models.TextChoices):
    FR = "fr", _("French")
    EN = "en", _("English")


class AssistantPolicy(models.Model):
    """What the assistant may do on its own in one workspace. Everything is off until a manager says so."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="assistant_policy")
    mark_spam = models.BooleanField(
        _("move clear spam to the spam folder"),
        default=False,
        help_text=_("Off: the spam score is only stored and shown."),
    )

    class Meta:
        verbose_name = _("assistant policy")
        verbose_name_plural = _("assistant policies")

    def __str__(self) -> str:
        return str(self.workspace)


class FaqEntryQuerySet(models.QuerySet["FaqEntry"]):
    def for_workspace(self, workspace: Workspace | int) -> FaqEntryQuerySet:
        return self.filter(workspace=workspace)

    def active(self) -> FaqEntryQuerySet:
        return self.filter(active=True)


class FaqEntry(models.Model):
    """One answer in one language. Entries sharing a `group` are translations of the same answer."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="faq_entries")
    group = models.SlugField(_("group"), max_length=80, help_text=_("Translations of one answer share it."))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    questions = models.JSONField(_("questions"), default=list, help_text=_("Ways customers ask it."))
    answer = models.TextField(_("answer"))
    url = models.URLField(_("help page"), max_length=500, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=tz.now, editable=False)
    # auto_now: every save (admin included) changes it, and the FAQ index cache is keyed by it.
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = FaqEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        ordering = ["group", "language"]
        constraints = [
            # One translation per language: the CSV import upserts on it.
            models.UniqueConstraint(fields=["workspace", "group", "language"], name="faq_unique_translation"),
        ]
        indexes = [
            # Index cache freshness: max(updated_at) of one workspace's FAQ.
            models.Index(fields=["workspace", "updated_at"], name="faq_ws_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.group} ({self.language})"

    @property
    def title(self) -> str:
        return self.questions[0] if self.questions else self.group


class MessageTriage(models.Model):
    """What the engine made of one inbound message. Written once: the unique message is the guard."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="triage")
    language = models.CharField(_("language"), max_length=8)
    sentiment = models.FloatField(_("sentiment"))
    intent = models.CharField(_("intent"), max_length=16)
    priority = models.PositiveSmallIntegerField(_("priority"))
    spam_score = models.FloatField(_("spam score"))
    spam_reasons = models.JSONField(_("spam reasons"), default=list, blank=True)
    engine_version = models.CharField(_("engine"), max_length=32)
    created_at = models.DateTimeField(default=tz.now)

    class Meta:
        verbose_name = _("message triage")
        verbose_name_plural = _("message triages")

    def __str__(self) -> str:
        return f"{self.message_id}: {self.language}/{self.intent}/p{self.priority}"


class TriageCorrection(models.Model):
    """A person fixed one field of a triage: the ground truth that measures the engine's accuracy."""

    class Field(models.TextChoices):
        LANGUAGE = "language", _("Language")
        SENTIMENT = "sentiment", _("Sentiment")
        INTENT = "intent", _("Intent")
        PRIORITY = "priority", _("Priority")
        SPAM = "spam", _("Spam")

    triage = models.ForeignKey(MessageTriage, on_delete=models.CASCADE, related_name="corrections")
    field = models.CharField(_("field"), max_length=16, choices=Field.choices)
    old_value = models.CharField(_("was"), max_length=64)
    new_value = models.CharField(_("now"), max_length=64)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    corrected_at = models.DateTimeField(default=tz.now)

    class Meta:
        verbose_name = _("triage correction")
        verbose_name_plural = _("triage corrections")
        ordering = ["-corrected_at"]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} -> {self.new_value}"


class Suggestion(models.Model):
    """An answer the assistant offered for one message, and what the person did with it."""

    class Kind(models.TextChoices):
        FAQ = "faq", _("FAQ answer")
        SAVED_REPLY = "saved_reply", _("Saved reply")

    class Fate(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT_AS_IS = "sent_as_is", _("Sent as is")
        EDITED = "edited", _("Edited")
        IGNORED = "ignored", _("Ignored")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="suggestions")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    faq_entry = models.ForeignKey(
        FaqEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="suggestions"
    )
    saved_reply_id = models.PositiveIntegerField(null=True, blank=True)  # a SavedReply may be deleted later
    text = models.TextField(_("suggested text"))
    rank = models.PositiveSmallIntegerField(_("rank"))
    confidence = models.FloatField(_("confidence"))
    language = models.CharField(_("language"), max_length=8, blank=True)
    fate = models.CharField(_("fate"), max_length=12, choices=Fate.choices, default=Fate.PENDING)
    final_text = models.TextField(_("text sent"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=tz.now)

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["message", "rank"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="faq", saved_reply_id__isnull=True)
                | Q(kind="saved_reply", faq_entry__isnull=True),
                name="suggestion_one_source",
            ),
        ]
        indexes = [
            # Acceptance stats: suggestions of one FAQ entry by fate.
            models.Index(fields=["faq_entry", "fate"], name="suggestion_faq_fate"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.rank} for {self.message_id}"

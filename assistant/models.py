from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as tz
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from assistant import engine
from inbox import models as inbox_models
from inbox.models import Message


class Language(models.TextChoices):
    FR = "fr", _("French")
    EN = "en", _("English")


# What a message wants: inbox data (it filters on it), computed by the assistant's triage.
Intent = inbox_models.Intent


class AssistantPolicy(models.Model):
    """What the assistant may do on its own in one workspace. Everything is off until a manager says so."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="assistant_policy")
    mark_spam = models.BooleanField(
        _("move clear spam to the spam folder"),
        default=False,
        help_text=_("Off: the spam score is only stored and shown."),
    )
    tone_guide = models.TextField(
        _("tone guide"),
        blank=True,
        max_length=4000,
        help_text=_(
            "How the team writes (formality, greetings, sign-off, words to avoid). "
            "Given to the language model when it drafts a reply."
        ),
    )
    synonyms = models.TextField(
        _("workspace vocabulary"),
        blank=True,
        max_length=20000,
        help_text=_(
            "Words of your trade that mean the same thing, one concept per line: "
            '"concept: word, other word, phrase". The FAQ suggestions treat them as one.'
        ),
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


class LearnedPhrasing(models.Model):
    """A customer's message that a person answered with an FAQ entry: a candidate new way of asking it.

    Accepted, it feeds the FAQ index at once (as a matching-only phrasing); dismissed, it stays recorded so
    the same message is not proposed again."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        ACCEPTED = "accepted", _("Accepted")
        DISMISSED = "dismissed", _("Dismissed")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    faq_entry = models.ForeignKey(FaqEntry, on_delete=models.CASCADE, related_name="learned_phrasings")
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    text = models.TextField(_("customer's words"), max_length=1000)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created"), default=tz.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("learned phrasing")
        verbose_name_plural = _("learned phrasings")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["faq_entry", "text"], name="learned_phrasing_unique_text"),
        ]
        indexes = [
            # The FAQ page's candidates and the index's accepted phrasings, per workspace.
            models.Index(fields=["workspace", "status"], name="learned_ws_status"),
        ]

    def __str__(self) -> str:
        return f"{self.faq_entry_id}: {self.text[:40]}"


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
        LLM = "llm", _("Model draft")
        REVIEW = "review", _("Review answer")  # a first draft from the review's stars (engine/reviews.py)

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
                | Q(kind="saved_reply", faq_entry__isnull=True)
                | Q(kind__in=["llm", "review"], faq_entry__isnull=True, saved_reply_id__isnull=True),
                name="suggestion_one_source",
            ),
        ]
        indexes = [
            # Acceptance stats: suggestions of one FAQ entry by fate.
            models.Index(fields=["faq_entry", "fate"], name="suggestion_faq_fate"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.rank} for {self.message_id}"


class Rule(models.Model):
    """If a new inbound message matches `conditions`, do `actions`. Rules run in `position` order after
    triage; `stop_here` ends the chain for that message. Formats are described in `assistant.rules`."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    stop_here = models.BooleanField(
        _("stop here"), default=False, help_text=_("When this rule matches, the rules after it do not run.")
    )
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list, blank=True)
    # Round-robin assignment: how many conversations this rule has handed out so far.
    round_robin_cursor = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=tz.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=tz.now)

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["position", "pk"]
        indexes = [
            # After triage: one workspace's active rules, in order.
            models.Index(fields=["workspace", "active", "position"], name="rule_ws_active_order"),
        ]

    def __str__(self) -> str:
        return self.name


class RuleExecution(models.Model):
    """What one rule did to one message. A real run writes it first, as the claim: a rerun of the same
    triage never applies a rule twice. Dry runs write nothing (the flag is kept for imported history)."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="executions")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="rule_executions")
    actions = models.JSONField(_("actions applied"), default=list, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    created_at = models.DateTimeField(_("when"), default=tz.now)

    class Meta:
        verbose_name = _("rule execution")
        verbose_name_plural = _("rule executions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "message"], condition=Q(dry_run=False), name="rule_execution_once"
            ),
        ]
        indexes = [
            # Execution log page: one rule's (or workspace's) latest executions.
            models.Index(fields=["rule", "-created_at"], name="rule_exec_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} on {self.message_id}"


class AutoReplyPolicy(models.Model):
    """When the assistant may answer on its own. Without a row, or with `enabled` off, auto-replies are
    drafts that wait for a person's approval."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="auto_reply_policy")
    enabled = models.BooleanField(
        _("allow direct sending"), default=False, help_text=_("Off: every auto-reply waits for approval.")
    )
    faq_entries = models.ManyToManyField(
        FaqEntry, blank=True, related_name="+", verbose_name=_("answers that may go out directly")
    )
    min_confidence = models.FloatField(_("confidence threshold"), default=engine.AUTO_SEND_THRESHOLD)
    channels = models.ManyToManyField(
        "networks.Channel", blank=True, related_name="+", verbose_name=_("channels allowed")
    )
    daily_cap = models.PositiveIntegerField(_("direct replies per day"), default=20)
    updated_at = models.DateTimeField(_("updated"), default=tz.now)

    class Meta:
        verbose_name = _("auto-reply policy")
        verbose_name_plural = _("auto-reply policies")

    def __str__(self) -> str:
        return str(self.workspace)


class AutoReply(models.Model):
    """Audit of one auto-reply: drafted for approval, sent directly, or skipped, and why."""

    class Mode(models.TextChoices):
        DRAFTED = "drafted", _("Drafted for approval")
        SENT = "sent", _("Sent directly")
        SKIPPED = "skipped", _("Skipped")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(Rule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="auto_replies")
    reply = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    faq_entry = models.ForeignKey(
        FaqEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confidence = models.FloatField(_("confidence"), default=0.0)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("when"), default=tz.now)
    # A direct reply the customer answered, so the conversation went back to the humans (hand_back): the
    # first time only. The label hand_back adds may be removed later; this stays for the reports.
    handed_back_at = models.DateTimeField(_("handed back"), null=True, blank=True)

    class Meta:
        verbose_name = _("auto-reply")
        verbose_name_plural = _("auto-replies")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # Daily cap: direct sends of one workspace since the start of its day.
            models.Index(fields=["workspace", "mode", "created_at"], name="autoreply_ws_mode_day"),
            # Sentiment report: hand-backs of one workspace in a period.
            models.Index(
                fields=["workspace", "handed_back_at"],
                name="autoreply_ws_handed_back",
                condition=Q(handed_back_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mode} for {self.message_id}"

"""The assistant's forms: FAQ entries and their import, rules, auto-replies, tone, triage corrections."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership
from assistant import engine, rules, services
from assistant.models import FaqEntry, Intent, Language, MessageTriage, Rule, TriageCorrection
from core.uploads import read_upload
from inbox.models import Conversation
from networks.models import Channel, network_choices

MAX_UPLOAD_BYTES = 1_000_000


class FaqEntryForm(forms.Form):
    group = forms.SlugField(
        label=gettext_lazy("Group"),
        max_length=80,
        help_text=gettext_lazy("A short name shared by the translations of this answer, e.g. opening-hours."),
    )
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Language.choices)
    questions = forms.CharField(
        label=gettext_lazy("Questions"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One way of asking per line."),
    )
    answer = forms.CharField(label=gettext_lazy("Answer"), widget=forms.Textarea(attrs={"rows": 5}))
    url = forms.URLField(label=gettext_lazy("Help page"), required=False, max_length=500)
    tags = forms.CharField(
        label=gettext_lazy("Tags"), required=False, help_text=gettext_lazy("Separated by commas.")
    )
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def clean_questions(self) -> list[str]:
        questions = [q.strip() for q in self.cleaned_data["questions"].splitlines() if q.strip()]
        if not questions:
            raise forms.ValidationError(_("Give at least one question."))
        return questions

    def clean_tags(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]

    @classmethod
    def initial_for(cls, entry: FaqEntry) -> dict:
        return {
            "group": entry.group,
            "language": entry.language,
            "questions": "\n".join(entry.questions),
            "answer": entry.answer,
            "url": entry.url,
            "tags": ", ".join(entry.tags),
            "active": entry.active,
        }


class FaqImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))

    def clean_file(self):
        data = read_upload(self.cleaned_data["file"], max_bytes=MAX_UPLOAD_BYTES)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("Save the file as UTF-8 CSV and try again.")) from exc


_SENTIMENT: dict[str, Any] = {"min_value": -1.0, "max_value": 1.0, "required": False}


def _members(workspace) -> list[tuple[int, str]]:
    rows = Membership.objects.filter(workspace=workspace, user__is_active=True).select_related("user")
    return [(m.user_id, m.user.name) for m in rows.order_by("user__email")]


class RuleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    stop_here = forms.BooleanField(
        label=gettext_lazy("Stop here"),
        required=False,
        help_text=gettext_lazy("When this rule matches, the rules after it do not run."),
    )
    # Conditions: all that are filled in must hold.
    networks = forms.MultipleChoiceField(
        label=gettext_lazy("Networks"),
        choices=network_choices(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Channels"), required=False, widget=forms.CheckboxSelectMultiple
    )
    kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Kinds"),
        choices=Conversation.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Languages"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    intents = forms.MultipleChoiceField(
        label=gettext_lazy("Intents"),
        choices=Intent.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sentiment_above = forms.FloatField(label=gettext_lazy("Sentiment above (-1 to 1)"), **_SENTIMENT)
    sentiment_below = forms.FloatField(label=gettext_lazy("Sentiment below (-1 to 1)"), **_SENTIMENT)
    keywords = forms.CharField(
        label=gettext_lazy("Any of these keywords"),
        required=False,
        help_text=gettext_lazy("Separated by commas; accents and case are ignored."),
    )
    regex = forms.CharField(
        label=gettext_lazy("Or matching this pattern"),
        required=False,
        max_length=rules.REGEX_MAX_CHARS,
        help_text=gettext_lazy(
            "A regular expression; case is ignored. Back-references and look-arounds are not supported."
        ),
    )
    first_time_author = forms.BooleanField(
        label=gettext_lazy("First message from this person"), required=False
    )
    outside_business_hours = forms.BooleanField(label=gettext_lazy("Outside business hours"), required=False)
    # Actions, in this order.
    add_label = forms.CharField(label=gettext_lazy("Add the label"), required=False, max_length=50)
    assign_to = forms.TypedChoiceField(
        label=gettext_lazy("Assign to"), required=False, coerce=int, empty_value=None
    )
    round_robin = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Or assign in turn among"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    set_priority = forms.TypedChoiceField(
        label=gettext_lazy("Set priority"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *Conversation.Priority.choices],
    )
    mark_spam = forms.BooleanField(label=gettext_lazy("Mark as spam"), required=False)
    suggest_faq = forms.BooleanField(label=gettext_lazy("Suggest an FAQ answer"), required=False)
    auto_reply = forms.BooleanField(
        label=gettext_lazy("Auto-reply with the best FAQ answer"),
        required=False,
        help_text=gettext_lazy(
            "A draft that waits for approval, unless the auto-reply settings allow sending it."
        ),
    )

    _CONDITIONS = (
        "networks",
        "kinds",
        "languages",
        "intents",
        "regex",
        "first_time_author",
        "outside_business_hours",
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        members = _members(workspace)
        self.fields["assign_to"].choices = [("", "—"), *members]
        self.fields["round_robin"].choices = members
        self.fields["channels"].choices = [
            (str(c.pk), c.full_label) for c in Channel.objects.filter(workspace=workspace).order_by("name")
        ]

    def clean_regex(self) -> str:
        pattern = self.cleaned_data["regex"].strip()
        if pattern and (problem := rules.regex_problem(pattern)):
            raise forms.ValidationError(problem)
        return pattern

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        conditions = {k: data[k] for k in self._CONDITIONS if data.get(k)}
        if data.get("channels"):
            conditions["channels"] = [int(c) for c in data["channels"]]
        for name in ("sentiment_above", "sentiment_below"):
            if data.get(name) is not None:
                conditions[name] = data[name]
        keywords = [k.strip() for k in (data.get("keywords") or "").split(",") if k.strip()]
        if keywords:
            conditions["keywords"] = keywords
        actions: list[dict] = []
        if data.get("add_label", "").strip():
            actions.append({"type": "add_label", "label": data["add_label"].strip()})
        if data.get("round_robin"):
            actions.append({"type": "round_robin", "users": data["round_robin"]})
        elif data.get("assign_to"):
            actions.append({"type": "assign", "user": data["assign_to"]})
        if data.get("set_priority") is not None:
            actions.append({"type": "set_priority", "priority": data["set_priority"]})
        actions += [{"type": k} for k in ("mark_spam", "suggest_faq", "auto_reply") if data.get(k)]
        data["conditions"], data["actions"] = conditions, actions
        return data

    @classmethod
    def initial_for(cls, rule: Rule) -> dict:
        c = rule.conditions or {}
        initial = {"name": rule.name, "active": rule.active, "stop_here": rule.stop_here}
        initial.update({k: c.get(k) for k in cls._CONDITIONS if c.get(k)})
        initial.update(
            channels=[str(pk) for pk in c.get("channels", [])],
            sentiment_above=c.get("sentiment_above"),
            sentiment_below=c.get("sentiment_below"),
            keywords=", ".join(c.get("keywords", [])),
        )
        for action in rule.actions or []:
            kind = action.get("type")
            if kind == "add_label":
                initial["add_label"] = action.get("label", "")
            elif kind == "assign":
                initial["assign_to"] = action.get("user")
            elif kind == "round_robin":
                initial["round_robin"] = action.get("users", [])
            elif kind == "set_priority":
                initial["set_priority"] = action.get("priority")
            else:
                initial[kind] = True
        return initial


class FaqChoiceField(forms.ModelMultipleChoiceField):
    """FAQ answers named as people know them: their first question and language, not their group slug."""

    def label_from_instance(self, obj: FaqEntry) -> str:
        return f"{obj.title} ({obj.get_language_display()})"


class ChannelChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Channel) -> str:
        return obj.full_label


class AutoReplyPolicyForm(forms.Form):
    enabled = forms.BooleanField(
        label=gettext_lazy("Allow direct sending"),
        required=False,
        help_text=gettext_lazy("Off: every auto-reply is a draft that waits for approval."),
    )
    faq_entries = FaqChoiceField(
        label=gettext_lazy("Answers that may go out directly"),
        queryset=FaqEntry.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    min_confidence = forms.FloatField(
        label=gettext_lazy("Confidence threshold (0 to 1)"),
        min_value=engine.AUTO_SEND_THRESHOLD,
        max_value=1.0,
        initial=engine.AUTO_SEND_THRESHOLD,
        help_text=format_lazy(
            gettext_lazy("At least {threshold}: below it, an answer is never sent alone."),
            threshold=engine.AUTO_SEND_THRESHOLD,
        ),
    )
    channels = ChannelChoiceField(
        label=gettext_lazy("Channels allowed"),
        queryset=Channel.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    daily_cap = forms.IntegerField(label=gettext_lazy("Direct replies per day"), min_value=0, initial=20)

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["faq_entries"].queryset = FaqEntry.objects.filter(workspace=workspace, active=True)
        self.fields["channels"].queryset = Channel.objects.filter(workspace=workspace).order_by("name")


class VocabularyForm(forms.Form):
    synonyms = forms.CharField(
        label=gettext_lazy("Vocabulary"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text=gettext_lazy(
            "One concept per line, then the words and phrases your customers use for it, in French and "
            "English: “box: box, routeur, modem, router”. Lines starting with # are notes."
        ),
    )

    def clean_synonyms(self) -> str:
        text = self.cleaned_data["synonyms"]
        try:
            services.vocabulary_check(text)
        except services.AssistantError as exc:
            raise forms.ValidationError(exc.message) from exc
        return text


class ToneGuideForm(forms.Form):
    tone_guide = forms.CharField(
        label=gettext_lazy("Tone guide"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "How the team writes: formal or casual, greetings, sign-off, words to avoid. The language model "
            "follows it when it drafts a reply; facts always come from the FAQ."
        ),
    )


F = TriageCorrection.Field

LANGUAGE_CHOICES = [
    ("fr", gettext_lazy("French")),
    ("en", gettext_lazy("English")),
    ("unknown", gettext_lazy("Other or unknown")),
]
SENTIMENT_CHOICES = [
    ("negative", gettext_lazy("Negative")),
    ("neutral", gettext_lazy("Neutral")),
    ("positive", gettext_lazy("Positive")),
]
SPAM_CHOICES = [("no", gettext_lazy("Not spam")), ("yes", gettext_lazy("Spam"))]


def _priority_choices() -> list[tuple[str, str]]:
    return [(str(value), label) for value, label in Conversation.Priority.choices]


CHOICES = {
    F.LANGUAGE: LANGUAGE_CHOICES,
    F.INTENT: Intent.choices,
    F.SENTIMENT: SENTIMENT_CHOICES,
    F.SPAM: SPAM_CHOICES,
}


def value_label(field: str, value: str) -> str:
    """A stored correction value in words ("spam" -> "Spam", "3" -> "Urgent")."""
    choices = _priority_choices() if field == F.PRIORITY else CHOICES.get(field, [])
    return str(dict(choices).get(value, value))


class TriageCorrectionForm(forms.Form):
    """Every field starts at the triage's current value; the ones a person changes become corrections."""

    intent = forms.ChoiceField(label=gettext_lazy("Intent"), choices=Intent.choices)
    sentiment = forms.ChoiceField(label=gettext_lazy("Sentiment"), choices=SENTIMENT_CHOICES)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=LANGUAGE_CHOICES)
    spam = forms.ChoiceField(label=gettext_lazy("Spam"), choices=SPAM_CHOICES)
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), choices=_priority_choices)

    def __init__(self, *args, triage: MessageTriage, **kwargs):
        self.current = {field: services.triage_value(triage, field) for field in F.values}
        kwargs.setdefault("initial", self.current)
        kwargs.setdefault("prefix", f"triage-{triage.message_id}")  # several forms may be open on one page
        super().__init__(*args, **kwargs)
        if self.current[F.LANGUAGE] not in dict(LANGUAGE_CHOICES):
            self.fields[F.LANGUAGE].choices = [*LANGUAGE_CHOICES, (self.current[F.LANGUAGE],) * 2]

    def changes(self) -> dict[str, str]:
        return {f: v for f, v in self.cleaned_data.items() if v != self.current[f]}

    def clean(self):
        data = super().clean()
        if not self.errors and not self.changes():
            raise forms.ValidationError(_("Nothing to correct: change at least one label."))
        return data

"""Assistant pages: FAQ upkeep for managers, acceptance stats, and the suggestion list for the composer.

Thin: writes go through `assistant.services`, reads through `assistant.selectors`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import WorkspaceRequest, workspace_view
from accounts.models import Membership
from accounts.policy import Perm
from assistant import autoreply, llm, rules, selectors, services
from assistant.models import AssistantPolicy, AutoReply, AutoReplyPolicy, FaqEntry, Intent, Language, Rule
from core.errors import user_errors_on
from core.htmx import fragment_or_page, is_htmx
from core.uploads import read_upload
from inbox.models import Conversation
from inbox.selectors import get_conversation_for_member
from networks.models import Channel, Network

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


def _save(request: WorkspaceRequest, form: FaqEntryForm, entry: FaqEntry | None) -> bool:
    with user_errors_on(form):
        if entry is None:
            services.faq_entry_create(by=request.membership, **form.cleaned_data)
        else:
            services.faq_entry_update(entry=entry, by=request.membership, **form.cleaned_data)
        return True
    return False


@workspace_view(Perm.MANAGE_FAQ)
@require_http_methods(["GET", "POST"])
def faq_list(request: WorkspaceRequest) -> HttpResponse:
    form = FaqEntryForm(request.POST or None, initial={"language": request.workspace.default_language})
    if request.method == "POST" and form.is_valid() and _save(request, form, None):
        messages.success(request, _("FAQ answer added."))
        return redirect("faq_entries", slug=request.workspace.slug)
    context = {"form": form, "entries": selectors.faq_entries(request.workspace)}
    return render(request, "assistant/faq_list.html", context, status=400 if form.errors else 200)


@workspace_view(Perm.MANAGE_FAQ)
@require_http_methods(["GET", "POST"])
def faq_edit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    entry = selectors.get_faq_entry_for_member(request.membership, pk)
    form = FaqEntryForm(request.POST or None, initial=FaqEntryForm.initial_for(entry))
    if request.method == "POST" and form.is_valid() and _save(request, form, entry):
        messages.success(request, _("FAQ answer updated."))
        return redirect("faq_entries", slug=request.workspace.slug)
    context = {"form": form, "entry": entry}
    return render(request, "assistant/faq_form.html", context, status=400 if form.errors else 200)


@workspace_view(Perm.MANAGE_FAQ)
@require_POST
def faq_deactivate(request: WorkspaceRequest, pk: int) -> HttpResponse:
    entry = selectors.get_faq_entry_for_member(request.membership, pk)
    services.faq_entry_deactivate(entry=entry, by=request.membership)
    messages.success(request, _("“%(title)s” is no longer suggested.") % {"title": entry.title})
    return redirect("faq_entries", slug=request.workspace.slug)


class FaqImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))

    def clean_file(self):
        data = read_upload(self.cleaned_data["file"], max_bytes=MAX_UPLOAD_BYTES)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("Save the file as UTF-8 CSV and try again.")) from exc


@workspace_view(Perm.MANAGE_FAQ)
@require_http_methods(["GET", "POST"])
def faq_import(request: WorkspaceRequest) -> HttpResponse:
    form = FaqImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = services.faq_import_csv(by=request.membership, content=form.cleaned_data["file"])
        messages.success(
            request,
            _("Import done: %(created)d added, %(updated)d updated, %(errors)d row(s) skipped.")
            % {"created": report.created, "updated": report.updated, "errors": len(report.errors)},
        )
    status = 400 if form.errors else 200
    return render(request, "assistant/faq_import.html", {"form": form, "report": report}, status=status)


@workspace_view(Perm.MANAGE_FAQ)
@require_GET
def faq_export(request: WorkspaceRequest) -> HttpResponse:
    response = HttpResponse(
        services.faq_export_csv(request.workspace), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="faq-{request.workspace.slug}.csv"'
    return response


@workspace_view(Perm.MANAGE_FAQ)
@require_GET
def faq_stats(request: WorkspaceRequest) -> HttpResponse:
    return render(request, "assistant/faq_stats.html", {"rows": selectors.faq_acceptance(request.workspace)})


def _suggestions_context(request: WorkspaceRequest, conversation: Conversation) -> dict:
    message = selectors.latest_inbound(conversation)
    suggestions = services.suggestions_for(message, agent=request.user) if message else []
    return {
        "conversation": conversation,
        "message": message,
        "suggestions": suggestions,
        "llm_enabled": llm.configured() and message is not None,
    }


@workspace_view(Perm.REPLY)
@require_GET
def suggestion_list(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    """Suggested answers to the conversation's latest inbound message: a fragment the composer includes."""
    conversation = get_conversation_for_member(request.membership, conversation_id)
    context = _suggestions_context(request, conversation)
    return fragment_or_page(request, "assistant/suggestions.html", "suggestion-list", context)


@workspace_view(Perm.REPLY)
@require_POST
def reply_draft(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    """A draft by the language model for the composer (HTMX), or the suggestions page with it (no JS).

    The draft is only shown: the agent's own reply form is the one way it can leave. Errors are shown in
    the assistant panel and never touch the composer, so the agent loses nothing they had typed."""
    conversation = get_conversation_for_member(request.membership, conversation_id)
    if not llm.configured():
        raise Http404("No language model is configured.")
    draft, error, status = None, "", 200
    try:
        draft = services.reply_draft_write(member=request.membership, conversation=conversation)
    except llm.LlmError as exc:
        error, status = str(exc), 502
    except services.AssistantError as exc:
        error, status = str(exc), 400
    if is_htmx(request):
        # 200 even on error: HTMX swaps only successful answers, and the panel is where the error belongs.
        context = {"conversation": conversation, "llm_enabled": True, "draft": draft, "draft_error": error}
        return render(request, "assistant/suggestions.html#llm-draft", context)
    context = {**_suggestions_context(request, conversation), "draft": draft, "draft_error": error}
    return render(request, "assistant/suggestions.html", context, status=status)


# --- Rules and auto-replies (managers) ------------------------------------------------------------------


def _describe(step: dict, names: dict[int, str], faqs: dict[int, str] | None = None) -> str:
    """One planned or applied step, in words (`faqs`: FAQ entry id -> its first question)."""
    kind = step.get("type")
    if kind == "add_label":
        return _("Add the label “%(label)s”") % {"label": step.get("label", "")}
    if kind == "assign":
        return _("Assign to %(name)s") % {"name": names.get(step.get("user"), "?")}
    if kind == "round_robin":
        return _("Assign in turn")
    if kind == "set_priority":
        return _("Set priority: %(priority)s") % {"priority": Conversation.Priority(step["priority"]).label}
    if kind == "mark_spam":
        return _("Mark as spam")
    if kind == "suggest_faq":
        if (title := (faqs or {}).get(step.get("faq_entry"))) is not None:
            return _("Suggest the FAQ answer “%(question)s”") % {"question": title}
        return _("Suggest FAQ answer #%(entry)s") % {"entry": step.get("faq_entry", "?")}
    if kind == "auto_reply":
        mode = AutoReply.Mode(step["mode"]).label if step.get("mode") in AutoReply.Mode.values else "?"
        reason = autoreply.REASONS.get(step.get("reason", ""), "")
        return _("Auto-reply: %(mode)s") % {"mode": mode} + (f" ({reason})" if reason else "")
    return str(kind)


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
        choices=Network.choices,
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


def _rule_form_page(request: WorkspaceRequest, rule: Rule | None) -> HttpResponse:
    initial = RuleForm.initial_for(rule) if rule else None
    form = RuleForm(request.POST or None, initial=initial, workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with user_errors_on(form):
            rules.rule_save(
                workspace=request.workspace,
                by=request.membership,
                name=data["name"],
                conditions=data["conditions"],
                actions=data["actions"],
                stop_here=data["stop_here"],
                active=data["active"],
                rule=rule,
            )
            messages.success(request, _("Rule saved."))
            return redirect("rules", slug=request.workspace.slug)
    status = 400 if form.errors else 200
    return render(request, "assistant/rules_form.html", {"form": form, "rule": rule}, status=status)


@workspace_view(Perm.MANAGE_RULES)
@require_GET
def rule_list(request: WorkspaceRequest) -> HttpResponse:
    names = dict(_members(request.workspace))
    rows = [
        (rule, [_describe(a, names) for a in rule.actions or []])
        for rule in Rule.objects.filter(workspace=request.workspace).order_by("position", "pk")
    ]
    return render(request, "assistant/rules.html", {"rows": rows})


@workspace_view(Perm.MANAGE_RULES)
@require_http_methods(["GET", "POST"])
def rule_create(request: WorkspaceRequest) -> HttpResponse:
    return _rule_form_page(request, None)


@workspace_view(Perm.MANAGE_RULES)
@require_http_methods(["GET", "POST"])
def rule_edit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    return _rule_form_page(request, rules.get_rule_for_member(request.membership, pk))


@workspace_view(Perm.MANAGE_RULES)
@require_POST
def rule_activate(request: WorkspaceRequest, pk: int) -> HttpResponse:
    rule = rules.get_rule_for_member(request.membership, pk)
    rules.rule_set_active(rule=rule, by=request.membership, active=request.POST.get("active") == "1")
    return redirect("rules", slug=request.workspace.slug)


@workspace_view(Perm.MANAGE_RULES)
@require_POST
def rule_move(request: WorkspaceRequest, pk: int) -> HttpResponse:
    rule = rules.get_rule_for_member(request.membership, pk)
    rules.rule_move(rule=rule, by=request.membership, up=request.POST.get("direction") == "up")
    return redirect("rules", slug=request.workspace.slug)


def _dry_run(request: WorkspaceRequest, chain: list[Rule] | None = None) -> tuple[list, int]:
    """(rows, messages checked): each recent message some rule of `chain` (the active rules by default)
    would act on, with what each matching rule would do, in words."""
    names = dict(_members(request.workspace))
    faqs = {e.pk: e.title for e in FaqEntry.objects.for_workspace(request.workspace)}
    results = rules.rules_dry_run(workspace=request.workspace, rules=chain)
    rows = [
        (row.message, [(p.rule, [_describe(a, names, faqs) for a in p.actions]) for p in row.rules])
        for row in results
        if row.rules
    ]
    return rows, len(results)


def _rule_as_written(request: WorkspaceRequest, form: RuleForm, saved: Rule | None) -> Rule | None:
    """An unsaved Rule from a valid form, as it would run (None, with the reason on the form, when it
    could not run). It keeps a saved rule's identity and round-robin turn so the preview matches."""
    data = form.cleaned_data
    with user_errors_on(form):
        rules.validate(data["conditions"], data["actions"], request.workspace)
    if form.errors:
        return None
    return Rule(
        pk=saved.pk if saved else None,
        workspace=request.workspace,
        name=data["name"].strip() or _("This rule"),
        conditions=data["conditions"],
        actions=data["actions"],
        stop_here=data["stop_here"],
        active=data["active"],
        created_by=saved.created_by if saved and saved.created_by_id else request.user,
        round_robin_cursor=saved.round_robin_cursor if saved else 0,
    )


def _try_rule(request: WorkspaceRequest) -> HttpResponse:
    """The rule form, posted by its "Try this rule" button: the same form, still filled in, with what the
    rule as written (saved or not, active or not) would have done to recent messages. Saves nothing."""
    saved = None
    if (rule_id := request.POST.get("rule_id", "")).isdigit():
        saved = rules.get_rule_for_member(request.membership, int(rule_id))
    form = RuleForm(request.POST, workspace=request.workspace)
    form.fields["name"].required = False  # a name is needed to save, not to try
    trial = None
    if form.is_valid() and (draft := _rule_as_written(request, form, saved)) is not None:
        rows, checked = _dry_run(request, [draft])
        trial = {"rows": rows, "checked": checked, "days": rules.DRY_RUN_WINDOW.days, "rule": draft}
    context = {"form": form, "rule": saved, "trial": trial}
    return render(request, "assistant/rules_form.html", context, status=400 if form.errors else 200)


@workspace_view(Perm.MANAGE_RULES)
@require_http_methods(["GET", "POST"])
def rule_dry_run(request: WorkspaceRequest) -> HttpResponse:
    """GET: what the active rules, in order, would have done to recent messages; `?rule=<id>` tries that
    one rule alone, active or not. POST: the rule form as written (see _try_rule)."""
    if request.method == "POST":
        return _try_rule(request)
    only = None
    if (rule_id := request.GET.get("rule", "")).isdigit():
        only = rules.get_rule_for_member(request.membership, int(rule_id))
    rows, checked = _dry_run(request, [only] if only else None)
    inactive = Rule.objects.filter(workspace=request.workspace, active=False).order_by("position", "pk")
    context = {
        "rows": rows,
        "checked": checked,
        "days": rules.DRY_RUN_WINDOW.days,
        "only": only,
        "inactive": [] if only else list(inactive),
    }
    return render(request, "assistant/rules_dry_run.html", context)


@workspace_view(Perm.MANAGE_RULES)
@require_GET
def rule_log(request: WorkspaceRequest) -> HttpResponse:
    names = dict(_members(request.workspace))
    rows = [(e, [_describe(a, names) for a in e.actions]) for e in rules.executions_for(request.workspace)]
    return render(request, "assistant/rules_log.html", {"rows": rows})


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
        label=gettext_lazy("Confidence threshold (0 to 1)"), min_value=0.0, max_value=1.0, initial=0.8
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


def _tone_guide_post(request: WorkspaceRequest) -> HttpResponse:
    form = ToneGuideForm(request.POST, prefix="tone")
    if form.is_valid():
        services.tone_guide_update(
            workspace=request.workspace, by=request.membership, tone_guide=form.cleaned_data["tone_guide"]
        )
        messages.success(request, _("Tone guide saved."))
        return redirect("auto_reply_settings", slug=request.workspace.slug)
    context = {
        "form": AutoReplyPolicyForm(initial=_auto_reply_initial(request), workspace=request.workspace),
        "tone_form": form,
        "llm_enabled": llm.configured(),
    }
    return render(request, "assistant/autoreply_policy.html", context, status=400)


def _auto_reply_initial(request: WorkspaceRequest) -> dict | None:
    policy = AutoReplyPolicy.objects.filter(workspace=request.workspace).first()
    if policy is None:
        return None
    return {
        "enabled": policy.enabled,
        "faq_entries": list(policy.faq_entries.all()),
        "min_confidence": policy.min_confidence,
        "channels": list(policy.channels.all()),
        "daily_cap": policy.daily_cap,
    }


@workspace_view(Perm.MANAGE_RULES)
@require_http_methods(["GET", "POST"])
def auto_reply_settings(request: WorkspaceRequest) -> HttpResponse:
    if request.method == "POST" and request.POST.get("section") == "tone":
        return _tone_guide_post(request)
    initial = _auto_reply_initial(request)
    form = AutoReplyPolicyForm(request.POST or None, initial=initial, workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        autoreply.auto_reply_policy_update(
            workspace=request.workspace,
            by=request.membership,
            enabled=data["enabled"],
            faq_entries=list(data["faq_entries"]),
            min_confidence=data["min_confidence"],
            channels=list(data["channels"]),
            daily_cap=data["daily_cap"],
        )
        messages.success(request, _("Auto-reply settings saved."))
        return redirect("auto_reply_settings", slug=request.workspace.slug)
    status = 400 if form.errors else 200
    assistant_policy = AssistantPolicy.objects.filter(workspace=request.workspace).first()
    tone_form = ToneGuideForm(
        prefix="tone", initial={"tone_guide": assistant_policy.tone_guide if assistant_policy else ""}
    )
    context = {"form": form, "tone_form": tone_form, "llm_enabled": llm.configured()}
    return render(request, "assistant/autoreply_policy.html", context, status=status)

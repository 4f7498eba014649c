"""Assistant pages: FAQ upkeep for managers, acceptance stats, and the suggestion list for the composer.

Thin: writes go through `assistant.services`, reads through `assistant.selectors`.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import WorkspaceRequest, workspace_view
from accounts.policy import Perm
from assistant import autoreply, engine, llm, phrasings, rules, selectors, services
from assistant.eval import calibration
from assistant.forms import (
    AutoReplyPolicyForm,
    FaqEntryForm,
    FaqImportForm,
    RuleForm,
    ToneGuideForm,
    VocabularyForm,
    _members,
)
from assistant.models import AssistantPolicy, AutoReply, AutoReplyPolicy, FaqEntry, Rule
from core.errors import flash_user_errors, user_errors_on
from core.htmx import fragment_or_page, is_htmx
from inbox.models import Conversation
from inbox.selectors import get_conversation_for_member


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
    entries = list(selectors.faq_entries(request.workspace))
    learned = selectors.learned_phrasing_counts(request.workspace)
    for entry in entries:
        setattr(entry, "learned_count", learned.get(entry.pk, 0))  # noqa: B010 - shown by the template
    context = {
        "form": form,
        "entries": entries,
        "pending": selectors.learned_phrasings_pending(request.workspace),
    }
    return render(request, "assistant/faq_list.html", context, status=400 if form.errors else 200)


@workspace_view(Perm.MANAGE_FAQ)
@require_http_methods(["GET", "POST"])
def faq_vocabulary(request: WorkspaceRequest) -> HttpResponse:
    """The workspace's own words: what the FAQ suggestions treat as the same thing."""
    policy = AssistantPolicy.objects.filter(workspace=request.workspace).first()
    form = VocabularyForm(request.POST or None, initial={"synonyms": policy.synonyms if policy else ""})
    if request.method == "POST" and form.is_valid():
        with user_errors_on(form, "synonyms"):
            services.vocabulary_update(
                workspace=request.workspace, by=request.membership, text=form.cleaned_data["synonyms"]
            )
            messages.success(request, _("Vocabulary saved: the suggestions use it now."))
            return redirect("faq_vocabulary", slug=request.workspace.slug)
    context = {"form": form, "general": sorted(engine.GENERAL_SYNONYMS)}
    return render(request, "assistant/faq_vocabulary.html", context, status=400 if form.errors else 200)


@workspace_view(Perm.MANAGE_FAQ)
@require_POST
def faq_phrasing_decide(request: WorkspaceRequest, pk: int, decision: str) -> HttpResponse:
    """Accept or dismiss one learned phrasing, in one click from the FAQ page."""
    decide = {"accept": phrasings.phrasing_accept, "dismiss": phrasings.phrasing_dismiss}.get(decision)
    if decide is None:
        raise Http404
    with flash_user_errors(request):
        phrasing = decide(workspace=request.workspace, phrasing_id=pk, user=request.user)
        if decision == "accept":
            messages.success(
                request, _("Phrasing added to “%(title)s”.") % {"title": phrasing.faq_entry.title}
            )
        else:
            messages.success(request, _("Phrasing dismissed."))
    return redirect(f"{reverse('faq_entries', kwargs={'slug': request.workspace.slug})}#learned-phrasings")


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
        services.faq_export_csv(request.workspace, by=request.membership),
        content_type="text/csv; charset=utf-8",
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
        "calibration": _calibration(request, (_auto_reply_initial(request) or {}).get("min_confidence")),
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
    context = {
        "form": form,
        "tone_form": tone_form,
        "llm_enabled": llm.configured(),
        "calibration": _calibration(request, initial["min_confidence"] if initial else None),
    }
    return render(request, "assistant/autoreply_policy.html", context, status=status)


def _share(right: int, total: int) -> dict:
    return {"right": right, "total": total, "percent": round(100 * right / total) if total else None}


def _calibration(request: WorkspaceRequest, chosen: float | None) -> dict:
    """What a threshold means: right answers at or above it on the evaluation sets the engine was never
    tuned on, and among the first FAQ answers people decided in this workspace."""
    chosen = engine.AUTO_SEND_THRESHOLD if chosen is None else chosen
    thresholds = sorted({engine.AUTO_SEND_THRESHOLD, 0.9, 0.95, round(chosen, 2)})
    rows = [
        {
            "threshold": t,
            "chosen": abs(t - chosen) < 1e-9,
            "evaluation": _share(*calibration.unseen_precision_at(t)),
            "workspace": _share(*selectors.faq_first_answers_at(request.workspace.pk, t)),
        }
        for t in thresholds
    ]
    return {"rows": rows, "default": engine.AUTO_SEND_THRESHOLD}

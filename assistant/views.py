"""Assistant pages: FAQ upkeep for managers, acceptance stats, and the suggestion list for the composer.

Thin: writes go through `assistant.services`, reads through `assistant.selectors`.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import workspace_view
from accounts.policy import Perm
from assistant import selectors, services
from assistant.models import FaqEntry, Language
from inbox.models import Message
from inbox.selectors import get_conversation_for_member

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


def _save(request: HttpRequest, form: FaqEntryForm, entry: FaqEntry | None) -> bool:
    try:
        if entry is None:
            services.faq_entry_create(by=request.membership, **form.cleaned_data)
        else:
            services.faq_entry_update(entry=entry, by=request.membership, **form.cleaned_data)
    except services.AssistantError as exc:
        form.add_error(None, str(exc))
        return False
    return True


@workspace_view(Perm.MANAGE_FAQ)
@require_http_methods(["GET", "POST"])
def faq_list(request: HttpRequest) -> HttpResponse:
    form = FaqEntryForm(request.POST or None, initial={"language": request.workspace.default_language})
    if request.method == "POST" and form.is_valid() and _save(request, form, None):
        messages.success(request, _("FAQ answer added."))
        return redirect("faq_entries", slug=request.workspace.slug)
    context = {"form": form, "entries": selectors.faq_entries(request.workspace)}
    return render(request, "assistant/faq_list.html", context, status=400 if form.errors else 200)


@workspace_view(Perm.MANAGE_FAQ)
@require_http_methods(["GET", "POST"])
def faq_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.get_faq_entry_for_member(request.membership, pk)
    form = FaqEntryForm(request.POST or None, initial=FaqEntryForm.initial_for(entry))
    if request.method == "POST" and form.is_valid() and _save(request, form, entry):
        messages.success(request, _("FAQ answer updated."))
        return redirect("faq_entries", slug=request.workspace.slug)
    context = {"form": form, "entry": entry}
    return render(request, "assistant/faq_form.html", context, status=400 if form.errors else 200)


@workspace_view(Perm.MANAGE_FAQ)
@require_POST
def faq_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.get_faq_entry_for_member(request.membership, pk)
    services.faq_entry_deactivate(entry=entry, by=request.membership)
    messages.success(request, _("“%(title)s” is no longer suggested.") % {"title": entry.title})
    return redirect("faq_entries", slug=request.workspace.slug)


class FaqImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large (1 MB at most)."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("Save the file as UTF-8 CSV and try again.")) from exc


@workspace_view(Perm.MANAGE_FAQ)
@require_http_methods(["GET", "POST"])
def faq_import(request: HttpRequest) -> HttpResponse:
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
def faq_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        services.faq_export_csv(request.workspace), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="faq-{request.workspace.slug}.csv"'
    return response


@workspace_view(Perm.MANAGE_FAQ)
@require_GET
def faq_stats(request: HttpRequest) -> HttpResponse:
    return render(request, "assistant/faq_stats.html", {"rows": selectors.faq_acceptance(request.workspace)})


@workspace_view(Perm.REPLY)
@require_GET
def suggestion_list(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Suggested answers to the conversation's latest inbound message: a fragment the composer includes."""
    conversation = get_conversation_for_member(request.membership, conversation_id)
    message = (
        Message.objects.filter(conversation=conversation, direction=Message.Direction.IN)
        .order_by("-created_at", "-pk")
        .first()
    )
    suggestions = services.suggestions_for(message, agent=request.user) if message else []
    context = {"conversation": conversation, "message": message, "suggestions": suggestions}
    if request.headers.get("HX-Request") == "true":
        return render(request, "assistant/suggestions.html#suggestion-list", context)
    return render(request, "assistant/suggestions.html", context)

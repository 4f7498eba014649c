"""Triage corrections (any member who works the inbox) and how often the assistant was corrected (managers).

The "Correct" link next to a message's badges has a real href: without JavaScript it opens a small page
with the form; under HTMX the same form opens in place of the badges, and the answer is the badges again,
showing what the person said.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import WorkspaceRequest, workspace_view
from accounts.policy import Perm
from assistant import selectors, services
from assistant.forms import F, TriageCorrectionForm, value_label
from assistant.models import MessageTriage
from core.errors import user_errors_on
from core.htmx import fragment_or_page, is_htmx
from inbox.selectors import TriageBadges


def _badges_context(request: HttpRequest, triage: MessageTriage, form=None) -> dict:
    correction = selectors.latest_correction(triage)
    return {
        "badges": TriageBadges.of(triage),
        "message": triage.message,
        "conversation": triage.message.conversation,
        "can_triage": True,
        "corrected_by": (correction.corrected_by.name if correction.corrected_by else _("a former member"))
        if correction
        else "",
        "triage_form": form,
    }


def _conversation_url(request: WorkspaceRequest, triage: MessageTriage) -> str:
    url = reverse("inbox_conversation", args=[request.workspace.slug, triage.message.conversation_id])
    return f"{url}#message-{triage.message_id}"


@workspace_view(Perm.REPLY)
@require_GET
def triage_correct_form(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """The correction form of message `pk`'s triage: in place of its badges (HTMX), or as a page.
    `?close=1` (HTMX) gives the badges back without the form."""
    triage = selectors.get_triage_for_member(request.membership, pk)
    form = None if request.GET.get("close") else TriageCorrectionForm(triage=triage)
    context = _badges_context(request, triage, form)
    if is_htmx(request):
        return render(request, "inbox/_triage_badges.html", context)
    if form is None:
        return redirect(_conversation_url(request, triage))
    return render(request, "assistant/triage_correct.html", context)


@workspace_view(Perm.REPLY)
@require_POST
def triage_correct(request: WorkspaceRequest, pk: int) -> HttpResponse:
    triage = selectors.get_triage_for_member(request.membership, pk)
    form = TriageCorrectionForm(request.POST, triage=triage)
    if form.is_valid():
        with user_errors_on(form), transaction.atomic():  # all the changed fields, or none
            for field, value in form.changes().items():
                services.triage_correct(triage=triage, field=field, value=value, by=request.membership)
    if form.errors:
        context = _badges_context(request, triage, form)
        if is_htmx(request):
            # 200: htmx swaps only successful answers, and the person must see the form and its error.
            return render(request, "inbox/_triage_badges.html", context)
        return render(request, "assistant/triage_correct.html", context, status=400)
    triage.refresh_from_db()
    if is_htmx(request):
        response = render(request, "inbox/_triage_badges.html", _badges_context(request, triage))
        if F.PRIORITY in form.changes():
            # The conversation's priority changed too: its header is not part of this fragment.
            messages.success(request, _("Thank you: the correction is saved."))
            response["HX-Refresh"] = "true"
        return response
    messages.success(request, _("Thank you: the correction is saved."))
    return redirect(_conversation_url(request, triage))


@workspace_view(Perm.MANAGE_FAQ)
@require_GET
def triage_accuracy(request: WorkspaceRequest) -> HttpResponse:
    """How often people corrected each triage field over 30 days: a section of the assistant stats page
    (loaded by HTMX) and a page of its own (the section's link, without JavaScript)."""
    rows = [
        {
            "row": row,
            "top": (
                value_label(row.field, row.top_correction[0]),
                value_label(row.field, row.top_correction[1]),
            )
            if row.top_correction
            else None,
            "top_count": row.top_correction[2] if row.top_correction else 0,
        }
        for row in selectors.triage_accuracy(request.workspace)
    ]
    field_labels = dict(F.choices)
    labels = [
        {
            "row": row,
            "field_label": field_labels[row.field],
            "value": value_label(row.field, row.value),
            "corrected_to": [(value_label(row.field, value), count) for value, count in row.corrected_to],
        }
        for row in selectors.triage_label_accuracy(request.workspace)
    ]
    template = "assistant/triage_accuracy.html"
    return fragment_or_page(request, template, "accuracy", {"rows": rows, "labels": labels})

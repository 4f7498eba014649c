"""The conversation export of the reports: a streamed CSV, one row per conversation of the period."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.access import WorkspaceRequest, workspace_view
from accounts.audit import audit_export_downloaded
from accounts.policy import Perm
from core.csv import csv_streaming_response
from reports.exports import CSV_HEADER, conversation_export_rows
from reports.framework import report_filter_for


@workspace_view(Perm.VIEW_REPORTS)
@require_GET
def conversations_csv(request: WorkspaceRequest) -> HttpResponse | StreamingHttpResponse:
    f, form = report_filter_for(request.membership, request.GET)
    if f is None:
        errors = "; ".join(str(e) for e in form.errors.get("__all__", [])) or _("Check the report's filters.")
        return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
    audit_export_downloaded(
        workspace=request.workspace,
        by=request.user,
        export="reports.conversations",
        filters={key: value for key, value in request.GET.items() if value},
    )
    # One reverse for the whole file: each row appends its id to the inbox's conversation path.
    sample = reverse("inbox_conversation", args=[request.workspace.slug, 1])
    prefix = request.build_absolute_uri(sample.removesuffix("1/"))
    filename = f"conversations-{request.workspace.slug}-{f.start.date()}-{f.end.date()}.csv"
    rows = conversation_export_rows(request.workspace, f, link_prefix=prefix)
    return csv_streaming_response(rows, header=CSV_HEADER, filename=filename)

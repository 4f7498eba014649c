"""Settings > Audit log: a workspace's admins read who did what, when and from where, and export it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.access import WorkspaceRequest, workspace_view
from accounts.audit import audit_export_downloaded
from accounts.audit_selectors import CSV_HEADER, audit_events, audit_page, audit_rows_for_csv
from accounts.forms import AuditFilterForm
from accounts.models import Membership
from accounts.policy import Perm
from core.csv import csv_streaming_response


def _filter_form(request: WorkspaceRequest) -> AuditFilterForm:
    members = list(Membership.objects.filter(workspace=request.workspace).select_related("user"))
    return AuditFilterForm(request.GET, members=members)


@workspace_view(Perm.VIEW_AUDIT_LOG)
@require_GET
def audit_log(request: WorkspaceRequest) -> HttpResponse:
    form = _filter_form(request)
    filters = form.filters()
    events = audit_events(workspace_id=request.workspace.pk, filters=filters)
    rows, next_cursor = audit_page(events, before=request.GET.get("before", ""))
    context = {
        "form": form,
        "events": rows,
        "next_cursor": next_cursor,
        "query": urlencode(filters.as_query()),
        "next_query": urlencode({**filters.as_query(), "before": next_cursor}) if next_cursor else "",
        "paged": bool(request.GET.get("before")),
        "zone": timezone.get_current_timezone_name(),
    }
    return render(request, "accounts/settings/audit_log.html", context)


@workspace_view(Perm.VIEW_AUDIT_LOG)
@require_GET
def audit_log_export(request: WorkspaceRequest) -> StreamingHttpResponse:
    filters = _filter_form(request).filters()
    recorded = audit_export_downloaded(
        workspace=request.workspace, by=request.user, export="audit_log", filters=filters.as_query()
    )
    # The rows as they were when the download was asked for: not the event that records it, nor later ones.
    events = audit_events(workspace_id=request.workspace.pk, filters=filters)
    if recorded is not None:
        events = events.filter(pk__lt=recorded.pk)
    filename = f"audit-{request.workspace.slug}-{timezone.localdate().isoformat()}.csv"
    return csv_streaming_response(audit_rows_for_csv(events), header=CSV_HEADER, filename=filename)

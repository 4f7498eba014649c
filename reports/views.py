from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.access import WorkspaceRequest, workspace_view
from reports.overview import overview


@workspace_view()
@require_GET
def workspace_home(request: WorkspaceRequest) -> HttpResponse:
    """The Overview: what needs a person now, each figure linking to the list it counts."""
    context = {
        "overview": overview(request.membership),
        "today": timezone.localdate(),  # the date filter of the inbox reads the person's zone
    }
    return render(request, "reports/overview.html", context)

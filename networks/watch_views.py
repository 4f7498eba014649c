"""Settings -> Watching: the workspace's watch windows (admins who manage channels)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import WorkspaceRequest, workspace_view
from accounts.policy import Perm
from networks.models import WatchSettings
from networks.watch import WatchSettingsError, WatchSettingsForm, sweeping_networks, watch_settings_update


@workspace_view(Perm.MANAGE_CHANNELS)
@require_http_methods(["GET", "POST"])
def watch_settings(request: WorkspaceRequest) -> HttpResponse:
    current = WatchSettings.for_workspace(request.workspace.pk)
    form = WatchSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in WatchSettings.LIMITS}
        try:
            watch_settings_update(workspace=request.workspace, by=request.membership, **values)
        except WatchSettingsError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Watch windows saved. They apply from each channel's next poll."))
            return redirect("watch_settings", slug=request.workspace.slug)
    status = 400 if form.errors else 200
    sweeping, recent_only = sweeping_networks()
    context = {"form": form, "sweeping": ", ".join(sweeping), "recent_only": ", ".join(recent_only)}
    return render(request, "networks/watch_settings.html", context, status=status)

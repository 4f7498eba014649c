from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import get_membership_for_user, workspace_view
from accounts.policy import Perm, can
from core.htmx import is_htmx
from core.http import make_client
from networks import connect, selectors, services
from networks.models import Channel, Network
from networks.providers import base as p
from networks.registry import SPECS, app_config

log = logging.getLogger(__name__)


def _redirect_uri(request: HttpRequest, network: str) -> str:
    return request.build_absolute_uri(reverse("oauth_callback", args=[network]))


# --- Health (every member) ------------------------------------------------------------------------------


@workspace_view()
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    channels = list(selectors.channels_with_health(request.workspace))
    for channel in channels:
        channel.expiring_soon = selectors.expiring_soon(channel, now)
    context = {
        "channels": channels,
        "now": now,
        "can_manage": can(request.membership, Perm.MANAGE_CHANNELS),
        "graph_api": selectors.graph_api_status(channels, now.date()),
    }
    if is_htmx(request):
        return render(request, "networks/health.html#health-table", context)
    return render(request, "networks/health.html", context)


# --- Settings -> Channels (admins) ----------------------------------------------------------------------


@workspace_view(Perm.MANAGE_CHANNELS)
@require_GET
def channel_settings(request: HttpRequest) -> HttpResponse:
    networks = [
        {
            "value": n.value,
            "label": n.label,
            "configured": app_config(n.value) is not None,
            "scopes": SPECS[n].scopes,
        }
        for n in Network
    ]
    channels = Channel.objects.for_workspace(request.workspace).order_by("network", "name")
    return render(request, "networks/settings.html", {"channels": channels, "networks": networks})


@workspace_view(Perm.MANAGE_CHANNELS)
@require_GET
def backfill_progress(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.get_channel_for_member(request.membership, pk)
    return render(request, "networks/_backfill.html", {"channel": channel})


@workspace_view(Perm.MANAGE_CHANNELS)
@require_POST
def connect_start(request: HttpRequest, network: str) -> HttpResponse:
    if network not in SPECS:
        raise Http404
    app = app_config(network)
    if app is None:
        messages.error(
            request,
            _("No %(network)s app is configured for this deployment.") % {"network": Network(network).label},
        )
        return redirect("channel_settings", slug=request.workspace.slug)
    url = connect.start(
        request.session,
        workspace_slug=request.workspace.slug,
        app=app,
        redirect_uri=_redirect_uri(request, network),
    )
    return redirect(url)


@login_required
@require_GET
def oauth_callback(request: HttpRequest, network: str) -> HttpResponse:
    """Where the network sends the browser back. Outside /w/<slug>/: the state says which workspace."""
    if network not in SPECS:
        raise Http404
    try:
        pending = connect.take_state(request.session, state=request.GET.get("state", ""), network=network)
    except connect.ConnectError as exc:
        return render(request, "networks/connect_error.html", {"error": str(exc)}, status=400)
    member = get_membership_for_user(request.user, pending["workspace"])
    if not can(member, Perm.MANAGE_CHANNELS):
        raise Http404
    back = reverse("channel_settings", args=[member.workspace.slug])
    if request.GET.get("error"):
        # The person declined on the network's consent page: nothing to connect.
        messages.warning(
            request, _("The connection was cancelled on %(network)s.") % {"network": Network(network).label}
        )
        return redirect(back)
    app = app_config(network)
    if app is None:
        raise Http404
    with make_client() as http:
        try:
            candidates = connect.finish(app=app, pending=pending, code=request.GET.get("code", ""), http=http)
        except p.ProviderError as exc:
            log.warning("oauth exchange failed", extra={"network": network, "error": type(exc).__name__})
            messages.error(
                request,
                _("%(network)s refused the connection: %(reason)s")
                % {"network": Network(network).label, "reason": exc.network_message},
            )
            return redirect(back)
    if not candidates:
        messages.warning(
            request,
            _("This %(network)s login gives access to no account CM Hub can connect.")
            % {"network": Network(network).label},
        )
        return redirect(back)
    key = connect.keep_candidates(
        request.session, workspace_slug=member.workspace.slug, network=network, candidates=candidates
    )
    return redirect("connect_choose", slug=member.workspace.slug, network=network, key=key)


@workspace_view(Perm.MANAGE_CHANNELS)
@require_http_methods(["GET", "POST"])
def connect_choose(request: HttpRequest, network: str, key: str) -> HttpResponse:
    try:
        stored_network, candidates = connect.load_candidates(
            request.session, key=key, workspace_slug=request.workspace.slug
        )
    except connect.ConnectError as exc:
        return render(request, "networks/connect_error.html", {"error": str(exc)}, status=400)
    if stored_network != network:
        raise Http404
    if request.method == "POST":
        chosen = set(request.POST.getlist("account"))
        backfill_days = _backfill_days(request.POST.get("backfill_days"))
        connected = []
        for candidate in candidates:
            if candidate.external_id not in chosen:
                continue
            channel = services.channel_connect(
                workspace=request.workspace,
                network=candidate.network,
                external_id=candidate.external_id,
                name=candidate.name,
                handle=candidate.handle,
                avatar_url=candidate.avatar_url,
                api_base_url=candidate.api_base_url,
                credentials=candidate.credentials(),
                scopes_requested=SPECS[candidate.network].scopes,
                backfill_days=backfill_days,
                by=request.user,
            )
            connected.append(channel.name)
        if not connected:
            messages.error(request, _("Choose at least one account."))
        else:
            connect.drop_candidates(request.session, key=key)
            messages.success(
                request,
                _("Connected: %(names)s. Importing recent history…") % {"names": ", ".join(connected)},
            )
            return redirect("channel_settings", slug=request.workspace.slug)
    existing = {
        f"{n}:{external_id}"
        for n, external_id in Channel.objects.for_workspace(request.workspace).values_list(
            "network", "external_id"
        )
    }
    for candidate in candidates:
        candidate.already_connected = f"{candidate.network}:{candidate.external_id}" in existing
        candidate.network_label = Network(candidate.network).label
    return render(
        request,
        "networks/choose.html",
        {"network": Network(network), "candidates": candidates, "scopes": SPECS[network].scopes},
    )


def _backfill_days(raw: str | None) -> int:
    try:
        return max(0, min(int(raw or 14), 90))
    except ValueError:
        return 14


@workspace_view(Perm.MANAGE_CHANNELS)
@require_POST
def channel_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    channel = selectors.get_channel_for_member(request.membership, pk)
    if action == "pause":
        services.channel_pause(channel=channel)
        messages.success(request, _("%(channel)s is paused.") % {"channel": channel.name})
    elif action == "resume":
        services.channel_resume(channel=channel)
        messages.success(request, _("%(channel)s is polled again.") % {"channel": channel.name})
    elif action == "disconnect":
        services.channel_disconnect(channel=channel)
        messages.success(request, _("%(channel)s was disconnected.") % {"channel": channel.name})
    else:
        raise Http404
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("channel_settings", args=[request.workspace.slug])
    return redirect(next_url)

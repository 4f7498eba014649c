from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import AuthenticatedRequest, WorkspaceRequest, get_membership_for_user, workspace_view
from accounts.policy import Perm, can
from core.errors import user_error_page
from core.htmx import fragment_or_page
from core.http import make_client
from networks import connect, selectors, services, tasks, webhook_selectors, webhooks
from networks.models import Channel, Network, WatchSettings
from networks.providers import base as p
from networks.registry import SPECS, app_config
from networks.watch import sweep_state

log = logging.getLogger(__name__)


def _redirect_uri(request: HttpRequest, network: str) -> str:
    return request.build_absolute_uri(reverse("oauth_callback", args=[network]))


# --- Health (every member) ------------------------------------------------------------------------------


@workspace_view()
@require_GET
def health(request: WorkspaceRequest) -> HttpResponse:
    now = timezone.now()
    channels = list(selectors.channels_with_health(request.workspace))
    for channel in channels:
        channel.expiring_soon = selectors.expiring_soon(channel, now)
        channel.diagnosis = selectors.diagnose(channel, now=now)
        channel.sweep = sweep_state(channel)
    context = {
        "channels": channels,
        "now": now,
        "can_manage": can(request.membership, Perm.MANAGE_CHANNELS),
        "fixers": selectors.channel_fixers(request.workspace)
        if any(c.diagnosis and c.diagnosis.needs_admin for c in channels)
        else [],
        "graph_api": selectors.graph_api_status(channels, now.date()),
        "quotas": selectors.quota_statuses(channels, now),
        "watch": WatchSettings.for_workspace(request.workspace.pk),
    }
    if context["can_manage"]:  # the URLs are for whoever sets up the network's side
        context["webhook_endpoints"] = webhook_selectors.webhook_endpoints({c.network for c in channels})
    webhook_selectors.attach_webhook_states(channels)
    webhook_selectors.attach_stream_states(channels, now=now)
    return fragment_or_page(request, "networks/health.html", "health-table", context)


# --- Settings -> Channels (admins) ----------------------------------------------------------------------


@workspace_view(Perm.MANAGE_CHANNELS)
@require_GET
def channel_settings(request: WorkspaceRequest) -> HttpResponse:
    networks = [
        {
            "value": n.value,
            "label": n.label,
            "style": str(SPECS[n].provider_class.connect_style),
            # A server's own app (Mastodon) or an app password (Bluesky) needs nothing from the operator.
            "configured": SPECS[n].provider_class.connect_style != p.ConnectStyle.OAUTH
            or app_config(n.value) is not None,
            "scopes": SPECS[n].scopes,
            # Said on the card, so nobody looks for them in the inbox (Threads' API has none, for one).
            "direct_messages": SPECS[n].provider_class.supports(p.Capability.DIRECT_MESSAGES),
        }
        for n in Network
    ]
    channels = Channel.objects.for_workspace(request.workspace).order_by("network", "name")
    return render(request, "networks/settings.html", {"channels": channels, "networks": networks})


@workspace_view(Perm.MANAGE_CHANNELS)
@require_GET
def backfill_progress(request: WorkspaceRequest, pk: int) -> HttpResponse:
    channel = selectors.get_channel_for_member(request.membership, pk)
    return render(request, "networks/_backfill.html", {"channel": channel})


@workspace_view(Perm.MANAGE_CHANNELS)
@require_POST
def connect_start(request: WorkspaceRequest, network: str) -> HttpResponse:
    if network not in SPECS:
        raise Http404
    style = SPECS[network].provider_class.connect_style
    reconnecting = None
    if request.POST.get("channel"):  # Reconnect: the choice that follows renews this channel only
        try:
            reconnecting = selectors.get_channel_for_member(request.membership, int(request.POST["channel"]))
        except ValueError:
            raise Http404 from None
        if reconnecting.network != network:
            raise Http404
    reconnect = reconnecting.external_id if reconnecting else ""
    if style == p.ConnectStyle.APP_PASSWORD:
        target = reverse("connect_password", args=[request.workspace.slug, network])
        response = redirect(f"{target}?{urlencode({'reconnect': reconnect})}" if reconnect else target)
        response.status_code = 303
        return response
    back = redirect("channel_settings", slug=request.workspace.slug)
    if style == p.ConnectStyle.SERVER_OAUTH:
        raw = reconnecting.api_base_url if reconnecting else request.POST.get("server", "")
        try:
            server = connect.server_url(network, raw)
            with make_client() as http:
                app = connect.server_app(
                    network=network,
                    server_url=server,
                    redirect_uri=_redirect_uri(request, network),
                    http=http,
                )
        except connect.ConnectError as exc:
            messages.error(request, exc.message)
            return back
    else:
        found = app_config(network)
        if found is None:
            messages.error(
                request,
                _("No %(network)s app is configured for this deployment.")
                % {"network": Network(network).label},
            )
            return back
        app = found
    state = connect.start(
        request.session,
        workspace_slug=request.workspace.slug,
        app=app,
        redirect_uri=_redirect_uri(request, network),
        reconnect=reconnect,
    )
    # Not a redirect to the network: the CSP's `form-action 'self'` covers every redirect that follows a
    # form submission, in Chromium even after a same-origin hop (POST -> 303 here -> 302 to x.com is
    # blocked too). Listing the networks' hosts in form-action would not hold either: their consent pages
    # redirect on to hosts of their own (login, twitter.com). So the POST ends here, on our own page, and
    # connect_authorise leaves it with a top-level navigation that no form-action governs.
    target = reverse("connect_authorise", args=[request.workspace.slug, network])
    response = redirect(f"{target}?{urlencode({'state': state})}")
    response.status_code = 303  # See Other: the browser GETs the next page, a reload never re-posts
    return response


@workspace_view(Perm.MANAGE_CHANNELS)
@require_GET
@user_error_page("networks/connect_error.html", status=400)
def connect_authorise(request: WorkspaceRequest, network: str) -> HttpResponse:
    """A page that sends the browser to the network's consent page with a meta refresh (no script needed,
    and it replaces this page in the history, so Back returns to the channels), with a link as fallback."""
    if network not in SPECS:
        raise Http404
    url = connect.authorisation_url(
        request.session,
        state=request.GET.get("state", ""),
        workspace_slug=request.workspace.slug,
        network=network,
    )
    if urlsplit(url).scheme not in ("http", "https"):  # registry.allowed_url vets the bases; belt and braces
        raise Http404
    response = render(request, "networks/authorise.html", {"network": Network(network), "url": url})
    response["Cache-Control"] = "no-store"  # it names a pending state
    return response


@login_required
@require_GET
@user_error_page("networks/connect_error.html", status=400)  # a state unknown, used or expired
def oauth_callback(request: AuthenticatedRequest, network: str) -> HttpResponse:
    """Where the network sends the browser back. Outside /w/<slug>/: the state says which workspace."""
    if network not in SPECS:
        raise Http404
    pending = connect.take_state(request.session, state=request.GET.get("state", ""), network=network)
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
    app = connect.app_for_flow(network, pending)
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
        request.session,
        workspace_slug=member.workspace.slug,
        network=network,
        candidates=candidates,
        reconnect=pending.get("reconnect", ""),
    )
    return redirect("connect_choose", slug=member.workspace.slug, network=network, key=key)


@workspace_view(Perm.MANAGE_CHANNELS)
@require_http_methods(["GET", "POST"])
def connect_password(request: WorkspaceRequest, network: str) -> HttpResponse:
    """Networks whose accounts connect with an app password (Bluesky): the form, then the same choice page
    as after a consent (which account, how much history)."""
    if network not in SPECS or SPECS[network].provider_class.connect_style != p.ConnectStyle.APP_PASSWORD:
        raise Http404
    reconnect = request.POST.get("reconnect", request.GET.get("reconnect", ""))
    error = ""
    identifier = ""
    if reconnect:
        repaired = Channel.objects.for_workspace(request.workspace).filter(
            network=network, external_id=reconnect
        )
        identifier = repaired.values_list("handle", flat=True).first() or ""
        if not identifier:
            raise Http404
    if request.method == "POST":
        identifier = request.POST.get("identifier", "")[:300]
        with make_client() as http:
            try:
                candidates = connect.password_candidates(
                    network=network,
                    identifier=identifier,
                    password=request.POST.get("password", "")[:300],
                    http=http,
                )
            except connect.ConnectError as exc:
                error = exc.message
            else:
                key = connect.keep_candidates(
                    request.session,
                    workspace_slug=request.workspace.slug,
                    network=network,
                    candidates=candidates,
                    reconnect=reconnect,
                )
                return redirect("connect_choose", slug=request.workspace.slug, network=network, key=key)
    context = {"network": Network(network), "identifier": identifier, "reconnect": reconnect, "error": error}
    response = render(request, "networks/connect_password.html", context, status=400 if error else 200)
    response["Cache-Control"] = "no-store"
    return response


@workspace_view(Perm.MANAGE_CHANNELS)
@require_http_methods(["GET", "POST"])
@user_error_page("networks/connect_error.html", status=400)
def connect_choose(request: WorkspaceRequest, network: str, key: str) -> HttpResponse:
    stored_network, candidates = connect.load_candidates(
        request.session, key=key, workspace_slug=request.workspace.slug
    )
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
                server_limits=candidate.server_limits,
                by=request.user,
            )
            if webhooks.subscribable(channel.network):
                # Meta, for one, pushes a Page's events only once the Page has installed the app.
                tasks.enqueue_webhook_subscribe(channel.pk)
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
    reconnect = connect.reconnecting(request.session, key=key)
    for candidate in candidates:
        candidate.already_connected = f"{candidate.network}:{candidate.external_id}" in existing
        candidate.network_label = Network(candidate.network).label
        # Repairing one channel renews that one; the login's other accounts stay unticked.
        candidate.preselected = not reconnect or candidate.external_id == reconnect
    channels = Channel.objects.for_workspace(request.workspace)
    repaired = channels.filter(network=network, external_id=reconnect).first() if reconnect else None
    context = {
        "network": Network(network),
        "candidates": candidates,
        "scopes": SPECS[network].scopes,
        "reconnect": repaired,
        "reconnect_missing": repaired is not None and all(c.external_id != reconnect for c in candidates),
    }
    return render(request, "networks/choose.html", context)


def _backfill_days(raw: str | None) -> int:
    try:
        return max(0, min(int(raw or 14), 90))
    except ValueError:
        return 14


@workspace_view(Perm.MANAGE_CHANNELS)
@require_POST
def channel_action(request: WorkspaceRequest, pk: int, action: str) -> HttpResponse:
    channel = selectors.get_channel_for_member(request.membership, pk)
    if action == "pause":
        services.channel_pause(channel=channel, by=request.user)
        messages.success(request, _("%(channel)s is paused.") % {"channel": channel.name})
    elif action == "resume":
        services.channel_resume(channel=channel, by=request.user)
        messages.success(request, _("%(channel)s is polled again.") % {"channel": channel.name})
    elif action == "disconnect":
        services.channel_disconnect(channel=channel, by=request.user)
        messages.success(request, _("%(channel)s was disconnected.") % {"channel": channel.name})
    elif action == "subscribe-webhooks" and webhooks.subscribable(channel.network):
        tasks.enqueue_webhook_subscribe(channel.pk)
        messages.success(
            request,
            _("CM Hub is asking %(network)s to send %(channel)s's webhooks.")
            % {"network": channel.get_network_display(), "channel": channel.name},
        )
    else:
        raise Http404
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("channel_settings", args=[request.workspace.slug])
    return redirect(next_url)

"""Settings > Webhooks: a workspace's admins register endpoints, read their delivery log, send a test,
redeliver by hand, rotate the secret and switch an endpoint back on after it was disabled."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import WorkspaceRequest, workspace_view
from accounts.policy import Perm
from core.errors import flash_user_errors, user_errors_on
from hooks import events, selectors, services
from hooks.forms import EndpointForm
from hooks.models import WebhookEndpoint


def _data(form: EndpointForm) -> dict:
    return {k: form.cleaned_data[k] for k in ("url", "description", "events")}


def _detail(
    request: WorkspaceRequest,
    endpoint: WebhookEndpoint,
    *,
    form: EndpointForm | None = None,
    secret: str = "",
    status: int = 200,
) -> HttpResponse:
    form = form or EndpointForm(
        initial={"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    )
    context = {
        "endpoint": endpoint,
        "form": form,
        "secret": secret,
        "log": selectors.delivery_log(endpoint),
        "events": events.EVENTS,
    }
    return render(request, "hooks/settings/endpoint.html", context, status=status)


@workspace_view(Perm.MANAGE_WORKSPACE)
@require_http_methods(["GET", "POST"])
def webhooks(request: WorkspaceRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with user_errors_on(form, "url"):
            endpoint = services.endpoint_create(by=request.membership, **_data(form))
            messages.success(request, _("Endpoint added. Copy its signing secret now."))
            # The secret is shown with the answer to the POST: once, then on demand.
            return _detail(request, endpoint, secret=endpoint.secret, status=201)
    context = {"form": form, "endpoints": selectors.endpoints_with_counts(request.membership)}
    return render(request, "hooks/settings/webhooks.html", context, status=400 if form.errors else 200)


@workspace_view(Perm.MANAGE_WORKSPACE)
@require_http_methods(["GET", "POST"])
def webhook_endpoint(request: WorkspaceRequest, pk: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_member(request.membership, pk)
    if request.method == "GET":
        return _detail(request, endpoint)
    form = EndpointForm(request.POST)
    if form.is_valid():
        with user_errors_on(form, "url"):
            services.endpoint_update(endpoint=endpoint, by=request.membership, **_data(form))
            messages.success(request, _("Endpoint saved."))
            return redirect("webhook_endpoint", slug=request.workspace.slug, pk=endpoint.pk)
    endpoint.refresh_from_db()
    return _detail(request, endpoint, form=form, status=400)


@workspace_view(Perm.MANAGE_WORKSPACE)
@require_POST
def webhook_secret(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Show the secret (a POST: an explicit action, never in a cached page or a link)."""
    endpoint = selectors.get_endpoint_for_member(request.membership, pk)
    return _detail(request, endpoint, secret=endpoint.secret)


@workspace_view(Perm.MANAGE_WORKSPACE)
@require_POST
def webhook_rotate(request: WorkspaceRequest, pk: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_member(request.membership, pk)
    services.endpoint_rotate_secret(endpoint=endpoint, by=request.membership)
    messages.success(request, _("New signing secret made: update your receiver with it."))
    return _detail(request, endpoint, secret=endpoint.secret)


@workspace_view(Perm.MANAGE_WORKSPACE)
@require_POST
def webhook_test(request: WorkspaceRequest, pk: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_member(request.membership, pk)
    with flash_user_errors(request):
        services.webhook_send_test(endpoint=endpoint, by=request.membership)
        messages.success(request, _("Test message queued; it appears in the log below."))
    return redirect("webhook_endpoint", slug=request.workspace.slug, pk=endpoint.pk)


@workspace_view(Perm.MANAGE_WORKSPACE)
@require_POST
def webhook_enable(request: WorkspaceRequest, pk: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_member(request.membership, pk)
    services.endpoint_enable(endpoint=endpoint, by=request.membership)
    messages.success(request, _("Endpoint switched on; what waited for it is being sent."))
    return redirect("webhook_endpoint", slug=request.workspace.slug, pk=endpoint.pk)


@workspace_view(Perm.MANAGE_WORKSPACE)
@require_POST
def webhook_disable(request: WorkspaceRequest, pk: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_member(request.membership, pk)
    services.endpoint_disable(
        endpoint=endpoint,
        by=request.membership,
        reason=_("Switched off by %(who)s.") % {"who": request.user.email},
    )
    messages.success(request, _("Endpoint switched off; its messages wait until it is switched on."))
    return redirect("webhook_endpoint", slug=request.workspace.slug, pk=endpoint.pk)


@workspace_view(Perm.MANAGE_WORKSPACE)
@require_POST
def webhook_delete(request: WorkspaceRequest, pk: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_member(request.membership, pk)
    services.endpoint_delete(endpoint=endpoint, by=request.membership)
    messages.success(request, _("Endpoint deleted."))
    return redirect("webhooks", slug=request.workspace.slug)


@workspace_view(Perm.MANAGE_WORKSPACE)
@require_POST
def webhook_redeliver(request: WorkspaceRequest, pk: int) -> HttpResponse:
    delivery = selectors.get_delivery_for_member(request.membership, pk)
    with flash_user_errors(request):
        services.webhook_redeliver(delivery=delivery, by=request.membership)
        messages.success(request, _("Message queued again, with the same webhook-id."))
    return redirect("webhook_endpoint", slug=request.workspace.slug, pk=delivery.endpoint_id)

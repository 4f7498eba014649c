"""The notification list, and marking read. Every action is a plain form POST that redirects back."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import WorkspaceRequest, workspace_view
from notifications import selectors, services
from notifications.models import Notification

PAGE_SIZE = 50


def _mark_read(request: WorkspaceRequest, pk: int) -> Notification:
    """The member's own notification (404 otherwise), now read."""
    member = request.membership
    notification = selectors.get_notification_for_member(member, pk)
    services.notifications_mark_read(user=request.user, workspace=member.workspace, ids=[notification.pk])
    return notification


@workspace_view()
@require_GET
def notification_list(request: WorkspaceRequest) -> HttpResponse:
    """Seeing a notification on this page reads it: the ones shown are marked read as the page is drawn,
    and stay highlighted as new on it (the bell then counts only those not seen yet, on other pages)."""
    member = request.membership
    page = Paginator(selectors.notifications_for_member(member), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    seen = [n.pk for n in page.object_list if n.read_at is None]
    if seen:
        services.notifications_mark_read(user=request.user, workspace=member.workspace, ids=seen)
    return render(request, "notifications/list.html", {"page": page})


@workspace_view()
@require_GET
def notification_open(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Clicking a notification: it is read now, and its page opens (only a page of this site)."""
    member = request.membership
    notification = _mark_read(request, pk)
    url = notification.url
    if url.startswith(settings.SITE_URL):
        url = url[len(settings.SITE_URL) :] or "/"
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts=None) and url.startswith("/"):
        return redirect(url)
    return redirect("notifications", slug=member.workspace.slug)


@workspace_view()
@require_POST
def notification_read(request: WorkspaceRequest, pk: int) -> HttpResponse:
    _mark_read(request, pk)
    return redirect("notifications", slug=request.membership.workspace.slug)


@workspace_view()
@require_POST
def notifications_read_all(request: WorkspaceRequest) -> HttpResponse:
    member = request.membership
    count = services.notifications_mark_read(user=request.user, workspace=member.workspace)
    if count:
        messages.success(request, _("All notifications marked read."))
    return redirect("notifications", slug=member.workspace.slug)

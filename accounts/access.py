"""Permission-checked access to workspace data. Another workspace's object answers 404, always.

`workspace_view` is the one door into every `/w/<slug>/...` page: it resolves the membership (404 for
outsiders), enforces the workspace's two-factor policy and the view's permission (403 for members who
lack it), activates the zone the page's times are read in, and remembers the workspace as the user's last
one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Invitation, Membership, User, Workspace
from accounts.policy import MFA_ROLES, Perm, can
from core import dates


class AuthenticatedRequest(HttpRequest):
    """The request of a view behind login_required: its user is a person, not AnonymousUser."""

    user: User


class WorkspaceRequest(AuthenticatedRequest):
    """The request of a view behind `workspace_view`, which sets these two."""

    membership: Membership
    workspace: Workspace


def get_membership_for_user(user: User, slug: str) -> Membership:
    if not user.is_authenticated:
        raise Http404
    return get_object_or_404(Membership.objects.select_related("workspace"), user=user, workspace__slug=slug)


def last_membership_of(user: User) -> Membership | None:
    """The workspace a person is taken back to (/), and whose navigation their personal pages keep:
    the last one they used, else the first by name."""
    memberships = Membership.objects.filter(user=user).select_related("workspace")
    return (
        memberships.filter(workspace_id=user.last_workspace_id).first() if user.last_workspace_id else None
    ) or memberships.order_by("workspace__name").first()


def get_member_for_member(member: Membership, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "workspace"), pk=pk, workspace_id=member.workspace_id
    )


def get_invitation_for_member(member: Membership, pk: int) -> Invitation:
    return get_object_or_404(Invitation, pk=pk, workspace_id=member.workspace_id)


def mfa_required_for(member: Membership) -> bool:
    return member.workspace.require_mfa and member.role in MFA_ROLES


def workspace_view(perm: Perm = Perm.VIEW_WORKSPACE) -> Callable:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @functools.wraps(view)
        # Django passes an HttpRequest; this door makes it the WorkspaceRequest the view is typed with.
        def wrapper(request: WorkspaceRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            member = get_membership_for_user(request.user, slug)
            if mfa_required_for(member) and not is_mfa_enabled(request.user):
                messages.warning(
                    request,
                    _(
                        "%(workspace)s requires two-factor authentication for your role. "
                        "Set it up to continue."
                    )
                    % {"workspace": member.workspace.name},
                )
                return redirect("mfa_activate_totp")
            if not can(member, perm):
                raise PermissionDenied(_("Your role in this workspace does not allow this."))
            request.membership = member
            request.workspace = member.workspace
            # Every time on the page is read in one zone: the person's own, else the workspace's
            # (UserPreferencesMiddleware deactivates it when the response is done).
            timezone.activate(dates.zone_for(request.user, member.workspace))
            if request.user.last_workspace_id != member.workspace_id:
                request.user.last_workspace = member.workspace
                request.user.save(update_fields=["last_workspace"])
            return view(request, *args, **kwargs)

        return wrapper

    return decorator

from __future__ import annotations

from django.http import HttpRequest

from accounts.access import last_membership_of
from accounts.models import Membership
from accounts.policy import permissions_for


def workspace_nav(request: HttpRequest) -> dict:
    """The top bar's workspace switcher and the current member's permissions, for every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    member = getattr(request, "membership", None)
    workspace = getattr(request, "workspace", None)
    if member is None:
        # A personal page (profile, password, two-factor...) keeps the navigation of the workspace the
        # person came from, so they are not stranded without the sidebar. Their own membership: no leak.
        member = last_membership_of(user)
        workspace = member.workspace if member else None
    return {
        "current_workspace": workspace,
        "current_membership": member,
        "ws_perms": {str(p) for p in permissions_for(member.role)} if member else set(),
        # Lazy: evaluated only by pages that draw the switcher, in one query.
        "user_memberships": Membership.objects.filter(user=user)
        .select_related("workspace")
        .order_by("workspace__name"),
    }

from __future__ import annotations

from django.http import HttpRequest

from accounts.policy import Perm, can
from networks.selectors import connection_alerts


def connection_banner(request: HttpRequest) -> dict:
    """Channels that need an admin, for the banner on every page of the workspace (admins only)."""
    member = getattr(request, "membership", None)
    if member is None or not can(member, Perm.MANAGE_CHANNELS):
        return {}
    return {"connection_alerts": connection_alerts(member.workspace)}

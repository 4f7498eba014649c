from __future__ import annotations

from functools import cached_property

from django.http import HttpRequest

from accounts.models import Membership
from accounts.policy import Perm, can
from networks.selectors import channel_fixers, connection_alerts


class ConnectionBanner:
    """Channels that lost their connection, for the banner on every page of the workspace, and who can
    repair them. Everyone who answers sees lost connections; admins also see tokens about to expire.
    Lazy: a fragment that never shows the banner (an HTMX update) never queries for it."""

    def __init__(self, member: Membership):
        self.member = member
        self.can_fix = can(member, Perm.MANAGE_CHANNELS)

    @cached_property
    def alerts(self) -> list:
        return connection_alerts(self.member.workspace, admin=self.can_fix)

    @cached_property
    def fixers(self) -> list:
        return [] if self.can_fix or not self.alerts else channel_fixers(self.member.workspace)


def connection_banner(request: HttpRequest) -> dict:
    member = getattr(request, "membership", None)
    return {} if member is None else {"connection_banner": ConnectionBanner(member)}

"""Reads for channels, always scoped to a workspace."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Membership, Workspace
from networks.models import Channel
from networks.providers.graph import graph_sunset
from networks.registry import SPECS, graph_version


def get_channel_for_member(member: Membership, pk: int) -> Channel:
    return get_object_or_404(Channel, pk=pk, workspace_id=member.workspace_id)


def channels_with_health(workspace: Workspace) -> QuerySet[Channel]:
    """Every channel of the workspace with the items it fetched in the last 24 hours, in one query."""
    since = timezone.now() - dt.timedelta(hours=24)
    return (
        Channel.objects.for_workspace(workspace)
        .annotate(
            fetched_24h=Coalesce(Sum("poll_runs__fetched", filter=Q(poll_runs__started_at__gte=since)), 0)
        )
        .order_by("network", "name")
    )


def expiring_soon(channel: Channel, now: dt.datetime | None = None) -> bool:
    """True when a token that cannot be refreshed is within its network's warning window."""
    spec = SPECS[channel.network]
    if spec.renewable(channel) or not spec.expiry_warning_days or channel.token_expires_at is None:
        return False
    now = now or timezone.now()
    return channel.token_expires_at - now <= dt.timedelta(days=spec.expiry_warning_days)


def connection_alerts(workspace: Workspace) -> list[Channel]:
    """Channels an admin must act on: lost connections, and tokens about to expire for good."""
    channels = list(
        Channel.objects.for_workspace(workspace).filter(
            Q(status=Channel.Status.NEEDS_RECONNECT) | Q(token_expires_at__isnull=False)
        )
    )
    return [c for c in channels if c.status == Channel.Status.NEEDS_RECONNECT or expiring_soon(c)]


#: How long before Meta stops serving the pinned Graph version the health page raises it as a warning.
GRAPH_SUNSET_WARNING = dt.timedelta(days=90)


def graph_api_status(channels: list[Channel], today: dt.date) -> dict[str, object] | None:
    """The Graph API version Facebook and Instagram channels use, when Meta stops serving it, and whether
    that is close enough to plan the move now; None when no such channel is connected."""
    if not any(channel.network in ("facebook", "instagram") for channel in channels):
        return None
    version = graph_version()
    sunset = graph_sunset(version)
    return {
        "version": version,
        "sunset": sunset,
        "soon": sunset is not None and sunset - today <= GRAPH_SUNSET_WARNING,
    }

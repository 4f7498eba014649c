"""Reads for channels, always scoped to a workspace."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, User, Workspace
from accounts.policy import Perm, permissions_for
from networks.models import Channel, Network, PollRun
from networks.providers.graph import graph_sunset
from networks.registry import SPECS, graph_version, quota_plan


def get_channel_for_member(member: Membership, pk: int) -> Channel:
    return get_object_or_404(Channel, pk=pk, workspace_id=member.workspace_id)


def channels_with_health(workspace: Workspace) -> QuerySet[Channel]:
    """Every channel of the workspace with the items it fetched in the last 24 hours, in one query."""
    since = timezone.now() - dt.timedelta(hours=24)
    return (
        Channel.objects.for_workspace(workspace)
        .annotate(
            fetched_24h=Coalesce(Sum("poll_runs__fetched", filter=Q(poll_runs__started_at__gte=since)), 0),
            # How the newest poll ended (index pollrun_channel_recent): the kind of the last error.
            last_outcome=Subquery(
                PollRun.objects.filter(channel=OuterRef("pk")).order_by("-started_at").values("outcome")[:1]
            ),
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


def connection_alerts(workspace: Workspace, *, admin: bool = True) -> list[Channel]:
    """Channels someone must know about. Everyone: lost connections (nothing arrives, nothing can be sent).
    Admins also: tokens about to expire for good, which only they can renew."""
    lost = Q(status=Channel.Status.NEEDS_RECONNECT)
    channels = list(
        Channel.objects.for_workspace(workspace)
        .filter(lost | Q(token_expires_at__isnull=False) if admin else lost)
        .order_by("network", "name", "pk")
    )
    return [c for c in channels if c.status == Channel.Status.NEEDS_RECONNECT or (admin and expiring_soon(c))]


def channel_fixers(workspace: Workspace) -> list[User]:
    """The members who can connect and reconnect channels (the workspace's admins), by name."""
    roles = [role for role in Membership.Role.values if Perm.MANAGE_CHANNELS in permissions_for(role)]
    admins = User.objects.filter(
        memberships__workspace=workspace, memberships__role__in=roles, is_active=True
    ).distinct()
    return sorted(admins, key=lambda user: user.name.casefold())


@dataclass(frozen=True)
class Diagnosis:
    """What is wrong with a channel, for the people who read the health page: a plain sentence, whether
    it needs a workspace admin, and the network's own words (shown to admins, folded away)."""

    summary: str
    needs_admin: bool
    raw: str


def diagnose(channel: Channel, *, now: dt.datetime | None = None) -> Diagnosis | None:
    """None for a healthy channel. `channel.last_outcome` (channels_with_health) says which kind of error
    the last poll ended on; the network's message stays in `raw`, never in the summary."""
    now = now or timezone.now()
    network = channel.get_network_display()
    outcome = getattr(channel, "last_outcome", None)
    raw = channel.last_error
    if channel.status == Channel.Status.NEEDS_RECONNECT or outcome == PollRun.Outcome.AUTH_EXPIRED:
        summary = _(
            "%(network)s no longer accepts this connection: its access was revoked, or expired (a changed "
            "password or a removed app does this). Nothing new arrives and no reply can be sent until a "
            "workspace admin reconnects it."
        )
        return Diagnosis(summary % {"network": network}, True, raw)
    if outcome == PollRun.Outcome.PERMISSION:
        summary = _(
            "%(network)s refuses part of what CM Hub asks: the connected account lacks a permission, or its "
            "role on the page. A workspace admin should reconnect it and accept every permission asked."
        )
        return Diagnosis(summary % {"network": network}, True, raw)
    if channel.status == Channel.Status.PAUSED:
        summary = _("Paused by a workspace admin: nothing new arrives until it is resumed.")
        return Diagnosis(summary, True, raw)
    resets_at = channel.rate_limit_reset_at
    if outcome == PollRun.Outcome.RATE_LIMITED and resets_at and resets_at > now:
        summary = _(
            "%(network)s asked CM Hub to slow down. Reading resumes on its own at %(time)s; nothing is lost."
        ) % {"network": network, "time": formats.time_format(timezone.localtime(resets_at))}
        return Diagnosis(summary, False, raw)
    if outcome == PollRun.Outcome.TRANSIENT:
        summary = _(
            "%(network)s could not be reached for a moment. CM Hub tries again on its own, waiting a little "
            "longer each time; nothing is lost."
        )
        return Diagnosis(summary % {"network": network}, channel.status == Channel.Status.ERROR, raw)
    if outcome == PollRun.Outcome.ERROR or channel.status == Channel.Status.ERROR:
        summary = _(
            "The last reading of this channel failed. CM Hub tries again on its own, waiting a little longer "
            "each time; if it keeps failing, a workspace admin should look at the details."
        )
        return Diagnosis(summary, channel.status == Channel.Status.ERROR, raw)
    return None


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


@dataclass(frozen=True)
class QuotaStatus:
    """The day's budget of a network whose quota the deployment's channels share, for the health page."""

    network: str
    label: str
    spent: int
    limit: int
    reserve_left: int
    left_for_polls: int
    resets_at: dt.datetime
    channels: int
    #: Minutes between two polls of one channel as planned now; None while polls wait for the reset.
    interval_minutes: int | None
    exhausted: bool


def quota_statuses(channels: list[Channel], now: dt.datetime | None = None) -> list[QuotaStatus]:
    """One line per shared-quota network (YouTube) among `channels`: spent, kept for replies and
    moderation, left for polls, when it resets, and how often each channel is polled with what is left.
    The figures are the deployment's (the quota is the Google project's), not only this workspace's."""
    out = []
    for network in sorted({c.network for c in channels}):
        plan = quota_plan(network, now) if network in SPECS else None
        if plan is None:
            continue
        own = min((c.poll_interval for c in channels if c.network == network), default=60)
        minutes = None if plan.interval is None else max(1, round(max(plan.interval, own) / 60))
        out.append(
            QuotaStatus(
                network=network,
                label=Network(network).label,
                spent=plan.spent,
                limit=plan.limit,
                reserve_left=plan.reserve_left,
                left_for_polls=plan.left_for_polls,
                resets_at=plan.resets_at,
                channels=plan.channels,
                interval_minutes=minutes,
                exhausted=plan.exhausted or plan.left == 0,
            )
        )
    return out

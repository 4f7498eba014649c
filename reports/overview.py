"""The Overview (/w/<slug>/): what needs a person now, today's volume against the usual, channels in trouble
and the posts going out next. Each figure is read through the selector that already owns it (the inbox's
quick views, the navigation's queues, the health page's diagnosis), so the Overview and the page it links
to always agree."""

from __future__ import annotations

import datetime as dt
import statistics
import zoneinfo
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Membership
from core.waiting import waiting_for
from inbox import selectors as inbox_selectors
from inbox.models import Message
from networks import selectors as network_selectors
from networks.models import Channel
from posts.models import Post

USUAL_WEEKS = 4  # "the usual": the same weekday, up to the same time, over this many previous weeks
NEXT_POSTS = 5


@dataclass(frozen=True)
class Volume:
    today: int  # inbound messages since midnight in the workspace's time zone
    usual: float | None  # median of the same weekday up to the same time over the previous weeks
    since: dt.datetime  # that midnight, aware

    @property
    def above_usual(self) -> bool:
        return self.usual is not None and self.today > self.usual


@dataclass(frozen=True)
class TroubledChannel:
    channel: Channel
    summary: str


def today_volume(member: Membership, *, now: dt.datetime | None = None) -> Volume:
    """Inbound messages today against the usual, in one query. "Today" and each earlier day are read in
    the workspace's zone (the team's day, whoever looks), midnight to the same wall-clock time, so a day
    across a DST change still ends at the same hour. The usual is the median of the last USUAL_WEEKS same
    weekdays; None when the workspace has no message before today (nothing to compare with yet)."""
    now = now or timezone.now()
    tz = zoneinfo.ZoneInfo(member.workspace.timezone)
    local_now = now.astimezone(tz)
    windows = []
    for weeks_back in range(USUAL_WEEKS + 1):
        day = local_now.date() - dt.timedelta(weeks=weeks_back)
        start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
        end = now if weeks_back == 0 else dt.datetime.combine(day, local_now.time(), tzinfo=tz)
        windows.append((start, end))
    inbound = Message.objects.filter(
        workspace_id=member.workspace_id, direction=Message.Direction.IN, created_at__gte=windows[-1][0]
    )
    counts = inbound.aggregate(
        **{
            f"w{i}": Count("pk", filter=Q(created_at__gte=start, created_at__lt=end))
            for i, (start, end) in enumerate(windows)
        },
        earlier=Count("pk", filter=Q(created_at__lt=windows[0][0])),
    )
    past = [counts[f"w{i}"] for i in range(1, USUAL_WEEKS + 1)]
    usual = float(statistics.median(past)) if counts["earlier"] else None
    return Volume(today=counts["w0"], usual=usual, since=windows[0][0])


def troubled_channels(member: Membership, *, now: dt.datetime | None = None) -> list[TroubledChannel]:
    """Channels the health page diagnoses as unwell (lost connection, missing permission, paused, slowed
    down, failing polls), with its sentence: one query."""
    now = now or timezone.now()
    result = []
    for channel in network_selectors.channels_with_health(member.workspace):
        diagnosis = network_selectors.diagnose(channel, now=now)
        if diagnosis is not None:
            result.append(TroubledChannel(channel, diagnosis.summary))
    return result


def next_posts(member: Membership, *, now: dt.datetime | None = None, limit: int = NEXT_POSTS) -> list[Post]:
    """The next scheduled posts, soonest first, with their channels (two queries)."""
    now = now or timezone.now()
    return list(
        Post.objects.filter(
            workspace_id=member.workspace_id, status=Post.Status.SCHEDULED, scheduled_at__gte=now
        )
        .prefetch_related("targets__channel")
        .order_by("scheduled_at", "pk")[:limit]
    )


@dataclass(frozen=True)
class Overview:
    open: int
    overdue: int
    assigned_to_me: int
    waiting: dict[str, int]  # the navigation's queues: {"replies": n, "posts": n} for roles that approve
    volume: Volume
    troubled: list[TroubledChannel]
    posts: list[Post]
    has_channels: bool


def overview(member: Membership, *, now: dt.datetime | None = None) -> Overview:
    """Every figure of the Overview page for this member."""
    now = now or timezone.now()
    counts = inbox_selectors.view_counts(workspace=member.workspace, user=member.user, now=now)
    troubled = troubled_channels(member, now=now)
    return Overview(
        open=counts["anyone"],
        overdue=counts["overdue"],
        assigned_to_me=counts["me"],
        waiting=waiting_for(member),
        volume=today_volume(member, now=now),
        troubled=troubled,
        posts=next_posts(member, now=now),
        has_channels=bool(troubled) or Channel.objects.filter(workspace_id=member.workspace_id).exists(),
    )

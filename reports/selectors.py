"""Reads for the report pages: aggregates over the facts table (ReportingEvent), plus the approval rows of
replies and posts for the Team report.

Counts, means, bucket counts and SLA shares are SQL aggregates. Medians and p90s are PostgreSQL's
`percentile_cont` in the same query; SQLite has no percentile, so there one more query reads that single
column's values and `percentile` interpolates them exactly as `percentile_cont` does: both databases give
the same numbers.

An agent's report (`user_id`) counts only the facts that name them: replies they sent, first responses they
gave, conversations they resolved. Conversation-level volumes (created, received, the heatmap) name nobody,
so the pages leave them out for agents rather than showing zeros."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import zoneinfo
from typing import Any, cast

from django.db import connection
from django.db.models import Aggregate, Avg, Count, FloatField, Q, QuerySet
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay

from accounts.models import Membership, User, Workspace
from inbox.models import Message
from posts.models import PostEvent, Review
from reports.framework import ReportFilter, period_buckets, period_key, period_next, period_trunc
from reports.models import ReportingEvent

K = ReportingEvent.Kind

# First-response distribution buckets, in seconds: [low, high).
BUCKETS = [(0, 3600), (3600, 4 * 3600), (4 * 3600, 8 * 3600), (8 * 3600, 24 * 3600), (24 * 3600, None)]
BUCKET_LABELS = ["0-1 h", "1-4 h", "4-8 h", "8-24 h", "24 h+"]
DURATION_KINDS = {"first_response": K.FIRST_RESPONSE, "reply": K.REPLY, "resolution": K.RESOLVED}
HEAT_LEVELS = 5  # shades of the heatmap, 0 (nothing) to HEAT_LEVELS - 1 (the busiest hour)


def percentile(values: list[int], fraction: float) -> float | None:
    """Linear interpolation between closest ranks: what PostgreSQL's percentile_cont computes."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate, with the FILTER clause Aggregate renders into %(filter)s."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    output_field = FloatField()

    def __init__(self, expression: str, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def _in_sql() -> bool:
    return connection.vendor == "postgresql"


@dataclasses.dataclass(frozen=True)
class Durations:
    count: int
    median: float | None
    p90: float | None
    mean: float | None


def _durations(values: list[int]) -> Durations:
    mean = sum(values) / len(values) if values else None
    return Durations(len(values), percentile(values, 0.5), percentile(values, 0.9), mean)


def facts_in(
    workspace: Workspace,
    f: ReportFilter,
    *,
    user_id: int | None = None,
    period: tuple[dt.datetime, dt.datetime] | None = None,
) -> QuerySet[ReportingEvent]:
    start, end = period or (f.start, f.end)
    qs = ReportingEvent.objects.filter(workspace=workspace, at__gte=start, at__lt=end)
    if f.channel:
        qs = qs.filter(channel_id=f.channel)
    if f.network:
        qs = qs.filter(network=f.network)
    if f.assignee:
        qs = qs.filter(conversation__assignee_id=f.assignee)
    if f.label:
        qs = qs.filter(conversation__labels=f.label)
    if user_id is not None:  # an agent sees their own figures
        qs = qs.filter(user_id=user_id)
    return qs


def _value_field(f: ReportFilter) -> str:
    return "business_value_seconds" if f.business_hours else "value_seconds"


def first_response_summary(workspace: Workspace, f: ReportFilter, *, user_id: int | None = None) -> dict:
    summary = period_summary(workspace, f, user_id=user_id)
    return {
        "durations": summary.durations["first_response"],
        "buckets": summary.buckets,
        "within_sla_percent": summary.sla_percent,
    }


# --- The Inbox report -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PeriodSummary:
    counts: dict[str, int]  # created, received, sent
    durations: dict[str, Durations]  # first_response, reply, resolution
    buckets: list[int]
    sla_met: int
    sla_missed: int

    @property
    def sla_percent(self) -> float | None:
        judged = self.sla_met + self.sla_missed
        return 100 * self.sla_met / judged if judged else None


def period_summary(
    workspace: Workspace,
    f: ReportFilter,
    *,
    user_id: int | None = None,
    period: tuple[dt.datetime, dt.datetime] | None = None,
) -> PeriodSummary:
    """Every headline figure of one period: one query on PostgreSQL, two on SQLite."""
    qs = facts_in(workspace, f, user_id=user_id, period=period)
    field = _value_field(f)
    first = Q(kind=K.FIRST_RESPONSE, **{f"{field}__isnull": False})
    aggregates: dict[str, Any] = {
        "created": Count("pk", filter=Q(kind=K.CONVERSATION_CREATED)),
        "received": Count("pk", filter=Q(kind=K.MESSAGE_RECEIVED)),
        "sent": Count("pk", filter=Q(kind=K.MESSAGE_SENT)),
        "met": Count("pk", filter=Q(kind=K.FIRST_RESPONSE, sla_met=True)),
        "missed": Count("pk", filter=Q(kind=K.FIRST_RESPONSE, sla_met=False)),
    }
    for i, (low, high) in enumerate(BUCKETS):
        within = first & Q(**{f"{field}__gte": low})
        if high is not None:
            within &= Q(**{f"{field}__lt": high})
        aggregates[f"bucket{i}"] = Count("pk", filter=within)
    for name, kind in DURATION_KINDS.items():
        timed = Q(kind=kind, **{f"{field}__isnull": False})
        aggregates[f"{name}_count"] = Count("pk", filter=timed)
        aggregates[f"{name}_mean"] = Avg(field, filter=timed)
        if _in_sql():
            aggregates[f"{name}_median"] = PercentileCont(field, 0.5, filter=timed)
            aggregates[f"{name}_p90"] = PercentileCont(field, 0.9, filter=timed)
    row = qs.aggregate(**aggregates)
    durations: dict[str, Durations] = {}
    if _in_sql():
        for name in DURATION_KINDS:
            durations[name] = Durations(
                row[f"{name}_count"], row[f"{name}_median"], row[f"{name}_p90"], row[f"{name}_mean"]
            )
    else:
        values: dict[str, list[int]] = {name: [] for name in DURATION_KINDS}
        by_kind = {kind: name for name, kind in DURATION_KINDS.items()}
        timed_rows = qs.filter(kind__in=list(by_kind), **{f"{field}__isnull": False}).values_list(
            "kind", field
        )
        for kind, value in timed_rows:
            values[by_kind[kind]].append(value)
        for name, found in values.items():
            median, p90 = percentile(found, 0.5), percentile(found, 0.9)
            durations[name] = Durations(row[f"{name}_count"], median, p90, row[f"{name}_mean"])
    return PeriodSummary(
        counts={name: row[name] for name in ("created", "received", "sent")},
        durations=durations,
        buckets=[row[f"bucket{i}"] for i in range(len(BUCKETS))],
        sla_met=row["met"],
        sla_missed=row["missed"],
    )


SERIES_KINDS: dict[str, str] = {
    K.CONVERSATION_CREATED: "created",
    K.MESSAGE_RECEIVED: "received",
    K.MESSAGE_SENT: "sent",
}


def bins(f: ReportFilter) -> list[tuple[dt.date, dt.datetime, dt.datetime]]:
    """The filter's periods (`period_buckets`, in the filter's zone: the workspace's) as (first day, start,
    end); the first and last are clipped to the range."""
    tz = f.start.tzinfo
    return [
        (
            day,
            max(dt.datetime.combine(day, dt.time(0), tzinfo=tz), f.start),
            min(dt.datetime.combine(period_next(day, f.grouping), dt.time(0), tzinfo=tz), f.end),
        )
        for day in period_buckets(f)
    ]


def series(workspace: Workspace, f: ReportFilter, *, user_id: int | None = None) -> list[dict]:
    """Created, received and sent per day, week or month (the workspace's zone), every bin present: one
    query grouped by the truncated time."""
    rows = (
        facts_in(workspace, f, user_id=user_id)
        .filter(kind__in=list(SERIES_KINDS))
        .annotate(bin=period_trunc("at", f))
        .values("bin", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[tuple[dt.date | None, str], int] = {}
    for row in rows:
        counts[(period_key(row["bin"], f), SERIES_KINDS[row["kind"]])] = row["n"]
    return [
        {"day": day, "start": start, **{name: counts.get((day, name), 0) for name in SERIES_KINDS.values()}}
        for day, start, _end in bins(f)
    ]


@dataclasses.dataclass(frozen=True)
class HeatCell:
    weekday: int  # 1 = Monday ... 7 = Sunday (ISO)
    hour: int
    count: int
    level: int


def heatmap(workspace: Workspace, f: ReportFilter) -> list[list[HeatCell]]:
    """Inbound messages per hour of the week in the workspace's zone: 7 rows (Monday first) of 24 cells,
    each shaded by its share of the busiest cell. One grouped query."""
    tz = zoneinfo.ZoneInfo(workspace.timezone or "UTC")
    rows = (
        facts_in(workspace, f)
        .filter(kind=K.MESSAGE_RECEIVED)
        .annotate(weekday=ExtractIsoWeekDay("at", tzinfo=tz), hour=ExtractHour("at", tzinfo=tz))
        .values("weekday", "hour")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {(row["weekday"], row["hour"]): row["n"] for row in rows}
    busiest = max(counts.values(), default=0)

    def level(n: int) -> int:
        return 0 if not n else max(1, math.ceil((HEAT_LEVELS - 1) * n / busiest))

    return [
        [
            HeatCell(day, hour, counts.get((day, hour), 0), level(counts.get((day, hour), 0)))
            for hour in range(24)
        ]
        for day in range(1, 8)
    ]


def inbox_report(workspace: Workspace, f: ReportFilter, *, user_id: int | None = None) -> dict:
    """Everything the Inbox report draws. Queries: the period's summary (1, or 2 on SQLite), the same for
    the previous period when comparing, the series (1) and, for the whole team, the heatmap (1)."""
    current = period_summary(workspace, f, user_id=user_id)
    previous = period_summary(workspace, f, user_id=user_id, period=f.previous) if f.compare else None
    return {
        "current": current,
        "previous": previous,
        "series": series(workspace, f, user_id=user_id),
        "heatmap": heatmap(workspace, f) if user_id is None else None,
    }


# --- Drill-down: the conversations a figure counted -----------------------------------------------------

DRILL_METRICS = (
    "created",
    "received",
    "sent",
    "first_response",
    "reply",
    "resolved",
    "sla_met",
    "sla_missed",
    "bucket",
    "heat",
    "bin",
)


def drill_conversation_ids(
    workspace: Workspace,
    f: ReportFilter,
    *,
    metric: str,
    user_id: int | None = None,
    previous: bool = False,
    bucket: int | None = None,
    weekday: int | None = None,
    hour: int | None = None,
    day: dt.date | None = None,
    series_name: str = "created",
    agent_id: int | None = None,
) -> list[int]:
    """The ids of the conversations behind one figure, the same facts the figure counted, newest first.
    Unknown metrics or out-of-range arguments count nothing."""
    tz = zoneinfo.ZoneInfo(workspace.timezone or "UTC")
    period = f.previous if previous else None
    qs = facts_in(workspace, f, user_id=user_id, period=period)
    if agent_id is not None:  # a Team row
        qs = qs.filter(user_id=agent_id)
    field = _value_field(f)
    kinds = {
        "created": K.CONVERSATION_CREATED,
        "received": K.MESSAGE_RECEIVED,
        "sent": K.MESSAGE_SENT,
        "first_response": K.FIRST_RESPONSE,
        "reply": K.REPLY,
        "resolved": K.RESOLVED,
    }
    if metric in kinds:
        qs = qs.filter(kind=kinds[metric])
    elif metric in ("sla_met", "sla_missed"):
        qs = qs.filter(kind=K.FIRST_RESPONSE, sla_met=metric == "sla_met")
    elif metric == "bucket" and bucket is not None and 0 <= bucket < len(BUCKETS):
        low, high = BUCKETS[bucket]
        qs = qs.filter(kind=K.FIRST_RESPONSE, **{f"{field}__gte": low})
        if high is not None:
            qs = qs.filter(**{f"{field}__lt": high})
    elif metric == "heat" and weekday is not None and hour is not None and user_id is None:
        qs = (
            qs.filter(kind=K.MESSAGE_RECEIVED)
            .annotate(weekday=ExtractIsoWeekDay("at", tzinfo=tz), hour=ExtractHour("at", tzinfo=tz))
            .filter(weekday=weekday, hour=hour)
        )
    elif metric == "bin" and day is not None and series_name in SERIES_KINDS.values():
        match = [(start, end) for first, start, end in bins(f) if first == day]
        if not match:
            return []
        kind = next(k for k, name in SERIES_KINDS.items() if name == series_name)
        qs = qs.filter(kind=kind, at__gte=match[0][0], at__lt=match[0][1])
    else:
        return []
    return list(qs.order_by("-conversation_id").values_list("conversation_id", flat=True).distinct())


# --- The Team report ------------------------------------------------------------------------------------


@dataclasses.dataclass
class AgentRow:
    user: User
    replies: int = 0
    resolved: int = 0
    first_response_median: float | None = None
    reply_median: float | None = None
    sla_met: int = 0
    sla_missed: int = 0
    approvals_given: int = 0
    approvals_requested: int = 0

    @property
    def sla_percent(self) -> float | None:
        judged = self.sla_met + self.sla_missed
        return 100 * self.sla_met / judged if judged else None


def team_report(workspace: Workspace, f: ReportFilter, *, user_id: int | None = None) -> list[AgentRow]:
    """One row per member (only theirs for an agent), by name. Constant queries whatever the team's size:
    members, the facts grouped by person (plus their timed values on SQLite), and the approvals of replies
    and posts given and requested, each grouped by person."""
    members = (
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__display_name", "user__email")
    )
    if user_id is not None:
        members = members.filter(user_id=user_id)
    rows = {m.user_id: AgentRow(m.user) for m in members}
    if not rows:
        return []
    field = _value_field(f)
    facts = facts_in(workspace, f).filter(user_id__in=list(rows))
    timed_first = Q(kind=K.FIRST_RESPONSE, **{f"{field}__isnull": False})
    timed_reply = Q(kind=K.REPLY, **{f"{field}__isnull": False})
    aggregates: dict[str, Any] = {
        "replies": Count("pk", filter=Q(kind=K.REPLY)),
        "resolved": Count("pk", filter=Q(kind=K.RESOLVED)),
        "met": Count("pk", filter=Q(kind=K.FIRST_RESPONSE, sla_met=True)),
        "missed": Count("pk", filter=Q(kind=K.FIRST_RESPONSE, sla_met=False)),
    }
    if _in_sql():
        aggregates["first_response_median"] = PercentileCont(field, 0.5, filter=timed_first)
        aggregates["reply_median"] = PercentileCont(field, 0.5, filter=timed_reply)
    for grouped in facts.values("user_id").annotate(**aggregates).order_by():
        found = cast(dict[str, Any], grouped)
        row = rows[found["user_id"]]
        for name in aggregates:
            setattr(row, {"met": "sla_met", "missed": "sla_missed"}.get(name, name), found[name])
    if not _in_sql():
        values: dict[tuple[int, str], list[int]] = {}
        timed = facts.filter(timed_first | timed_reply).values_list("user_id", "kind", field)
        for person, kind, value in timed:
            values.setdefault((person, kind), []).append(value)
        for person, row in rows.items():
            row.first_response_median = percentile(values.get((person, K.FIRST_RESPONSE), []), 0.5)
            row.reply_median = percentile(values.get((person, K.REPLY), []), 0.5)
    for person, n in _approvals(workspace, f, list(rows)):
        rows[person].approvals_given += n
    for person, n in _approval_requests(workspace, f, list(rows)):
        rows[person].approvals_requested += n
    return list(rows.values())


def _approvals(workspace: Workspace, f: ReportFilter, people: list[int]) -> list[tuple[int, int]]:
    """(person, n): replies they approved (a rejection is not an approval), by when the reply was written,
    and posts they approved, by when they approved."""
    replies = (
        Message.objects.filter(
            workspace=workspace, approved_by_id__in=people, created_at__gte=f.start, created_at__lt=f.end
        )
        .exclude(send_status=Message.SendStatus.REJECTED)
        .values("approved_by_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("approved_by_id", "n")
    )
    posts = (
        Review.objects.filter(
            post__workspace=workspace,
            reviewer_id__in=people,
            decision=Review.Decision.APPROVE,
            created_at__gte=f.start,
            created_at__lt=f.end,
        )
        .values("reviewer_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("reviewer_id", "n")
    )
    return [*replies, *posts]


def _approval_requests(workspace: Workspace, f: ReportFilter, people: list[int]) -> list[tuple[int, int]]:
    """(person, n): their replies that needed approval (waiting, approved or rejected) and their posts
    submitted for review."""
    replies = (
        Message.objects.filter(
            workspace=workspace,
            direction=Message.Direction.OUT,
            author_user_id__in=people,
            created_at__gte=f.start,
            created_at__lt=f.end,
        )
        .filter(
            Q(approved_by__isnull=False)
            | Q(send_status__in=[Message.SendStatus.PENDING_APPROVAL, Message.SendStatus.REJECTED])
        )
        .values("author_user_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("author_user_id", "n")
    )
    posts = (
        PostEvent.objects.filter(
            post__workspace=workspace,
            action="submitted",
            actor_id__in=people,
            created_at__gte=f.start,
            created_at__lt=f.end,
        )
        .values("actor_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("actor_id", "n")
    )
    return [*replies, *posts]

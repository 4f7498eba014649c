"""Reads for the report pages: aggregates over the facts table only."""

from __future__ import annotations

import dataclasses
import math

from accounts.models import Workspace
from reports.framework import ReportFilter
from reports.models import ReportingEvent

# First-response distribution buckets, in seconds: [low, high).
BUCKETS = [(0, 3600), (3600, 4 * 3600), (4 * 3600, 8 * 3600), (8 * 3600, 24 * 3600), (24 * 3600, None)]


def percentile(values: list[int], fraction: float) -> float | None:
    """Linear interpolation between closest ranks: what PostgreSQL's percentile_cont computes."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclasses.dataclass(frozen=True)
class Durations:
    count: int
    median: float | None
    p90: float | None
    mean: float | None


def _durations(values: list[int]) -> Durations:
    mean = sum(values) / len(values) if values else None
    return Durations(len(values), percentile(values, 0.5), percentile(values, 0.9), mean)


def facts_in(workspace: Workspace, f: ReportFilter, *, user_id: int | None = None):
    qs = ReportingEvent.objects.filter(workspace=workspace, at__gte=f.start, at__lt=f.end)
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


def first_response_summary(workspace: Workspace, f: ReportFilter, *, user_id: int | None = None) -> dict:
    field = "business_value_seconds" if f.business_hours else "value_seconds"
    values = list(
        facts_in(workspace, f, user_id=user_id)
        .filter(kind=ReportingEvent.Kind.FIRST_RESPONSE)
        .values_list(field, flat=True)
    )
    values = [v for v in values if v is not None]
    buckets = [sum(1 for v in values if v >= low and (high is None or v < high)) for low, high in BUCKETS]
    with_target = list(
        facts_in(workspace, f, user_id=user_id)
        .filter(kind=ReportingEvent.Kind.FIRST_RESPONSE, sla_met__isnull=False)
        .values_list("sla_met", flat=True)
    )
    within = 100 * sum(with_target) / len(with_target) if with_target else None
    return {"durations": _durations(values), "buckets": buckets, "within_sla_percent": within}

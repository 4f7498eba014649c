"""Channels (their health) and reports (the figures of the report pages, from the same selectors)."""

import datetime as dt
from typing import Literal

from django.http import QueryDict
from ninja import Query, Router, Schema
from pydantic import Field

from api.auth import ApiRequest, scoped
from api.problems import invalid
from api.schemas import ERRORS, ChannelRef
from networks.models import Channel
from reports import selectors
from reports.framework import ReportFilter, own_figures_user_id, report_filter_for
from reports.selectors import first_response_summary

router = Router()


# --- Channels ------------------------------------------------------------------------------------------


class ChannelOut(ChannelRef):
    handle: str
    status: str
    last_polled_at: dt.datetime | None
    next_poll_at: dt.datetime
    consecutive_failures: int
    last_error: str
    last_error_at: dt.datetime | None
    token_expires_at: dt.datetime | None


@router.get("/channels", response=list[ChannelOut], tags=["channels"], summary="Channels and their health")
@scoped("channels:read")
def list_channels(request: ApiRequest) -> list[ChannelOut]:
    channels = Channel.objects.filter(workspace_id=request.member.workspace_id).order_by("name", "pk")
    return [
        ChannelOut(
            id=c.pk,
            name=c.name,
            network=c.network,
            handle=c.handle,
            status=c.status,
            last_polled_at=c.last_polled_at,
            next_poll_at=c.next_poll_at,
            consecutive_failures=c.consecutive_failures,
            last_error=c.last_error,
            last_error_at=c.last_error_at,
            token_expires_at=c.token_expires_at,
        )
        for c in channels
    ]


# --- Reports -------------------------------------------------------------------------------------------


class ReportQuery(Schema):
    range: Literal["7d", "30d", "90d", "custom"] = Field("30d", description="With custom: start and end.")
    start: dt.date | None = None
    end: dt.date | None = None
    grouping: Literal["day", "week", "month"] = "day"
    compare: bool = Field(False, description="Also the previous period of the same length.")
    business_hours: bool = False
    channel: int | None = Field(None, ge=1)
    network: str = ""
    label: int | None = Field(None, ge=1)
    assignee: int | None = Field(None, ge=1)


class Durations(Schema):
    count: int
    median_seconds: float | None
    p90_seconds: float | None
    mean_seconds: float | None


class FirstResponseReport(Schema):
    start: dt.datetime
    end: dt.datetime
    first_response: Durations
    buckets: list[int] = Field(..., description="0-1 h, 1-4 h, 4-8 h, 8-24 h, 24 h+")
    within_sla_percent: float | None


class PeriodFigures(Schema):
    created: int
    received: int
    sent: int
    first_response: Durations
    reply: Durations
    resolution: Durations
    buckets: list[int] = Field(..., description="First responses in 0-1 h, 1-4 h, 4-8 h, 8-24 h, 24 h+")
    sla_met: int
    sla_missed: int
    sla_percent: float | None


class SeriesPoint(Schema):
    day: dt.date
    created: int
    received: int
    sent: int


class InboxReport(Schema):
    start: dt.datetime
    end: dt.datetime
    current: PeriodFigures
    previous: PeriodFigures | None
    series: list[SeriesPoint]
    heatmap: list[list[int]] | None = Field(
        None, description="Inbound messages, 7 rows (Monday first) of 24 hours; null for an agent's own view."
    )


class TeamRow(Schema):
    user_id: int
    name: str
    replies: int
    resolved: int
    first_response_median_seconds: float | None
    reply_median_seconds: float | None
    sla_met: int
    sla_missed: int
    approvals_given: int
    approvals_requested: int


def _report_filter(request: ApiRequest, query: ReportQuery) -> ReportFilter:
    data = QueryDict(mutable=True)
    for name, value in query.dict().items():
        if value is None or value == "" or value is False:
            continue
        data[name] = (
            "on" if value is True else value.isoformat() if isinstance(value, dt.date) else str(value)
        )
    parsed, form = report_filter_for(request.member, data)
    if parsed is None:
        errors = [
            {"loc": ["query", name], "msg": " ".join(str(e) for e in found)}
            for name, found in form.errors.items()
        ]
        raise invalid(errors)
    return parsed


def _own_user_id(request: ApiRequest) -> int | None:
    return own_figures_user_id(request.member)


def _durations(found) -> Durations:
    return Durations(
        count=found.count, median_seconds=found.median, p90_seconds=found.p90, mean_seconds=found.mean
    )


def _figures(summary) -> PeriodFigures:
    return PeriodFigures(
        **summary.counts,
        first_response=_durations(summary.durations["first_response"]),
        reply=_durations(summary.durations["reply"]),
        resolution=_durations(summary.durations["resolution"]),
        buckets=summary.buckets,
        sla_met=summary.sla_met,
        sla_missed=summary.sla_missed,
        sla_percent=summary.sla_percent,
    )


@router.get(
    "/reports/first-response",
    response={200: FirstResponseReport, **ERRORS},
    tags=["reports"],
    summary="First response",
)
@scoped("reports:read")
def first_response_report(request: ApiRequest, query: Query[ReportQuery]) -> FirstResponseReport:
    """The report page's first-response figures: median, p90, mean, buckets and the share within the SLA.
    Agents get their own figures, as on the page."""
    parsed = _report_filter(request, query)
    summary = first_response_summary(request.member.workspace, parsed, user_id=_own_user_id(request))
    return FirstResponseReport(
        start=parsed.start,
        end=parsed.end,
        first_response=_durations(summary["durations"]),
        buckets=summary["buckets"],
        within_sla_percent=summary["within_sla_percent"],
    )


@router.get("/reports/inbox", response={200: InboxReport, **ERRORS}, tags=["reports"], summary="Inbox report")
@scoped("reports:read")
def inbox_report(request: ApiRequest, query: Query[ReportQuery]) -> InboxReport:
    """The figures of the Inbox report page, from the same selectors (volumes, times, SLA, the series by
    day, week or month, the hour-of-week heatmap)."""
    parsed = _report_filter(request, query)
    report = selectors.inbox_report(request.member.workspace, parsed, user_id=_own_user_id(request))
    heat = report["heatmap"]
    return InboxReport(
        start=parsed.start,
        end=parsed.end,
        current=_figures(report["current"]),
        previous=_figures(report["previous"]) if report["previous"] else None,
        series=[
            SeriesPoint(day=p["day"], created=p["created"], received=p["received"], sent=p["sent"])
            for p in report["series"]
        ],
        heatmap=[[cell.count for cell in row] for row in heat] if heat is not None else None,
    )


@router.get("/reports/team", response={200: list[TeamRow], **ERRORS}, tags=["reports"], summary="Team report")
@scoped("reports:read")
def team_report(request: ApiRequest, query: Query[ReportQuery]) -> list[TeamRow]:
    parsed = _report_filter(request, query)
    rows = selectors.team_report(request.member.workspace, parsed, user_id=_own_user_id(request))
    return [
        TeamRow(
            user_id=row.user.pk,
            name=row.user.name,
            replies=row.replies,
            resolved=row.resolved,
            first_response_median_seconds=row.first_response_median,
            reply_median_seconds=row.reply_median,
            sla_met=row.sla_met,
            sla_missed=row.sla_missed,
            approvals_given=row.approvals_given,
            approvals_requested=row.approvals_requested,
        )
        for row in rows
    ]

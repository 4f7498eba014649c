"""How the report pages show their figures: durations in words, the heatmap's rows, the charts' data island
and the CSV rows (the CSV holds what the page's tables show)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from reports.framework import ReportFilter
from reports.selectors import BUCKET_LABELS, AgentRow, Durations, HeatCell, PeriodSummary


def duration_text(seconds: float | None) -> str:
    """A duration as people say it: "45 s", "12 min", "3 h 20 min", "2 d 4 h"; "–" when unknown."""
    if seconds is None:
        return "–"
    total = round(seconds)
    if total < 60:
        return _("%(n)s s") % {"n": total}
    minutes = total // 60
    if minutes < 60:
        return _("%(n)s min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes} if minutes else _("%(h)s h") % {"h": hours}
    days, hours = divmod(hours, 24)
    return _("%(d)s d %(h)s h") % {"d": days, "h": hours} if hours else _("%(d)s d") % {"d": days}


def weekday_names() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


def heat_rows(heatmap: list[list[HeatCell]]) -> list[tuple[str, list[HeatCell]]]:
    return list(zip(weekday_names(), heatmap, strict=True))


def _epoch(value: dt.datetime) -> int:
    return int(value.timestamp())


def inbox_chart_data(report: dict, f: ReportFilter) -> dict[str, Any]:
    """What static/js/reports.js draws: plain numbers and labels, no markup."""
    series = report["series"]
    current: PeriodSummary = report["current"]
    previous: PeriodSummary | None = report["previous"]
    return {
        "series": {
            "x": [_epoch(row["start"]) for row in series],
            "grouping": f.grouping,
            "lines": [
                {"label": str(_("Conversations created")), "values": [row["created"] for row in series]},
                {"label": str(_("Messages received")), "values": [row["received"] for row in series]},
                {"label": str(_("Messages sent")), "values": [row["sent"] for row in series]},
            ],
        },
        "buckets": {
            "labels": BUCKET_LABELS,
            "bars": [
                {"label": str(_("This period")), "values": current.buckets},
                *([{"label": str(_("Previous period")), "values": previous.buckets}] if previous else []),
            ],
        },
    }


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def inbox_csv_rows(report: dict, f: ReportFilter) -> Iterator[list[Any]]:
    current: PeriodSummary = report["current"]
    previous: PeriodSummary | None = report["previous"]
    own = report["heatmap"] is None
    volume = _("Volume")
    names = {
        "created": _("Conversations created"),
        "received": _("Messages received"),
        "sent": _("Messages sent"),
    }
    for key, label in names.items():
        if own and key != "sent":
            continue
        yield [volume, label, current.counts[key], previous.counts[key] if previous else ""]
    times = {
        "first_response": _("First response time (seconds)"),
        "reply": _("Reply time (seconds)"),
        "resolution": _("Resolution time (seconds)"),
    }
    for key, section in times.items():
        now: Durations = current.durations[key]
        before: Durations | None = previous.durations[key] if previous else None
        for figure, attr in (
            (_("Count"), "count"),
            (_("Median"), "median"),
            ("p90", "p90"),
            (_("Mean"), "mean"),
        ):
            value = getattr(now, attr)
            old = getattr(before, attr) if before else None
            if attr == "count":
                yield [section, figure, value, old if before else ""]
            else:
                yield [section, figure, _seconds(value), _seconds(old)]
    sla = _("First responses within SLA")
    yield [sla, "%", _percent(current.sla_percent), _percent(previous.sla_percent) if previous else ""]
    yield [sla, _("Met"), current.sla_met, previous.sla_met if previous else ""]
    yield [sla, _("Missed"), current.sla_missed, previous.sla_missed if previous else ""]
    distribution = _("First response distribution")
    for i, label in enumerate(BUCKET_LABELS):
        yield [distribution, label, current.buckets[i], previous.buckets[i] if previous else ""]
    over_time = _("Over time")
    for row in report["series"]:
        day = row["day"].isoformat()
        for key, label in names.items():
            if own and key != "sent":
                continue
            yield [over_time, f"{day} {label}", row[key], ""]
    if report["heatmap"] is not None:
        heat = _("Messages received by hour of the week")
        for name, cells in heat_rows(report["heatmap"]):
            for cell in cells:
                yield [heat, f"{name} {cell.hour:02d}:00", cell.count, ""]


def team_csv_rows(rows: list[AgentRow]) -> Iterator[list[Any]]:
    for row in rows:
        yield [
            row.user.name,
            row.replies,
            row.resolved,
            _seconds(row.first_response_median),
            _seconds(row.reply_median),
            _percent(row.sla_percent),
            row.approvals_given,
            row.approvals_requested,
        ]

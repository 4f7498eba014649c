"""How the report pages show their figures: durations in words, the heatmap's rows, the charts' data island
and the CSV rows (the CSV holds what the page's tables show)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from networks.models import network_choices
from reports import publishing, reviews, sentiment
from reports.framework import ReportFilter
from reports.publishing import PublishingReport
from reports.reviews import ReviewsReport
from reports.selectors import BUCKET_LABELS, AgentRow, Durations, HeatCell, PeriodSummary
from reports.sentiment import Figure, SentimentReport


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


# --- Tables of the Sentiment and Publishing pages ---------------------------------------------------------
# One table is (key, title, headings, rows), each row a list of (text, href or ""): the page shows exactly
# these texts, and the CSV holds the same texts, so a download is what the page said.

EMPTY = "—"  # a figure nobody reported, never shown as 0


def cell_text(value: object) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


Cell = tuple[str, str]
Table = dict[str, Any]


def table(key: str, title: Any, headings: list[Any], rows: list[list[Cell]]) -> Table:
    return {"key": key, "title": str(title), "headings": [str(h) for h in headings], "rows": rows}


def _row(cells: dict[str, object], keys: list[str], links: dict[str, str]) -> list[Cell]:
    return [(cell_text(cells[key]), links.get(key, "")) for key in keys]


def column_table(
    key: str,
    title: Any,
    columns: list[tuple[str, Any]],
    rows: list[dict[str, object]],
    links: list[dict[str, str]] | None = None,
) -> Table:
    """A table of `rows` (their `cells()`) in the order of `columns` (a selector's COLUMNS entry); `links`,
    row by row, gives the cells that open what they count."""
    keys = [name for name, _heading in columns]
    hrefs = links or [{} for _row_cells in rows]
    return table(
        key,
        title,
        [heading for _name, heading in columns],
        [_row(cells, keys, row_links) for cells, row_links in zip(rows, hrefs, strict=True)],
    )


def tables_csv_rows(tables: list[Table]) -> Iterator[list[Any]]:
    """Every table, one after the other: its title and headings, then its rows, each row led by the title."""
    for t in tables:
        yield [t["title"], *t["headings"]]
        for row in t["rows"]:
            yield [t["title"], *(text for text, _href in row)]


def _day_epoch(day: dt.date, f: ReportFilter) -> int:
    return _epoch(dt.datetime.combine(day, dt.time(0), tzinfo=f.start.tzinfo))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def sentiment_tables(report: SentimentReport, *, inbox_url: str) -> list[Table]:
    """The Sentiment and intent page's tables (the whole team's): over time, in total, intents (each count
    of conversations opening the inbox on exactly those), spam and the assistant's figures."""
    columns = sentiment.COLUMNS
    total = report.total.cells() | {"period": _("Whole period")}
    figures = (report.spam, *report.suggestions, *report.auto_replies)
    return [
        column_table(
            "sentiment-series",
            _("Sentiment over time"),
            columns["series"],
            [p.cells() for p in report.series] + [total],
        ),
        column_table(
            "sentiment-intents",
            _("Top intents"),
            columns["intents"],
            [r.cells() for r in report.intents],
            [{"conversations": f"{inbox_url}?{urlencode(r.drill)}"} for r in report.intents],
        ),
        column_table(
            "sentiment-figures", _("Spam and the assistant"), columns["figures"], [x.cells() for x in figures]
        ),
    ]


def own_suggestion_tables(figures: list[Figure]) -> list[Table]:
    """An agent's part of the Sentiment page: the suggestions they decided on."""
    title = _("Suggestions you decided on")
    return [
        column_table("sentiment-figures", title, sentiment.COLUMNS["figures"], [x.cells() for x in figures])
    ]


def sentiment_chart_data(report: SentimentReport, f: ReportFilter) -> dict[str, Any]:
    points = report.series
    return {
        "series": {
            "x": [_day_epoch(p.period, f) for p in points if p.period],
            "grouping": f.grouping,
            "lines": [
                {
                    "label": str(_("Positive share (%)")),
                    "values": [_rounded(p.positive_share) for p in points],
                },
                {"label": str(_("Neutral share (%)")), "values": [_rounded(p.neutral_share) for p in points]},
                {
                    "label": str(_("Negative share (%)")),
                    "values": [_rounded(p.negative_share) for p in points],
                },
            ],
        }
    }


def publishing_tables(report: PublishingReport, *, post_url: Callable[[int], str]) -> list[Table]:
    """The Publishing page's tables. The posts list cannot filter by publication date or network, so the
    drill-down of the engagement table is each post's own page (and the network's permalink)."""
    networks = dict(network_choices())
    columns = publishing.COLUMNS

    def named(cells: dict[str, object]) -> dict[str, object]:
        return cells | {"network": str(networks.get(str(cells["network"]), cells["network"]))}

    in_series = list(report.series[0].published) if report.series else []
    series_columns = [*columns["series"], *((n, networks.get(n, n)) for n in in_series)]
    return [
        column_table(
            "publishing-networks",
            _("Per network"),
            columns["networks"],
            [named(r.cells()) for r in report.networks],
        ),
        column_table(
            "publishing-series",
            _("Posts published over time"),
            series_columns,
            [r.cells() for r in report.series],
        ),
        column_table(
            "publishing-failures",
            _("Failures by cause"),
            columns["failures"],
            [r.cells() for r in report.failures],
        ),
        column_table(
            "publishing-posts",
            _("Engagement per post"),
            columns["posts"],
            [named(p.cells()) for p in report.posts],
            [{"post": post_url(p.post_id), "permalink": p.permalink} for p in report.posts],
        ),
    ]


def publishing_chart_data(report: PublishingReport, f: ReportFilter) -> dict[str, Any]:
    networks = dict(network_choices())
    in_series = list(report.series[0].published) if report.series else []
    return {
        "series": {
            "x": [_day_epoch(r.period, f) for r in report.series],
            "grouping": f.grouping,
            "lines": [
                {"label": str(networks.get(n, n)), "values": [r.published[n] for r in report.series]}
                for n in in_series
            ],
        }
    }


def reviews_tables(report: ReviewsReport, *, inbox_url: str, query: dict[str, str]) -> list[Table]:
    """The Reviews page's tables: over time, by stars (each row opening the inbox on the reviews with
    those stars now), and the answers' figures."""
    columns = reviews.COLUMNS
    total = report.total.cells() | {"period": _("Whole period")}
    figures: list[dict[str, object]] = [
        {"figure": _("Reviews received"), "value": report.total.reviews},
        {"figure": _("Average rating"), "value": report.total.average},
        {"figure": _("Reviews answered"), "value": report.answered},
        {"figure": _("Response rate (%)"), "value": report.response_rate},
        {"figure": _("Median response time"), "value": duration_text(report.median_response_seconds)},
    ]

    def listed(stars: int) -> str:
        return f"{inbox_url}?{urlencode({**query, 'kind': 'review', 'rating': stars, 'status': 'all'})}"

    drill = [{"reviews": listed(row.stars)} for row in report.distribution]
    return [
        column_table(
            "reviews-series",
            _("Reviews over time"),
            columns["series"],
            [p.cells() for p in report.series] + [total],
        ),
        column_table(
            "reviews-stars",
            _("Reviews by stars"),
            columns["distribution"],
            [r.cells() for r in report.distribution],
            drill,
        ),
        column_table("reviews-figures", _("Answers"), columns["figures"], figures),
    ]


def reviews_chart_data(report: ReviewsReport, f: ReportFilter) -> dict[str, Any]:
    """The average rating over time (a line) and the stars' distribution (bars), for static/js/reports.js."""
    points = report.series
    return {
        "series": {
            "x": [_day_epoch(p.period, f) for p in points if p.period],
            "grouping": f.grouping,
            "lines": [{"label": str(_("Average rating")), "values": [_rounded(p.average) for p in points]}],
        },
        "buckets": {
            "labels": [str(_("%(n)s ★") % {"n": row.stars}) for row in report.distribution],
            "bars": [
                {
                    "label": str(pgettext("customer reviews", "Reviews")),
                    "values": [row.reviews for row in report.distribution],
                }
            ],
        },
    }

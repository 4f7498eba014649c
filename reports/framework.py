"""The filter every report page reads from its query string: parsed and validated, never a 500.

Ranges are whole days in the workspace's time zone: `7d` is the last seven days including today;
`custom` takes start and end dates (inclusive). The comparison period is the one just before, of the
same length."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

from django import forms
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.db.models.functions.datetime import TruncBase
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership
from accounts.policy import Perm, can

RANGES = {"7d": 7, "30d": 30, "90d": 90}
MAX_CUSTOM_DAYS = 366


@dataclasses.dataclass(frozen=True)
class ReportFilter:
    start: dt.datetime  # aware, inclusive
    end: dt.datetime  # aware, exclusive
    grouping: str
    compare: bool
    business_hours: bool
    channel: int | None
    network: str
    label: int | None
    assignee: int | None

    @property
    def previous(self) -> tuple[dt.datetime, dt.datetime]:
        return self.start - (self.end - self.start), self.start


class ReportFilterForm(forms.Form):
    range = forms.ChoiceField(
        label=_("Period"),
        choices=[
            ("7d", _("Last 7 days")),
            ("30d", _("Last 30 days")),
            ("90d", _("Last 90 days")),
            ("custom", _("Custom")),
        ],
        required=False,
    )
    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)
    grouping = forms.ChoiceField(
        label=_("Group by"),
        choices=[("day", _("Day")), ("week", _("Week")), ("month", _("Month"))],
        required=False,
    )
    compare = forms.BooleanField(label=_("Compare with the previous period"), required=False)
    business_hours = forms.BooleanField(label=_("Business hours only"), required=False)
    channel = forms.IntegerField(required=False, min_value=1)
    network = forms.CharField(required=False, max_length=16)
    label = forms.IntegerField(required=False, min_value=1)
    assignee = forms.IntegerField(required=False, min_value=1)

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("range") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError(_("A custom period needs a start and an end date."))
            if end < start:
                raise forms.ValidationError(_("The end date is before the start date."))
            if (end - start).days >= MAX_CUSTOM_DAYS:
                raise forms.ValidationError(_("A period is at most a year long."))
        return data


def report_filter_for(member: Membership, query: QueryDict) -> tuple[ReportFilter | None, ReportFilterForm]:
    """`report_filter_parse` as every report reads it (pages, CSVs, the API): in the workspace's zone,
    ending on the workspace's today whatever zone the request runs in."""
    zone = member.workspace.timezone or "UTC"
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(zone)).date()
    return report_filter_parse(query, timezone_name=zone, today=today)


def own_figures_user_id(member: Membership) -> int | None:
    """None for the whole team's figures (managers, admins); the agent's own id otherwise: agents see the
    figures that name them."""
    return None if can(member, Perm.VIEW_REPORTS) else member.user_id


def report_filter_parse(
    query: QueryDict, *, timezone_name: str, today: dt.date
) -> tuple[ReportFilter | None, ReportFilterForm]:
    """The filter the query asks for, or None with the bound form carrying the errors to show."""
    form = ReportFilterForm(query)
    if not form.is_valid():
        return None, form
    data = form.cleaned_data
    tz = zoneinfo.ZoneInfo(timezone_name)
    chosen = data.get("range") or "30d"
    if chosen == "custom":
        first, last = data["start"], data["end"]
    else:
        last = today
        first = today - dt.timedelta(days=RANGES[chosen] - 1)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return (
        ReportFilter(
            start=start,
            end=end,
            grouping=data.get("grouping") or "day",
            compare=bool(data.get("compare")),
            business_hours=bool(data.get("business_hours")),
            channel=data.get("channel"),
            network=data.get("network") or "",
            label=data.get("label"),
            assignee=data.get("assignee"),
        ),
        form,
    )


# --- Time buckets ---------------------------------------------------------------------------------------

_TRUNCS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def period_trunc(field: str, f: ReportFilter) -> TruncBase:
    """`field` truncated to the start of its day, week (Monday) or month in the filter's time zone (the
    workspace's): a GROUP BY key that `period_buckets` lists."""
    return _TRUNCS[f.grouping](field, tzinfo=f.start.tzinfo)


def period_start(day: dt.date, grouping: str) -> dt.date:
    if grouping == "week":
        return day - dt.timedelta(days=day.weekday())
    if grouping == "month":
        return day.replace(day=1)
    return day


def period_buckets(f: ReportFilter) -> list[dt.date]:
    """Every period of the filter's range, in order, as the date it starts on (the first may start before
    the range: a week or month the range begins inside). A series fills the periods nothing happened in
    with zeros from this list, so a chart never skips a gap."""
    first, last = f.start.date(), (f.end - dt.timedelta(days=1)).date()
    current, buckets = period_start(first, f.grouping), []
    while current <= last:
        buckets.append(current)
        current = period_next(current, f.grouping)
    return buckets


def period_next(day: dt.date, grouping: str) -> dt.date:
    """The start of the period after the one starting on `day`."""
    if grouping == "month":
        return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return day + dt.timedelta(days=7 if grouping == "week" else 1)


def period_key(value: dt.datetime | dt.date | None, f: ReportFilter) -> dt.date | None:
    """The bucket date of a `period_trunc` value as the database returns it (an aware datetime, or a
    date on some backends)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(f.start.tzinfo).date()
    return value

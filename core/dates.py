"""Dates and instants: the one place they are parsed (what people type) and written (what people read).

Reading. Every time a person reads is in one zone per request: their own, when they chose one in their
profile, else the workspace's (`zone_for`; `accounts.access.workspace_view` activates it for every workspace
page, and the inputs that take a time read it in the same zone). Each context has one format, named in
`FORMATS` (the formats per language are in `cmhub/formats/`), and templates use them through the `times`
tags: `{{ value|when }}`, `{{ value|when:"date" }}`, `{{ value|ago }}` ("just now", "5 minutes ago").

Parsing.
`date.fromisoformat` takes 0001-01-01 and 9999-12-31, but the day after the last, the Monday before the
first, or either in a time zone far from UTC, is outside what `datetime` holds: a page answered 500. Here a
value is kept only between EARLIEST and LATEST, far enough inside those ends for any week or month of
arithmetic and any offset; anything else is None (or, in a form, an invalid field) so the page ignores it,
and says so.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2999, 12, 31)


def _in_range(day: dt.date) -> bool:
    return EARLIEST <= day <= LATEST


def parse_date(value: str | None) -> dt.date | None:
    """An ISO date (2031-03-30) within range, else None."""
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if _in_range(day) else None


def parse_datetime(value: str | None) -> dt.datetime | None:
    """An ISO instant within range, aware (UTC when it names no offset), in UTC; else None. A "+" in a query
    string arrives as a space, so a space before the offset is read as "+"."""
    raw = (value or "").strip()
    head, space, offset = raw.rpartition(" ")
    if space and len(head) > len("2031-03-30"):
        raw = f"{head}+{offset}"
    try:
        parsed = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    if not _in_range(parsed.date()):
        return None
    return parsed.astimezone(dt.UTC)


class DateField(forms.DateField):
    """A form's date, refused as invalid outside the range (the filters then ignore it and say so)."""

    def to_python(self, value: Any) -> dt.date | None:
        day = super().to_python(value)
        if day is not None and not _in_range(day):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return day


# --- Reading ----------------------------------------------------------------------------------------------

#: One format per context. "datetime": an instant (a message, a post's schedule, a table cell); "date": a
#: day (joined, first seen); "time": the time of day where the day is already shown (a calendar cell).
FORMATS = {"datetime": "DATETIME_FORMAT", "date": "DATE_FORMAT", "time": "TIME_FORMAT"}


def zone_named(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone of that name; UTC when there is none or it is not one (a value set by hand in the admin)."""
    try:
        return zoneinfo.ZoneInfo(name) if name else zoneinfo.ZoneInfo("UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def zone_for(user: object, workspace: object) -> zoneinfo.ZoneInfo:
    """The zone a person reads a workspace's times in: their own if they chose one, else the workspace's."""
    own = getattr(user, "timezone", "") if getattr(user, "is_authenticated", False) else ""
    return zone_named(own or getattr(workspace, "timezone", None))


def format_instant(
    value: dt.datetime | dt.date | None, context: str = "datetime", zone: dt.tzinfo | None = None
) -> str:
    """`value` written for `context`, in `zone` (default: the active one) and the active language."""
    if value is None:
        return ""
    if context not in FORMATS:
        raise ValueError(f"unknown date context {context!r}; one of {', '.join(FORMATS)}")
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value, zone)
    return formats.date_format(value, FORMATS[context])


def clock(value: dt.datetime, zone_name: str | None) -> str:
    """A time of day stored in a sentence (an error kept on a row and read later): the time in that zone,
    with the zone named, since the reader's own zone is not known when the sentence is written."""
    zone = zone_named(zone_name)
    return f"{format_instant(value, 'time', zone)} ({zone.key})"


def _duration(value: dt.datetime, now: dt.datetime, future: bool) -> str:
    seconds = (value - now).total_seconds() if future else (now - value).total_seconds()
    if seconds < 60:
        return _("less than a minute")
    return timeuntil(value, now) if future else timesince(value, now)


def since(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """How long ago, as a duration ("5 minutes", "less than a minute"), for sentences like "waiting for …"."""
    return _duration(value, now or timezone.now(), future=False) if value else ""


def until(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """How long until, as a duration ("2 hours", "less than a minute")."""
    return _duration(value, now or timezone.now(), future=True) if value else ""


def relative(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """ "just now", "5 minutes ago", "in 2 hours": a moment told from now."""
    if value is None:
        return ""
    now = now or timezone.now()
    if abs((now - value).total_seconds()) < 60:
        return _("just now")
    if value > now:
        return _("in %(duration)s") % {"duration": timeuntil(value, now)}
    return _("%(duration)s ago") % {"duration": timesince(value, now)}

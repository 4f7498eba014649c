"""Dates and instants typed by people (query strings, forms): the one place they are parsed.

`date.fromisoformat` takes 0001-01-01 and 9999-12-31, but the day after the last, the Monday before the
first, or either in a time zone far from UTC, is outside what `datetime` holds: a page answered 500. Here a
value is kept only between EARLIEST and LATEST, far enough inside those ends for any week or month of
arithmetic and any offset; anything else is None (or, in a form, an invalid field) so the page ignores it,
and says so.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

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

    def to_python(self, value):
        day = super().to_python(value)
        if day is not None and not _in_range(day):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return day

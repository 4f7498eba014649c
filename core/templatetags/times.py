"""The times people read, written the same way on every page (formats and zone: `core/dates.py`).

`{{ value|when }}` (or `|when:"date"`, `|when:"time"`) writes a `<time>` element in the active zone;
`{{ value|ago }}` writes "just now" / "5 minutes ago" with the exact time as its title; `|since` and `|until`
are durations for sentences ("waiting for {{ ago }}"), never "0 minutes".
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html

from core import dates

register = template.Library()


def _iso(value: dt.datetime | dt.date) -> str:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


@register.filter
def when(value: dt.datetime | dt.date | None, context: str = "datetime") -> str:
    if not value:
        return ""
    return format_html('<time datetime="{}">{}</time>', _iso(value), dates.format_instant(value, context))


@register.filter
def ago(value: dt.datetime | None) -> str:
    if not value:
        return ""
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        _iso(value),
        dates.format_instant(value),
        dates.relative(value),
    )


@register.filter
def since(value: dt.datetime | None) -> str:
    return dates.since(value)


@register.filter
def until(value: dt.datetime | None) -> str:
    return dates.until(value)

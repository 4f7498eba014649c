"""First-response due times, with optional business hours in the workspace's time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

MAX_DAYS_SCANNED = 14  # a week with no open hour at all is a configuration error: stop looking


def _parse(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def due_at(
    start: dt.datetime, *, minutes: int, business_hours: dict[str, list[str]] | None, timezone_name: str
) -> dt.datetime | None:
    """When a first response is due for a message received at `start` (aware). None when no target.

    Without business hours the clock runs all the time. With them, only open time counts: a message
    received on Saturday with a Monday-to-Friday 09:00-18:00 schedule and a 2-hour target is due at
    Monday 11:00.
    """
    if minutes <= 0:
        return None
    if not business_hours:
        return start + dt.timedelta(minutes=minutes)
    tz = zoneinfo.ZoneInfo(timezone_name)
    cursor = start.astimezone(tz)
    remaining = dt.timedelta(minutes=minutes)
    for _day in range(MAX_DAYS_SCANNED):
        hours = business_hours.get(str(cursor.weekday()))
        if hours:
            # Compare and add in UTC: aware arithmetic in a local zone is wall-clock, wrong across DST.
            opens = dt.datetime.combine(cursor.date(), _parse(hours[0]), tzinfo=tz).astimezone(dt.UTC)
            closes = dt.datetime.combine(cursor.date(), _parse(hours[1]), tzinfo=tz).astimezone(dt.UTC)
            begin = max(cursor.astimezone(dt.UTC), opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        next_day = cursor.date() + dt.timedelta(days=1)
        cursor = dt.datetime.combine(next_day, dt.time(0, 0), tzinfo=tz)
    return None

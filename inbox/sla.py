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


def business_seconds_between(
    start: dt.datetime, end: dt.datetime, *, business_hours: dict[str, list[str]] | None, timezone_name: str
) -> int:
    """Seconds of open time between two aware instants (0 when end <= start).

    Without business hours every second counts. With them, only the time inside each day's opening
    window in the workspace's zone counts (a reply on Monday 10:00 to a message of Saturday, with a
    Monday-to-Friday 09:00-18:00 schedule, took one business hour). Windows are computed per local
    day and compared in UTC, so a DST change shortens or lengthens the day correctly."""
    start_utc, end_utc = (
        start.astimezone(dt.UTC),
        end.astimezone(dt.UTC),
    )  # same-zone subtraction is wall-clock
    if end_utc <= start_utc:
        return 0
    if not business_hours:
        return int((end_utc - start_utc).total_seconds())
    tz = zoneinfo.ZoneInfo(timezone_name)
    day = start.astimezone(tz).date()
    last_day = end.astimezone(tz).date()
    total = dt.timedelta()
    while day <= last_day:
        hours = business_hours.get(str(day.weekday()))
        if hours:
            opens = dt.datetime.combine(day, _parse(hours[0]), tzinfo=tz).astimezone(dt.UTC)
            closes = dt.datetime.combine(day, _parse(hours[1]), tzinfo=tz).astimezone(dt.UTC)
            begin, finish = max(start_utc, opens), min(end_utc, closes)
            if begin < finish:
                total += finish - begin
        day += dt.timedelta(days=1)
    return int(total.total_seconds())

"""Business time between two instants: what the reports count as a business-hours response time."""

import datetime as dt
import zoneinfo

from inbox.sla import business_seconds_between

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
WEEKDAYS = {str(d): ["09:00", "18:00"] for d in range(5)}  # Monday-Friday 09:00-18:00


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def test_without_business_hours_every_second_counts() -> None:
    assert (
        business_seconds_between(
            at(2026, 3, 7, 10), at(2026, 3, 7, 12), business_hours={}, timezone_name="Europe/Paris"
        )
        == 7200
    )


def test_a_weekend_does_not_count() -> None:
    # Saturday 10:00 -> Monday 10:00: only Monday 09:00-10:00 is open.
    seconds = business_seconds_between(
        at(2026, 3, 7, 10), at(2026, 3, 9, 10), business_hours=WEEKDAYS, timezone_name="Europe/Paris"
    )
    assert seconds == 3600


def test_overnight_counts_the_evening_and_the_morning() -> None:
    # Tuesday 17:00 -> Wednesday 10:00: one hour before closing, one after opening.
    seconds = business_seconds_between(
        at(2026, 3, 10, 17), at(2026, 3, 11, 10), business_hours=WEEKDAYS, timezone_name="Europe/Paris"
    )
    assert seconds == 2 * 3600


def test_dst_night_uses_local_opening_hours() -> None:
    # Spring forward in Paris on Sunday 2026-03-29: the whole Sunday is 23 hours long without a schedule,
    # which matters to the day's window too.
    everyday = {str(d): ["00:00", "23:59"] for d in range(7)}
    plain = business_seconds_between(
        at(2026, 3, 28, 12), at(2026, 3, 30, 12), business_hours={}, timezone_name="Europe/Paris"
    )
    assert plain == 47 * 3600
    # and opening hours stay local: Friday 17:00 -> Monday 10:00 is 2 business hours across the change.
    assert (
        business_seconds_between(
            at(2026, 3, 27, 17), at(2026, 3, 30, 10), business_hours=WEEKDAYS, timezone_name="Europe/Paris"
        )
        == 2 * 3600
    )
    # A 24/7-ish schedule over the short night loses the missing hour.
    assert (
        business_seconds_between(
            at(2026, 3, 29, 0), at(2026, 3, 29, 23, 59), business_hours=everyday, timezone_name="Europe/Paris"
        )
        == (22 * 60 + 59) * 60
    )


def test_end_before_start_is_zero() -> None:
    assert (
        business_seconds_between(
            at(2026, 3, 9, 12), at(2026, 3, 9, 10), business_hours=WEEKDAYS, timezone_name="Europe/Paris"
        )
        == 0
    )

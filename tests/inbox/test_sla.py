import datetime as dt

from inbox.sla import due_at

WEEKDAYS_9_TO_18 = {str(day): ["09:00", "18:00"] for day in range(5)}


def test_no_business_hours_counts_all_the_time():
    start = dt.datetime(2026, 11, 21, 23, 0, tzinfo=dt.UTC)
    assert due_at(start, minutes=120, business_hours={}, timezone_name="UTC") == start + dt.timedelta(hours=2)


def test_weekend_message_is_due_monday_morning():
    saturday = dt.datetime(2026, 11, 21, 15, 0, tzinfo=dt.UTC)  # Saturday, Paris is UTC+1
    due = due_at(saturday, minutes=120, business_hours=WEEKDAYS_9_TO_18, timezone_name="Europe/Paris")
    assert due == dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)  # Monday 11:00 Paris


def test_target_spills_over_to_the_next_open_day():
    friday_late = dt.datetime(2026, 11, 20, 16, 30, tzinfo=dt.UTC)  # 17:30 Paris: 30 minutes left today
    due = due_at(friday_late, minutes=90, business_hours=WEEKDAYS_9_TO_18, timezone_name="Europe/Paris")
    assert due == dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # Monday 10:00 Paris


def test_daylight_saving_change_is_respected():
    # Paris leaves summer time on Sunday 2026-10-25; Monday opens at 09:00 CET = 08:00 UTC.
    sunday = dt.datetime(2026, 10, 25, 12, 0, tzinfo=dt.UTC)
    due = due_at(sunday, minutes=60, business_hours=WEEKDAYS_9_TO_18, timezone_name="Europe/Paris")
    assert due == dt.datetime(2026, 10, 26, 9, 0, tzinfo=dt.UTC)


def test_zero_minutes_means_no_target():
    assert (
        due_at(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), minutes=0, business_hours={}, timezone_name="UTC")
        is None
    )

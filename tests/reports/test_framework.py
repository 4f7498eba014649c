import datetime as dt

from django.http import QueryDict

from reports.framework import report_filter_parse

TODAY = dt.date(2026, 3, 30)


def parse(query: str):
    return report_filter_parse(QueryDict(query), timezone_name="Europe/Paris", today=TODAY)


def test_default_is_the_last_30_days_in_the_workspace_zone() -> None:
    f, _form = parse("")
    assert f is not None
    assert f.start.date() == dt.date(2026, 3, 1) and f.end.date() == dt.date(2026, 3, 31)
    assert f.start.utcoffset() == dt.timedelta(hours=1)  # before the DST change
    assert f.grouping == "day" and not f.compare


def test_previous_period_has_the_same_length() -> None:
    f, _form = parse("range=7d&compare=on")
    assert f is not None and f.compare
    before_start, before_end = f.previous
    assert before_end == f.start and f.start - before_start == f.end - f.start


def test_bad_input_is_a_form_error_not_a_crash() -> None:
    for query in (
        "range=custom",
        "range=custom&start=2026-03-10&end=2026-03-01",
        "range=12y",
        "start=notadate&range=custom&end=2026-01-01",
        "channel=abc",
    ):
        f, form = parse(query)
        assert f is None and form.errors, query


def test_custom_range_is_inclusive() -> None:
    f, _form = parse("range=custom&start=2026-03-01&end=2026-03-01&grouping=week&business_hours=on")
    assert f is not None
    assert f.end - f.start == dt.timedelta(days=1) and f.grouping == "week" and f.business_hours

"""Dates from query strings and forms: an invalid or out-of-range value is ignored, and the page says so.

9999-12-31 and 0001-01-01 are valid ISO dates, but a day's arithmetic or a time zone's offset takes them out
of what `datetime` holds: every such value went through `core.dates`, or a page answered 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages

from posts.models import Post
from tests.posts.test_calendar import SATURDAY_NINE, paris, post  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.django_db

BAD_DATES = ["9999-12-31", "0001-01-01", "garbage", "99999999999999999999", "10000-01-01", "2031-02-30"]
BAD_DATETIMES = [
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59",
    "0001-01-01",
    "garbage",
    "99999999999999999999",
]
NOTICE = "Some filters were not understood and are ignored:"


@pytest.fixture(params=["Pacific/Kiritimati", "America/Los_Angeles"])
def zone(request, workspace):
    """Both sides of UTC: the far ends of the calendar overflow one way or the other."""
    workspace.timezone = request.param
    workspace.save(update_fields=["timezone"])
    return workspace


@pytest.mark.parametrize("value", BAD_DATES)
@pytest.mark.parametrize("name", ["date_from", "date_to"])
def test_the_inbox_ignores_a_bad_date_and_says_so(manager_client, zone, name, value):
    response = manager_client.get("/w/acme/inbox/", {name: value})
    assert response.status_code == 200
    page = response.content.decode()
    assert NOTICE in page and ("From" if name == "date_from" else "To") in page.split(NOTICE)[1][:40]


@pytest.mark.parametrize("value", BAD_DATES)
def test_the_calendar_ignores_a_bad_date_and_says_so(manager_client, zone, value):
    for view in ("month", "week"):
        response = manager_client.get("/w/acme/calendar/", {"date": value, "view": view})
        assert response.status_code == 200
        page = response.content.decode()
        assert NOTICE in page and "Date" in page.split(NOTICE)[1][:40]


def test_the_calendar_says_nothing_of_a_good_date(manager_client, zone):
    page = manager_client.get("/w/acme/calendar/", {"date": "2031-03-01"}).content.decode()
    assert NOTICE not in page and "March 2031" in page


@pytest.mark.parametrize("value", BAD_DATETIMES)
def test_the_inbox_poll_and_cursors_ignore_a_bad_instant(manager_client, zone, value):
    assert manager_client.get("/w/acme/inbox/updates/", {"since": value}).status_code == 200
    for cursor in ("before", "after"):
        sort = "" if cursor == "before" else "oldest"
        response = manager_client.get("/w/acme/inbox/", {cursor: f"{value},1", "sort": sort})
        assert response.status_code == 200


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("value", BAD_DATES)
def test_scheduling_and_moving_refuse_a_bad_date_in_words(agent_client, post, value):  # noqa: F811
    post.refresh_from_db()
    response = agent_client.post(f"/w/acme/posts/{post.pk}/schedule/", {"date": value, "time": "23:30"})
    assert response.status_code == 302 and said(response) == ["Give a date and a time."]
    response = agent_client.post(f"/w/acme/posts/{post.pk}/move/", {"date": value, "time": "23:30"})
    assert response.status_code == 302 and said(response)[-1] == "Give the day to move it to."
    assert Post.objects.get(pk=post.pk).scheduled_at == SATURDAY_NINE


def test_the_helpers_keep_what_a_person_can_mean():
    from core import dates

    assert dates.parse_date("2031-03-30") == dt.date(2031, 3, 30)
    assert dates.parse_date("9999-12-31") is None and dates.parse_date("") is None
    assert dates.parse_datetime("2031-03-30T07:00:00+02:00") == dt.datetime(2031, 3, 30, 5, tzinfo=dt.UTC)
    assert dates.parse_datetime("2031-03-30 07:00:00 02:00") == dt.datetime(2031, 3, 30, 5, tzinfo=dt.UTC)
    assert dates.parse_datetime("2031-03-30T07:00:00") == dt.datetime(2031, 3, 30, 7, tzinfo=dt.UTC)
    assert dates.parse_datetime("0001-01-01T00:00:00+14:00") is None

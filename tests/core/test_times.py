"""Every time a person reads is in one zone (theirs, else the workspace's) and one format per context.

The moment chosen is 23:38 UTC on 1 December 2026: 00:38 on the 2nd in Paris, so a page that forgot the
zone shows the wrong hour and the wrong day. Each page is rendered with a Paris workspace and checked for
the Paris time and the absence of the UTC one.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone, translation

from accounts.models import Membership
from assistant import tasks as assistant_tasks
from assistant.models import Rule
from core import dates
from inbox.models import Message
from notifications.services import notification_send
from posts.models import Post
from tests.factories import x_mention_conversation

MOMENT = dt.datetime(2026, 12, 1, 23, 38, tzinfo=dt.UTC)
NOW = MOMENT + dt.timedelta(seconds=20)  # the pages are read 20 seconds later
PARIS = "Dec 2, 2026, 12:38 AM"
PARIS_ISO = "2026-12-02T00:38:00+01:00"
UTC_SHOWN = ("11:38 PM", "23:38", "Dec 1, 2026")


@pytest.fixture
def paris(workspace, manager, channels):
    """A Paris workspace with one of everything that carries a time, all at MOMENT."""
    workspace.timezone = "Europe/Paris"
    workspace.save(update_fields=["timezone"])
    with time_machine.travel(MOMENT, tick=False):
        conversation = x_mention_conversation(workspace, at=MOMENT)
        message = Message.objects.get(conversation=conversation)
        assistant_tasks.triage_messages([message.pk])
        Rule.objects.create(
            workspace=workspace,
            name="Label everything",
            conditions={},
            actions=[{"type": "add_label", "label": "Seen"}],
            created_by=manager,
        )
        post = Post.objects.create(
            workspace=workspace,
            author=manager,
            text="Galette des rois",
            status=Post.Status.SCHEDULED,
            scheduled_at=MOMENT + dt.timedelta(days=1),
        )
        Membership.objects.filter(workspace=workspace).update(created_at=MOMENT)
        channel = conversation.channel
        channel.last_polled_at = MOMENT
        channel.save(update_fields=["last_polled_at"])
        notification_send(
            recipients=[manager], workspace=workspace, kind="mention", url="/", text=lambda: "Léa said hi"
        )
    return {"conversation": conversation, "post": post}


def _page(client, url: str) -> str:
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _assert_no_utc(html: str, url: str) -> None:
    """What a person reads: the text and the tooltips (machine values in attributes may stay in UTC)."""
    read = " ".join([re.sub(r"<[^>]+>", " ", html), *re.findall(r'title="([^"]*)"', html)])
    for shown in UTC_SHOWN:
        assert shown not in read, f"{url} shows the UTC time {shown!r}"


@pytest.mark.parametrize(
    "path",
    [
        "conversation",  # each message's time
        "settings/rules/dry-run/",  # the message's time
        "posts/",  # scheduled for (the next day) and updated
    ],
)
def test_instants_are_shown_in_the_workspace_zone(manager_client, paris, path):
    if path == "conversation":
        path = f"inbox/{paris['conversation'].pk}/"
    url = f"/w/acme/{path}"
    html = _page(manager_client, url)
    expected = "Dec 3, 2026, 12:38 AM" if path == "posts/" else PARIS
    assert expected in html, url
    _assert_no_utc(html, url)


@pytest.mark.parametrize("path", ["inbox/", "notifications/", "channels/"])
def test_moments_say_just_now_with_the_exact_time_in_the_workspace_zone(manager_client, paris, path):
    url = f"/w/acme/{path}"
    html = _page(manager_client, url)
    assert f'<time datetime="{PARIS_ISO}" title="{PARIS}">just now</time>' in html, url
    assert "0 minutes" not in html
    _assert_no_utc(html, url)


def test_the_post_page_and_the_calendar_agree_with_the_list(manager_client, paris):
    post = paris["post"]
    detail = _page(manager_client, f"/w/acme/posts/{post.pk}/")
    assert "Scheduled for <time" in detail and "Dec 3, 2026, 12:38 AM</time> (Europe/Paris)" in detail
    calendar = _page(manager_client, "/w/acme/calendar/?date=2026-12-03")
    cell = calendar[calendar.index('data-date="2026-12-03"') :]
    cell = cell[: cell.index("</td>")]
    assert '<time datetime="2026-12-03T00:38:00+01:00">12:38 AM</time>' in cell
    _assert_no_utc(calendar, "calendar")


def test_members_joined_on_the_workspace_day(manager_client, paris):
    html = _page(manager_client, "/w/acme/settings/members/")
    assert '<time datetime="2026-12-02T00:38:00+01:00">Dec 2, 2026</time>' in html
    _assert_no_utc(html, "members")


def test_a_person_who_chose_their_own_zone_reads_every_page_in_it(manager, manager_client, paris):
    manager.timezone = "America/New_York"
    manager.save(update_fields=["timezone"])
    html = _page(manager_client, f"/w/acme/inbox/{paris['conversation'].pk}/")
    assert "Dec 1, 2026, 6:38 PM" in html and PARIS not in html
    calendar = _page(manager_client, "/w/acme/calendar/?date=2026-12-02")
    assert '<time datetime="2026-12-02T18:38:00-05:00">6:38 PM</time>' in calendar
    assert "Times in America/New_York." in calendar


def test_french_pages_use_the_french_formats(manager, manager_client, paris):
    manager.language = "fr"
    manager.save(update_fields=["language"])
    html = _page(manager_client, f"/w/acme/inbox/{paris['conversation'].pk}/")
    assert "2 déc. 2026, 00:38" in html
    assert "à l’instant" in _page(manager_client, "/w/acme/notifications/")


# --- The helpers themselves --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _english():
    """Pages read in French leave French active in this thread; each test starts in English."""
    with translation.override("en"):
        yield


def test_relative_says_just_now_under_a_minute_and_counts_after():
    now = MOMENT
    assert dates.relative(now - dt.timedelta(seconds=59), now) == "just now"
    assert dates.relative(now + dt.timedelta(seconds=30), now) == "just now"
    assert dates.relative(now - dt.timedelta(minutes=5), now) == "5\xa0minutes ago"
    assert dates.relative(now + dt.timedelta(hours=2), now) == "in 2\xa0hours"
    assert dates.since(now - dt.timedelta(seconds=10), now) == "less than a minute"
    assert dates.until(now + dt.timedelta(seconds=10), now) == "less than a minute"
    with translation.override("fr"):
        assert dates.relative(now, now) == "à l’instant"
        assert dates.relative(now - dt.timedelta(minutes=5), now) == "il y a 5\xa0minutes"


def test_format_instant_uses_the_active_zone_and_refuses_an_unknown_context():
    with timezone.override("Europe/Paris"):
        assert dates.format_instant(MOMENT) == PARIS
        assert dates.format_instant(MOMENT, "date") == "Dec 2, 2026"
        assert dates.format_instant(MOMENT, "time") == "12:38 AM"
    with pytest.raises(ValueError, match="unknown date context"):
        dates.format_instant(MOMENT, "short")


def test_a_stored_sentence_names_the_zone_of_its_time():
    assert dates.clock(MOMENT, "Europe/Paris") == "12:38 AM (Europe/Paris)"
    assert dates.clock(MOMENT, "Not/AZone") == "11:38 PM (UTC)"


def test_zone_for_prefers_the_persons_own_zone(manager, workspace):
    workspace.timezone = "Europe/Paris"
    assert dates.zone_for(manager, workspace).key == "Europe/Paris"
    manager.timezone = "Asia/Tokyo"
    assert dates.zone_for(manager, workspace).key == "Asia/Tokyo"

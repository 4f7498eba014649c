"""Moving a post on the calendar: `posts/<pk>/move/` (drag and drop, or the Move form without JavaScript)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages

from accounts.models import Membership
from posts import services
from posts.models import Post, PostTarget, Review

P = Post.Status
T = PostTarget.Status
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# Saturday 29 March 2031, 09:00 in Paris (CET, UTC+1); the clocks spring forward the next night.
SATURDAY_NINE = dt.datetime(2031, 3, 29, 8, 0, tzinfo=dt.UTC)


def member(user) -> Membership:
    return user.memberships.get()


@pytest.fixture
def paris(workspace):
    workspace.timezone = "Europe/Paris"
    workspace.save(update_fields=["timezone"])
    return workspace


@pytest.fixture
def post(paris, agent, manager, channels):
    post = services.post_create(author=member(agent), text="Fresh croissants at 8!", channels=channels)
    services.post_submit(post=post, by=member(agent))
    services.review_approve(post=post, by=member(manager))
    return services.post_schedule(post=post, by=member(agent), scheduled_at=SATURDAY_NINE)


def move(client, post, **data):
    return client.post(f"/w/acme/posts/{post.pk}/move/", data)


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_moving_to_the_dst_sunday_keeps_nine_local_the_status_and_the_approval(agent_client, post):
    back = "view=month&date=2031-03-01&status=scheduled&channel=&evil=https://example.com"
    response = move(agent_client, post, date="2031-03-30", back=back)
    assert response.status_code == 302
    url = urlsplit(response.url)
    assert url.path == "/w/acme/calendar/"
    assert parse_qs(url.query) == {"view": ["month"], "date": ["2031-03-01"], "status": ["scheduled"]}
    post.refresh_from_db()
    # Sunday 30 March 2031 is CEST (UTC+2): nine o'clock local is 07:00 UTC, not 08:00.
    assert post.scheduled_at == dt.datetime(2031, 3, 30, 7, 0, tzinfo=dt.UTC)
    assert post.scheduled_at.astimezone(PARIS).strftime("%H:%M") == "09:00"
    assert post.status == P.SCHEDULED
    assert Review.objects.filter(post=post, decision="approve", current=True).count() == 1
    targets = post.targets.all()
    assert {t.status for t in targets} == {T.SCHEDULED}
    assert {t.next_attempt_at for t in targets} == {post.scheduled_at}
    assert any("moved to" in m for m in said(response))


def test_a_time_given_with_the_day_is_used(agent_client, post):
    move(agent_client, post, date="2031-04-02", time="17:45")
    post.refresh_from_db()
    assert post.scheduled_at.astimezone(PARIS) == dt.datetime(2031, 4, 2, 17, 45, tzinfo=PARIS)
    assert set(post.targets.values_list("next_attempt_at", flat=True)) == {post.scheduled_at}


def test_without_a_way_back_it_shows_the_new_days_month(agent_client, post):
    response = move(agent_client, post, date="2031-04-02")
    assert parse_qs(urlsplit(response.url).query) == {"date": ["2031-04-02"]}


def test_a_day_in_the_past_is_refused_with_a_clear_message(agent_client, post):
    response = move(agent_client, post, date="2020-01-06", back="view=week&date=2031-03-24")
    assert response.status_code == 302
    assert "Choose a time in the future." in said(response)
    post.refresh_from_db()
    assert post.scheduled_at == SATURDAY_NINE and post.status == P.SCHEDULED


def test_a_published_post_is_not_moved(agent_client, post):
    Post.objects.filter(pk=post.pk).update(status=P.PUBLISHED)
    response = move(agent_client, post, date="2031-04-02")
    assert any("Only a scheduled post can be moved" in m for m in said(response))
    post.refresh_from_db()
    assert post.scheduled_at == SATURDAY_NINE and post.status == P.PUBLISHED


def test_a_bad_day_or_time_is_refused(agent_client, post):
    assert "Give the day to move it to." in said(move(agent_client, post, date="not-a-day"))
    assert "Give a time like 09:30." in said(move(agent_client, post, date="2031-04-02", time="25:99"))
    post.refresh_from_db()
    assert post.scheduled_at == SATURDAY_NINE


def test_an_agent_may_move_and_the_move_is_in_the_history(agent_client, agent, post):
    move(agent_client, post, date="2031-04-01")
    event = post.events.filter(action="rescheduled").get()
    assert event.actor == agent
    assert not post.events.filter(action="edited").exists()  # a move changes no word


def test_a_post_a_worker_already_publishes_is_not_moved(agent_client, post):
    """A worker claimed one of its targets a moment before the drop: the others must not move away."""
    first = post.targets.order_by("pk").first()
    PostTarget.objects.filter(pk=first.pk).update(status=PostTarget.Status.PUBLISHING)
    response = move(agent_client, post, date="2031-04-02")
    assert any("It is being published" in m for m in said(response))
    post.refresh_from_db()
    assert post.scheduled_at == SATURDAY_NINE
    assert set(post.targets.exclude(pk=first.pk).values_list("next_attempt_at", flat=True)) == {SATURDAY_NINE}


def test_the_endpoint_wants_a_post_request(agent_client, post):
    assert agent_client.get(f"/w/acme/posts/{post.pk}/move/").status_code == 405


def test_an_outsider_gets_404_and_nothing_moves(outsider_client, outsider, post):
    assert move(outsider_client, post, date="2031-04-02").status_code == 404
    slug = member(outsider).workspace.slug
    assert outsider_client.post(f"/w/{slug}/posts/{post.pk}/move/", {"date": "2031-04-02"}).status_code == 404
    post.refresh_from_db()
    assert post.scheduled_at == SATURDAY_NINE


def test_the_calendar_offers_drag_and_the_move_form_only_for_scheduled_posts(
    agent_client, post, agent, channels
):
    other = services.post_create(author=member(agent), text="Already out", channels=channels)
    Post.objects.filter(pk=other.pk).update(
        status=P.PUBLISHED, scheduled_at=SATURDAY_NINE + dt.timedelta(days=1)
    )
    page = agent_client.get("/w/acme/calendar/?date=2031-03-29&status=").content.decode()
    assert page.count('draggable="true"') == 1
    assert f'data-post="{post.pk}"' in page and f'data-post="{other.pk}"' not in page
    assert f'action="/w/acme/posts/{post.pk}/move/"' in page
    assert 'data-date="2031-03-30"' in page
    assert 'value="09:00"' in page  # the Move form starts from the post's own local time
    assert "js/calendar.js" in page

"""Rescheduling on the calendar in a real browser: drag a post to another day (HTML5 drag and drop), or use
its Move form from the keyboard; the time of day is kept, and no console error or CSP violation appears."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from networks.models import Channel
from posts import services
from posts.models import Post, Review
from tests.e2e.browser import sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Wednesday 14 May 2031, 09:00 in Paris (CEST, UTC+2).
WEDNESDAY_NINE = dt.datetime(2031, 5, 14, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def scheduled():
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme", timezone="Europe/Paris")
    agent = MembershipFactory(
        workspace=acme, role=Membership.Role.AGENT, user=UserFactory(display_name="Ada")
    )
    manager = MembershipFactory(workspace=acme, role=Membership.Role.MANAGER)
    channel = Channel.objects.create(
        workspace=acme, network="x", external_id="1", name="Acme X", api_base_url="http://127.0.0.1:9"
    )
    post = services.post_create(author=agent, text="Fresh croissants at 8!", channels=[channel])
    services.post_submit(post=post, by=agent)
    services.review_approve(post=post, by=manager)
    services.post_schedule(post=post, by=agent, scheduled_at=WEDNESDAY_NINE)
    return agent.user, post


def test_dragging_a_post_to_another_day_moves_it_and_keeps_its_time(page, scheduled):
    user, post = scheduled
    sign_in(page, user)
    page.goto("/w/acme/calendar/?view=month&date=2031-05-01")
    entry = page.locator(f'[data-post="{post.pk}"]')
    expect(page.locator('td[data-date="2031-05-14"]')).to_contain_text("Fresh croissants")
    with page.expect_navigation():
        entry.drag_to(page.locator('td[data-date="2031-05-16"]'))
    expect(page.locator("#messages")).to_contain_text("moved to")
    expect(page.locator('td[data-date="2031-05-16"]')).to_contain_text("Fresh croissants")
    expect(page.locator('td[data-date="2031-05-14"]')).not_to_contain_text("Fresh croissants")
    expect(page.locator('td[data-date="2031-05-16"] time')).to_have_text("9:00 AM")
    assert "view=month" in page.url and "date=2031-05-01" in page.url  # the same calendar, reloaded

    page.reload()
    expect(page.locator('td[data-date="2031-05-16"]')).to_contain_text("Fresh croissants")
    post.refresh_from_db()
    assert post.scheduled_at == dt.datetime(2031, 5, 16, 7, 0, tzinfo=dt.UTC)
    assert post.status == Post.Status.SCHEDULED
    assert Review.objects.filter(post=post, current=True).count() == 1  # the approval was kept
    assert page.problems == [], page.problems  # no console error, no CSP violation


def test_the_move_form_works_from_the_keyboard(page, scheduled):
    user, post = scheduled
    sign_in(page, user)
    page.goto("/w/acme/calendar/?view=week&date=2031-05-14")
    page.locator(f'[data-post="{post.pk}"] summary').focus()
    page.keyboard.press("Enter")
    page.get_by_label("Day").fill("2031-05-20")
    page.get_by_label("Time").fill("18:30")
    with page.expect_navigation():
        page.get_by_label("Time").press("Enter")
    expect(page.locator("#messages")).to_contain_text("moved to")
    post.refresh_from_db()
    assert post.scheduled_at == dt.datetime(2031, 5, 20, 16, 30, tzinfo=dt.UTC)
    page.goto("/w/acme/calendar/?view=week&date=2031-05-20")
    expect(page.locator('td[data-date="2031-05-20"]')).to_contain_text("6:30 PM")
    assert page.problems == [], page.problems

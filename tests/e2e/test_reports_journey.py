"""A manager opens Reports from the navigation, changes the period, sees the charts drawn with their tables,
and follows a drill-down to the inbox, which lists exactly the conversations the figure counted; then opens
the Sentiment and Publishing tabs, sees their charts drawn, and follows a post's row to the post."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from assistant.models import MessageTriage
from inbox.models import Message
from networks.models import Channel
from posts.models import Post, PostTarget
from reports.services import facts_rebuild
from tests.e2e.browser import sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from tests.reports.timelines import thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _acme():
    """A workspace in Paris with its manager and one X channel."""
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme", timezone="Europe/Paris")
    manager = MembershipFactory(
        workspace=acme, role=Membership.Role.MANAGER, user=UserFactory(display_name="Maud")
    ).user
    channel = Channel.objects.create(
        workspace=acme, network="x", external_id="1", name="Acme X", api_base_url="http://127.0.0.1:9"
    )
    return acme, manager, channel


def test_manager_opens_reports_changes_period_and_drills_down(page, live_server):
    acme, manager, channel = _acme()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    recent = [
        thread(
            channel,
            ("in", now - dt.timedelta(days=2), None),
            ("out", now - dt.timedelta(days=2, minutes=-20), manager),
        ),
        thread(channel, ("in", now - dt.timedelta(days=3), None)),
    ]
    old = thread(channel, ("in", now - dt.timedelta(days=20), None))
    facts_rebuild(workspace=acme)

    sign_in(page, manager)
    page.goto("/w/acme/")
    page.locator("nav.sidebar").get_by_role("link", name="Reports").click()
    expect(page).to_have_url(re.compile(r"/w/acme/reports/inbox/"))
    expect(page.locator("#figure-created .card-figure")).to_have_text("3")  # 30 days by default

    page.locator("#report-range").select_option("7d")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"range=7d"))
    expect(page.locator("#figure-created .card-figure")).to_have_text("2")
    expect(page.locator("#chart-series canvas")).to_be_visible()  # uPlot drew it
    expect(page.locator("#chart-buckets canvas")).to_be_visible()
    expect(page.locator("#bucket-0")).to_have_text("1")  # the chart's numbers, in its table
    expect(page.locator("table.heatmap")).to_be_visible()

    page.locator("#figure-created .card-figure").click()
    expect(page).to_have_url(re.compile(r"/w/acme/inbox/\?status=all&conversations="))
    rows = page.locator("#conversation-rows .conversation-row")
    expect(rows).to_have_count(2)
    shown = {int(pk) for pk in rows.evaluate_all("rows => rows.map(r => r.dataset.id)")}
    assert shown == {c.pk for c in recent}
    assert old.pk not in shown
    assert page.problems == []


def test_manager_opens_the_sentiment_and_publishing_tabs(page, live_server):
    acme, manager, channel = _acme()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    message = Message.objects.create(
        workspace=acme, conversation=thread(channel, ("in", now - dt.timedelta(days=1), None)),
        channel=channel, external_id="praise", created_at=now - dt.timedelta(days=1),
    )  # fmt: skip
    MessageTriage.objects.create(
        message=message, language="en", sentiment=0.8, intent="praise", priority=1, spam_score=0,
        engine_version="test",
    )  # fmt: skip
    post = Post.objects.create(workspace=acme, author=manager, title="Winter bread", scheduled_at=now)
    PostTarget.objects.create(
        post=post, channel=channel, status=PostTarget.Status.PUBLISHED, external_id="p1",
        published_at=now - dt.timedelta(days=1),
    )  # fmt: skip
    facts_rebuild(workspace=acme)

    sign_in(page, manager)
    page.goto("/w/acme/reports/inbox/?range=7d")
    page.locator("nav.report-tabs").get_by_role("link", name="Sentiment and intent").click()
    expect(page).to_have_url(re.compile(r"/w/acme/reports/sentiment/\?range=7d"))
    expect(page.locator("#chart-series canvas")).to_be_visible()
    expect(page.locator("#figure-net .card-figure")).to_have_text("+100")
    expect(page.locator("#sentiment-intents")).to_contain_text("Praise")

    page.locator("nav.report-tabs").get_by_role("link", name="Publishing").click()
    expect(page).to_have_url(re.compile(r"/w/acme/reports/publishing/\?range=7d"))
    expect(page.locator("#chart-series canvas")).to_be_visible()
    expect(page.locator("#figure-published .card-figure")).to_have_text("1")
    page.locator("#publishing-posts").get_by_role("link", name="Winter bread").click()
    expect(page).to_have_url(re.compile(rf"/w/acme/posts/{post.pk}/"))
    assert page.problems == []

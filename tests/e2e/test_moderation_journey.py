"""Moderating a Facebook comment in a real browser with real parts: hide it, show it again, answer it
privately, through the conversation page's buttons; a real Celery worker applies each on the Graph fake,
which must see each write once, and the thread follows the action until it is done. No CSP violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from inbox.models import ModerationAction
from networks import tasks
from networks.fakes.graph import GraphFake
from tests.celery_workers import start_worker, stop_worker
from tests.e2e.browser import sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from tests.publishing_fakes import facebook_channel

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def send_worker():
    process = start_worker("send")
    yield process
    stop_worker(process)


def test_hide_show_again_and_answer_privately_a_facebook_comment(page, live_server, send_worker):
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    agent = MembershipFactory(
        workspace=acme, role=Membership.Role.AGENT, user=UserFactory(display_name="Ada")
    ).user
    with GraphFake() as fake:
        fb_page = fake.add_page("Acme Bakery", page_id="777")
        post = fake.add_post(fb_page.id, "Our new sourdough")
        comment = fake.add_comment(
            post.id, "My order never came, call me!", author={"id": "fan1", "name": "Léa"}
        )
        channel = facebook_channel(fake, fb_page, acme, None)
        tasks.poll_once(channel)  # the production client reads it, ingestion stores it
        fb_comment = fake.objects[comment.id]

        sign_in(page, agent)
        page.goto("/w/acme/inbox/")
        page.locator(".conversation-row", has_text="My order never came").locator("a").first.click()
        item = page.locator("#thread .message-item", has_text="My order never came")
        expect(item).to_be_visible()
        expect(item.get_by_role("button", name="Delete on Facebook")).to_have_count(0)  # agents never delete

        item.get_by_role("button", name="Hide on Facebook").click()
        expect(item.locator(".badge-hidden")).to_have_text("Hidden on the network", timeout=30_000)
        assert fb_comment.hidden

        item.get_by_role("button", name="Show again on Facebook").click()
        expect(item.get_by_role("button", name="Hide on Facebook")).to_be_visible(timeout=30_000)
        expect(item.locator(".badge-hidden")).to_have_count(0)
        assert not fb_comment.hidden

        item.locator("summary", has_text="Reply privately").click()
        item.get_by_label("A direct message on Facebook").fill(
            "Hi Léa, we are sorry: here is your tracking link."
        )
        item.get_by_role("button", name="Send privately").click()
        expect(item.locator(".badge-private-sent")).to_have_text("Private reply sent", timeout=30_000)
        expect(item.locator("summary", has_text="Reply privately")).to_have_count(0)  # one per comment

        hides = [r for r in fake.requests if r.method == "POST" and r.path.endswith(f"/{comment.id}")]
        private = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/777/messages")]
    assert len(hides) == 2 and len(private) == 1  # each action written once
    assert list(ModerationAction.objects.order_by("pk").values_list("action", "state")) == [
        ("hide", "done"),
        ("unhide", "done"),
        ("private_reply", "done"),
    ]
    assert page.problems == [], page.problems  # no console error, no CSP violation

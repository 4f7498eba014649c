"""An agent opens a conversation whose customer edited their post: the new words, an "Edited" marker, and
the earlier words one click away (issue 13, item 9). Real parts: the X fake, the production client's poll,
ingestion, the inbox pages in Chromium."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from networks import tasks
from networks.fakes.x import XFake
from tests.e2e.browser import connect_x_channel, sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def x_fake():
    with XFake() as fake:
        yield fake


def test_an_agent_sees_the_edit_and_opens_the_earlier_words(page, live_server, x_fake):
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    agent = MembershipFactory(
        workspace=acme, role=Membership.Role.AGENT, user=UserFactory(display_name="Ada")
    ).user
    channel, brand = connect_x_channel(x_fake, acme)
    fan = x_fake.add_user("lea", "Léa")
    first = x_fake.add_mention(brand, fan, "@acmebakery open at 7 tomorrow?")
    tasks.poll_once(channel)
    x_fake.edit_tweet(first, "@acmebakery open at 7 on Sunday?")
    channel.refresh_from_db()
    tasks.poll_once(channel)

    sign_in(page, agent)
    page.goto("/w/acme/inbox/")
    page.locator(".conversation-row", has_text="open at 7 on Sunday?").first.click()

    message = page.locator(".message-item", has_text="open at 7 on Sunday?")
    expect(message.locator(".badge-edited")).to_contain_text("Edited")
    earlier = message.locator(".message-previous")
    expect(earlier.locator(".message-previous-list")).to_be_hidden()
    earlier.locator("summary").click()
    expect(earlier.locator(".message-previous-list")).to_contain_text("open at 7 tomorrow?")
    if os.environ.get("CMHUB_SCREENSHOTS"):
        page.screenshot(path=os.environ["CMHUB_SCREENSHOTS"], full_page=False)

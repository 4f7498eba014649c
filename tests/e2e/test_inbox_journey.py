"""The whole journey with real parts: open the inbox, filter, open a conversation, insert a saved reply,
send, and see it `sent`. A real Celery worker process sends it to the X fake, which must see it once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from inbox.models import Message, SavedReply
from networks import tasks
from networks.fakes.x import XFake
from tests.e2e.browser import connect_x_channel, sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def x_fake():
    with XFake() as fake:
        yield fake


def test_filter_open_insert_saved_reply_send_and_see_it_sent(page, live_server, x_fake, send_worker):
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    agent = MembershipFactory(
        workspace=acme, role=Membership.Role.AGENT, user=UserFactory(display_name="Ada")
    ).user
    channel, brand = connect_x_channel(x_fake, acme)
    fan = x_fake.add_user("lea", "Léa")
    mention = x_fake.add_mention(brand, fan, "@acmebakery vous ouvrez à quelle heure dimanche ?")
    tasks.poll_once(channel)  # the production client fetches it, ingestion stores it
    SavedReply.objects.create(
        workspace=acme,
        title="Horaires",
        shortcut="horaires",
        body="Bonjour {{ contact.name }}, le dimanche nous ouvrons à 8h !",
    )

    sign_in(page, agent)

    page.goto("/w/acme/inbox/")
    page.locator(".filter-fold > summary").click()  # the filters fold behind one button
    page.locator("#filter-network").select_option("x")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"network=x"))
    row = page.locator(".conversation-row", has_text="vous ouvrez à quelle heure")
    expect(row).to_be_visible()
    row.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/w/acme/inbox/\d+/\?network=x$"))  # opened beside the list

    page.locator("#saved-reply").select_option(label="Horaires (/horaires)")
    box = page.locator("#reply-text")
    expect(box).to_have_value(re.compile(r"Bonjour Léa, le dimanche nous ouvrons à 8h !"))
    page.locator("#reply-form").get_by_role("button", name="Send", exact=True).click()

    expect(page.locator("#thread")).to_contain_text("nous ouvrons à 8h", timeout=15_000)
    expect(page.locator("#thread .badge-send-sent, #thread .reply-status-sent").first).to_be_visible(
        timeout=45_000
    )

    reply = Message.objects.get(direction="out")
    assert reply.send_status == Message.SendStatus.SENT and reply.external_id
    sent = [t for t in x_fake.tweets_by(brand)]
    assert len(sent) == 1, sent  # exactly once on the network
    assert sent[0]["referenced_tweets"] == [{"type": "replied_to", "id": mention}]
    assert page.problems == [], page.problems

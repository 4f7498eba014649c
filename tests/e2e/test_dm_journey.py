"""Answering direct messages from the inbox in a real browser: an Instagram DM and an X DM, each polled
from its fake by the production client, answered through the composer, sent by a real Celery worker, and
seen once on the network. Instagram's 24-hour window is enforced by its fake."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from inbox.models import Conversation, Message, SavedReply
from networks import tasks
from networks.fakes.graph import GraphFake
from networks.fakes.graph_instagram_inbox import IgDm
from networks.fakes.x import XFake
from tests.e2e.browser import connect_instagram_channel, connect_x_channel, sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fakes():
    with GraphFake() as graph, XFake() as x:
        yield graph, x


def answer(page, conversation: Conversation, text: str) -> None:
    page.goto("/w/acme/inbox/")
    row = page.locator(".conversation-row", has_text=conversation.preview[:30])
    expect(row).to_be_visible()
    row.locator("a").first.click()
    expect(page).to_have_url(re.compile(rf"/w/acme/inbox/{conversation.pk}/"))
    expect(page.locator("#saved-reply")).to_be_visible()  # the full composer loaded itself
    page.locator("#reply-text").fill(text)
    page.locator("#reply-form").get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#thread")).to_contain_text(text, timeout=15_000)
    expect(page.locator("#thread .badge-send-sent, #thread .reply-status-sent").first).to_be_visible(
        timeout=45_000
    )


def test_an_agent_answers_an_instagram_dm_and_an_x_dm_from_the_inbox(page, live_server, fakes, send_worker):
    graph, x = fakes
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    agent = MembershipFactory(
        workspace=acme, role=Membership.Role.AGENT, user=UserFactory(display_name="Ada")
    ).user
    SavedReply.objects.create(workspace=acme, title="Hours", body="8 to 13", shortcut="hours")
    instagram, ig_user = connect_instagram_channel(graph, acme)
    x_channel, brand = connect_x_channel(x, acme)
    dana = {"id": "7125430297466732", "username": "dana.eats"}
    graph.add_ig_message(
        ig_user.id,
        dana,
        "Do you have gluten-free bread today?",
        dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
    )
    lea = x.add_user("lea", "Léa")
    x.add_dm(lea, brand, "My order 1234 has not arrived, can you check?")
    for channel in (instagram, x_channel):
        tasks.poll_once(channel)  # the production clients fetch them, ingestion stores them
    ig_thread = Conversation.objects.get(channel=instagram, kind=Conversation.Kind.DIRECT_MESSAGE)
    x_thread = Conversation.objects.get(channel=x_channel, kind=Conversation.Kind.DIRECT_MESSAGE)

    sign_in(page, agent)
    page.goto(f"/w/acme/inbox/{ig_thread.pk}/")
    expect(page.locator(".composer-window")).to_contain_text("window closes 24 hours after")
    answer(page, ig_thread, "Yes, the buckwheat loaf, until noon!")
    answer(page, x_thread, "Sorry Léa, it ships today; tracking by DM soon.")

    replies = Message.objects.filter(direction="out").order_by("pk")
    assert [r.send_status for r in replies] == [Message.SendStatus.SENT] * 2
    ig_sent = [m for m in graph.objects_of(IgDm) if m.sender["id"] == ig_user.id]
    assert [m.text for m in ig_sent] == ["Yes, the buckwheat loaf, until noon!"]  # exactly once
    assert ig_sent[0].recipient["id"] == dana["id"]
    x_sent = [e for e in x.dm_events if e["sender_id"] == brand]
    assert [e["text"] for e in x_sent] == ["Sorry Léa, it ships today; tracking by DM soon."]
    assert x_sent[0]["dm_conversation_id"] == x_thread.root_external_id
    assert page.problems == [], page.problems

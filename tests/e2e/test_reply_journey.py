"""Replying in a real browser: the composer's JavaScript (counter, /shortcut, Ctrl+Enter), htmx swaps of the
composer and the thread, the stale-thread confirmation, the approval queue, and no CSP violation anywhere."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from inbox.ingest import message_ingest_batch
from inbox.models import InboxPolicy, Message, SavedReply
from networks.providers import base as p
from tests.e2e.browser import sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory, x_mention_conversation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = Message.SendStatus


def test_writing_a_reply_in_the_browser(page, broker):
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    agent = MembershipFactory(
        workspace=acme, role=Membership.Role.AGENT, user=UserFactory(display_name="Ada")
    )
    conversation = x_mention_conversation(acme)
    SavedReply.objects.create(
        workspace=acme, title="Hours", body="Hi {{ contact.name }}, 9 to 5! 🥐", shortcut="hours"
    )
    sign_in(page, agent.user)
    page.goto(f"/w/acme/inbox/{conversation.pk}/")
    box = page.locator("#reply-text")
    expect(page.locator("#saved-reply")).to_be_visible()  # the full composer loaded itself

    box.click()
    box.type("Hello /hou")
    expect(page.locator("#shortcut-hint")).to_contain_text("/hours → Hours")
    box.press("Tab")
    expect(box).to_have_value("Hello Hi Léa, 9 to 5! 🥐")
    expect(page.locator("#reply-count")).to_contain_text("24 / 280")  # the croissant counts 2 on X
    box.fill("Yes, open: https://example.com/" + "x" * 300)
    expect(page.locator("#reply-count")).to_contain_text("34 / 280")  # a link counts 23, however long
    with page.expect_response(re.compile(r"/reply/send/$")):
        box.press("Control+Enter")

    expect(page.locator("#messages")).to_contain_text("Reply on its way")
    expect(page.locator("#thread")).to_contain_text("Yes, open")  # the thread reloaded itself
    expect(box).to_have_value("")
    reply = Message.objects.get(direction="out")
    assert reply.send_status == S.QUEUED and broker.ids("inbox.send_reply") == [reply.pk]
    assert page.problems == [], page.problems  # no console error, no CSP violation


def test_a_stale_thread_and_the_approval_queue_in_the_browser(page, broker):
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    agent = MembershipFactory(
        workspace=acme, role=Membership.Role.AGENT, user=UserFactory(display_name="Ada")
    )
    manager = MembershipFactory(
        workspace=acme, role=Membership.Role.MANAGER, user=UserFactory(display_name="Max")
    )
    InboxPolicy.objects.create(workspace=acme, agent_replies_need_approval=True)
    conversation = x_mention_conversation(acme)
    sign_in(page, agent.user)
    page.goto(f"/w/acme/inbox/{conversation.pk}/")
    expect(page.locator(".composer-approval")).to_be_visible()
    page.locator("#reply-text").fill("Yes, 8 to 12.")
    later = p.EngagementItem(
        network=p.Network.X,
        external_id="101",
        kind=p.ItemKind.MENTION,
        text="@acme and Monday?",
        created_at=dt.datetime.now(dt.UTC),
        author=p.Author("9", handle="lea", name="Léa"),
        thread_root_external_id="100",
    )
    message_ingest_batch(channel=conversation.channel, items=[later])

    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator(".composer-stale")).to_contain_text("A new message arrived")
    expect(page.locator("#thread")).to_contain_text("and Monday?")
    page.get_by_role("button", name="Send anyway").click()
    expect(page.locator("#thread")).to_contain_text("Waiting for a manager")
    assert page.problems == [], page.problems

    page.context.clear_cookies()
    sign_in(page, manager.user)
    page.goto("/w/acme/inbox/approvals/")
    page.get_by_text("Edit, then approve").click()
    page.locator("textarea[name=text]").fill("Yes, 8 to 12, Monday too.")
    expect(page.locator(".approval .composer-count")).to_contain_text("25 / 280")
    page.get_by_role("button", name="Save and approve").click()
    expect(page.locator("#approval-list")).to_contain_text("Nothing waiting for approval.")
    reply = Message.objects.get(direction="out")
    assert (reply.text, reply.send_status, reply.approved_by) == (
        "Yes, 8 to 12, Monday too.",
        S.QUEUED,
        manager.user,
    )
    assert page.problems == [], page.problems

"""YouTube in Chromium: connect a channel through Google's consent page on the fake, a comment held for
review arrives hidden and is approved from the inbox ("Approve", YouTube's word), another comment is answered
once (the fake sees exactly one comments.insert), and the health page shows the day's quota. No console error
or CSP violation anywhere."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from inbox.models import Message, ModerationAction
from inbox.moderation import moderation_process
from inbox.replies.dispatch import reply_process
from networks import tasks
from networks.fakes.youtube import YouTubeFake
from networks.models import Channel, PollRun
from tests.e2e.browser import sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from tests.networks.connecting import wire_app

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BRAND = "UCacmeBakeryAAAAAAAAAAAA"
LEA = "UCleaAAAAAAAAAAAAAAAAAAA"
RYAN = "UCryanAAAAAAAAAAAAAAAAAA"


@pytest.fixture
def youtube():
    with YouTubeFake(account_email="acme@example.com") as fake:
        fake.add_channel(BRAND, "Acme Bakery", handle="acmebakery")
        fake.add_video("vidAcme0001", BRAND, "Our sourdough")
        wire_app("youtube", fake, client_id=fake.google_client_id, client_secret=fake.google_client_secret)
        yield fake


def test_approve_a_held_comment_and_answer_another_once(page, broker, youtube):
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    admin = MembershipFactory(workspace=acme, role=Membership.Role.ADMIN, user=UserFactory()).user
    sign_in(page, admin)
    page.goto("/w/acme/settings/channels/")
    page.get_by_role("button", name="Connect YouTube").click()
    page.get_by_role("button", name="Allow").click()  # Google's consent page (the fake's)
    expect(page.get_by_role("heading", name="Connect YouTube accounts")).to_be_visible()
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("Connected: Acme Bakery")
    channel = Channel.objects.get(network="youtube")
    assert channel.external_id == BRAND and channel.credentials["refresh_token"]

    held = youtube.add_comment(
        "vidAcme0001", LEA, "Le pain est-il bio ?", author_name="@lea", status="heldForReview"
    )
    youtube.add_comment("vidAcme0001", RYAN, "Do you ship to Lyon?", author_name="@ryan")
    assert tasks.poll_once(channel).outcome == PollRun.Outcome.OK

    page.goto("/w/acme/inbox/")
    page.locator(".conversation-row", has_text="Le pain est-il bio").locator("a").first.click()
    item = page.locator("#thread .message-item", has_text="Le pain est-il bio")
    expect(item.locator(".badge-hidden")).to_have_text("Held for review")
    with page.expect_response(re.compile(r"/moderate/$")):
        item.get_by_role("button", name="Approve").click()
    row = ModerationAction.objects.get()
    assert broker.ids("inbox.moderate") == [row.pk]  # queued once, for the worker
    moderation_process(row.pk)  # what the worker does
    expect(item.get_by_role("button", name="Hold for review")).to_be_visible(timeout=30_000)
    expect(item.locator(".badge-hidden")).to_have_count(0)
    assert youtube.comments[held]["moderationStatus"] == "published"
    assert len(youtube.moderations) == 1

    page.goto("/w/acme/inbox/")
    page.locator(".conversation-row", has_text="Do you ship to Lyon").locator("a").first.click()
    box = page.locator("#reply-text[hx-post]")
    expect(box).to_be_visible()
    box.fill("Yes, every Tuesday!")
    with page.expect_response(re.compile(r"/reply/send/$")):
        box.press("Control+Enter")
    expect(page.locator("#messages")).to_contain_text("Reply on its way")
    reply = Message.objects.get(direction=Message.Direction.OUT)
    reply_process(reply.pk)
    reply_process(reply.pk)  # a duplicate delivery of the task writes nothing more
    assert len(youtube.inserts) == 1 and youtube.inserts[0]["textOriginal"] == "Yes, every Tuesday!"
    reply.refresh_from_db()
    assert reply.send_status == Message.SendStatus.SENT and reply.external_id == youtube.inserts[0]["id"]

    page.goto("/w/acme/channels/")
    quota = page.locator("#quota-youtube")
    expect(quota).to_contain_text("YouTube daily quota")
    expect(quota).to_contain_text("units spent today")
    expect(quota).to_contain_text("midnight, Pacific time")
    assert page.problems == [], page.problems

"""Bluesky in Chromium: connect with an app password through the fake, a reply arrives in the inbox, the
answer is written once on the network (under its reply), and no console error or CSP violation anywhere."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from inbox.models import Message
from inbox.replies.dispatch import reply_process
from networks import tasks
from networks.fakes.bluesky import BlueskyFake
from networks.models import Channel, PollRun
from tests.e2e.browser import sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from tests.networks.connecting import wire_app

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BRAND = "did:plc:q6gjnaw2blty4crticxkmujt"
LEA = "did:plc:eygmaihciaxprqvxpfvl6flk"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"  # the fake's


@pytest.fixture
def bluesky():
    with BlueskyFake() as fake:
        fake.add_account(BRAND, "acme-bakery.bsky.social", display_name="Acme Bakery", password=APP_PASSWORD)
        fake.add_account(LEA, "lea.bsky.social", display_name="Léa")
        wire_app("bluesky", fake, client_id="")  # app passwords need no app: only where to sign in
        yield fake


def test_connect_bluesky_with_an_app_password_and_answer_a_reply_once(page, broker, bluesky):
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    admin = MembershipFactory(workspace=acme, role=Membership.Role.ADMIN, user=UserFactory()).user
    sign_in(page, admin)
    page.goto("/w/acme/settings/channels/")
    page.get_by_role("button", name="Connect Bluesky").click()

    expect(page.get_by_role("heading", name="Connect Bluesky")).to_be_visible()
    page.get_by_label("Handle").fill("acme-bakery.bsky.social")
    # (A refused password answers 400 with the form again, which Chromium logs as a console error:
    # tests/networks/test_connect_password.py covers it.)
    page.get_by_label("App password").fill(APP_PASSWORD)
    page.get_by_role("button", name="Sign in and continue").click()

    expect(page.get_by_role("heading", name="Connect Bluesky accounts")).to_be_visible()
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("Connected: Acme Bakery")
    channel = Channel.objects.get(network="bluesky")
    assert (channel.external_id, channel.api_base_url) == (BRAND, bluesky.base_url)  # the DID doc's PDS

    ours = bluesky.add_post(BRAND, "Rye is back this week")
    question = bluesky.add_reply(LEA, ours["uri"], "Until when? 🥖", langs=["en"])
    assert tasks.poll_once(channel).outcome == PollRun.Outcome.OK
    page.goto("/w/acme/inbox/")
    page.get_by_text("Until when? 🥖").first.click()
    box = page.locator("#reply-text[hx-post]")  # the full composer, once it has loaded itself
    expect(box).to_be_visible()
    box.fill("Until Sunday, see https://acme.example/rye")
    with page.expect_response(re.compile(r"/reply/send/$")):
        box.press("Control+Enter")
    expect(page.locator("#messages")).to_contain_text("Reply on its way")

    reply = Message.objects.get(direction=Message.Direction.OUT)
    assert broker.ids("inbox.send_reply") == [reply.pk]
    reply_process(reply.pk)  # what the worker does with the queued reply
    reply_process(reply.pk)  # and a duplicate delivery of the task: nothing more is written
    written = [p for p in bluesky.posts.values() if p["did"] == BRAND and p["record"].get("reply")]
    assert len(written) == 1
    record = written[0]["record"]
    assert record["reply"]["parent"]["uri"] == question["uri"]
    assert record["reply"]["root"]["uri"] == ours["uri"]
    [link] = record["facets"]
    assert record["text"].encode()[link["index"]["byteStart"] : link["index"]["byteEnd"]] == (
        b"https://acme.example/rye"
    )
    reply.refresh_from_db()
    assert reply.send_status == Message.SendStatus.SENT and reply.external_id == written[0]["uri"]
    assert page.problems == [], page.problems

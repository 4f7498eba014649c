"""Google Business Profile in Chromium: connect one shop of a chain through Google's consent page (the fake's)
and the choice of locations, a 1-star review arrives with its stars, is answered once (the fake saw one
PUT), the answer is replaced by a second one (one more PUT, the same reply on Google), and the reviewer's
edit shows as an edit; no console error or CSP violation anywhere."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from inbox.models import Message
from inbox.replies.dispatch import reply_process
from networks import tasks
from networks.fakes.google_business import GoogleBusinessFake
from networks.models import Channel, PollRun
from networks.providers.google_business import review_reply_id
from tests.e2e.browser import sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from tests.networks.connecting import wire_app

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOP = "accounts/501/locations/7001"


@pytest.fixture
def google():
    with GoogleBusinessFake(account_email="camille@garage-martin.example") as fake:
        fake.add_account("501", "Garage Martin")
        fake.add_location("501", "7001", "Garage Martin - Nantes")
        fake.add_location("501", "7002", "Garage Martin - Rezé")
        wire_app(
            "google_business", fake, client_id=fake.google_client_id, client_secret=fake.google_client_secret
        )
        yield fake


def send(page, text: str) -> Message:
    box = page.locator("#reply-text[hx-post]")  # the full composer, once it has loaded itself
    expect(box).to_be_visible()
    box.fill(text)
    with page.expect_response(re.compile(r"/reply/send/$")):
        box.press("Control+Enter")
    expect(page.locator("#messages")).to_contain_text("Reply on its way")
    reply = Message.objects.filter(direction=Message.Direction.OUT).order_by("-pk").first()
    assert reply is not None
    reply_process(reply.pk)  # what the worker does with the queued reply
    reply_process(reply.pk)  # and a duplicate delivery of the task: nothing more is written
    reply.refresh_from_db()
    return reply


def test_connect_a_shop_and_answer_its_one_star_review_then_replace_the_answer(page, broker, google):
    acme = WorkspaceFactory(name="Garage Martin", slug="acme")
    admin = MembershipFactory(workspace=acme, role=Membership.Role.ADMIN, user=UserFactory()).user
    sign_in(page, admin)
    page.goto("/w/acme/settings/channels/")
    page.get_by_role("button", name="Connect Google Business Profile").click()

    expect(page).to_have_url(re.compile(re.escape(f"{google.base_url}/o/oauth2/v2/auth?")))
    expect(page.get_by_text("Signed in as camille@garage-martin.example")).to_be_visible()
    page.get_by_role("button", name="Allow").click()

    expect(page.get_by_role("heading", name="Connect Google Business Profile accounts")).to_be_visible()
    page.get_by_label("Google Business Profile Garage Martin - Rezé").uncheck()  # one shop, one channel
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("Connected: Garage Martin - Nantes")
    channel = Channel.objects.get(network="google_business")
    assert channel.external_id == SHOP and channel.credentials["refresh_token"]

    # (No picture the browser would fetch from Google: the test runs offline.)
    review = google.add_review(
        SHOP,
        stars=1,
        comment="Vidange bâclée, fuite d'huile le lendemain.",
        reviewer="Paul",
        photo="",
    )
    assert tasks.poll_once(channel).outcome == PollRun.Outcome.OK
    page.goto("/w/acme/inbox/")
    page.get_by_text("Vidange bâclée").first.click()
    expect(page.locator(".message-item").get_by_text("1 out of 5 stars").first).to_be_attached()

    first = send(page, "Bonjour Paul, désolés : passez au garage, nous reprenons la vidange.")
    assert first.send_status == Message.SendStatus.SENT and first.external_id == review_reply_id(review)
    assert [put["comment"] for put in google.replies_to(review)] == [first.text]

    page.reload()
    expect(page.get_by_text("Your answer replaces the current one")).to_be_visible()
    second = send(page, "Bonjour Paul, c'est réglé avec vous au téléphone. Merci de votre patience.")
    assert second.send_status == Message.SendStatus.SENT
    assert [put["comment"] for put in google.replies_to(review)] == [first.text, second.text]  # one more PUT
    assert google.reviews[review]["reviewReply"]["comment"] == second.text  # the one reply on Google

    google.edit_review(review, comment="Problème réglé rapidement, merci au garage.", stars=4)
    channel.refresh_from_db()
    assert tasks.poll_once(channel).outcome == PollRun.Outcome.OK
    page.reload()
    edited = page.locator(".message-item", has_text="Problème réglé rapidement")
    expect(edited.locator(".badge-edited")).to_be_visible()
    edited.get_by_text("Earlier version").click()
    expect(edited.get_by_text("Vidange bâclée")).to_be_visible()
    assert Message.objects.filter(channel=channel, direction=Message.Direction.IN).count() == 1
    assert page.problems == [], page.problems

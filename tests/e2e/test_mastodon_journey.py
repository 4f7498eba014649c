"""Mastodon in Chromium, against the fake instance on a local port: an admin connects the brand's account by
typing its server (CM Hub registers its app there, then the instance's consent page), answers a mention
with a content warning in the inbox, and a post is written, approved, scheduled and published once."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Membership
from inbox.models import Message
from inbox.replies.sending import reply_send
from networks import tasks
from networks.fakes.mastodon import MastodonFake
from networks.models import Channel, PollRun, ServerApp
from networks.providers.mastodon_auth import qualified_id
from posts.models import Post, PostTarget
from posts.services import targets_dispatch_due
from posts.services.publishing import target_process
from tests.e2e.browser import sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from tests.posts.test_publish import make_due

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fake():
    with MastodonFake(domain="mastodon.example") as server:
        yield server


def test_connect_answer_a_mention_and_publish_on_mastodon(page, new_page, fake, broker):
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme", timezone="Europe/Paris")
    admin = MembershipFactory(workspace=acme, role=Membership.Role.ADMIN, user=UserFactory()).user
    manager = MembershipFactory(workspace=acme, role=Membership.Role.MANAGER, user=UserFactory()).user
    brand = fake.add_account("acmebakery", "Acme Bakery")
    lea = fake.add_account("lea", "Léa", domain="piaille.example")
    fake.consent_account_id = brand

    # Connect: the admin types the server; CM Hub registers its app there and goes to its consent page.
    sign_in(page, admin)
    page.goto("/w/acme/settings/channels/")
    page.get_by_label("Your server").fill(fake.base_url)
    page.get_by_role("button", name="Connect Mastodon").click()
    expect(page).to_have_url(re.compile(re.escape(f"{fake.base_url}/oauth/authorize?")))
    expect(page.get_by_text("Signed in as @acmebakery")).to_be_visible()
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_label(re.compile("Acme Bakery"))).to_be_checked()
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("Connected: Acme Bakery")
    channel = Channel.objects.get(network="mastodon", external_id=qualified_id(brand, fake.base_url))
    assert channel.api_base_url == fake.base_url and channel.server_limits["max_characters"] == 500
    assert ServerApp.objects.filter(server_url=fake.base_url).count() == 1
    assert page.problems == [], page.problems

    # A mention behind a content warning arrives; the inbox shows it as such, and the answer goes out once.
    mention = fake.add_mention(brand, lea, "Le pain était <b>rassis</b>…", spoiler_text="avis négatif")
    assert tasks.poll_once(channel).outcome == PollRun.Outcome.OK
    message = Message.objects.get(channel=channel, external_id=mention)
    page.goto(f"/w/acme/inbox/{message.conversation_id}/")
    thread = page.locator("#thread")
    expect(thread).to_contain_text("CW: avis négatif")
    expect(thread).to_contain_text("Le pain était <b>rassis</b>…")  # the words, never markup
    box = page.locator("#reply-text[hx-post]")  # the full composer, once it has loaded itself
    expect(box).to_be_visible()
    box.fill("Désolés ! Passez demain, on vous offre un croissant. https://acme.example/" + "x" * 80)
    expect(page.locator("#reply-count")).to_contain_text("/ 500")  # the instance's limit, a link as 23
    with page.expect_response(re.compile(r"/reply/send/$")):
        box.press("Control+Enter")
    expect(page.locator("#messages")).to_contain_text("Reply on its way")
    reply = Message.objects.get(channel=channel, direction="out")
    reply_send(reply.pk)  # what the send worker does with the queued reply
    reply_send(reply.pk)  # and a second delivery of the same task changes nothing
    ours = [s for s in fake.statuses.values() if s["account"]["id"] == brand]
    assert len(ours) == 1 and ours[0]["in_reply_to_id"] == mention
    assert ours[0]["_text"].startswith("@lea@piaille.example Désolés !")
    reply.refresh_from_db()
    assert reply.send_status == Message.SendStatus.SENT and reply.external_id == ours[0]["id"]
    assert page.problems == [], page.problems

    # A post: the admin writes it, a manager approves and schedules it, the publisher posts it once.
    page.goto("/w/acme/posts/new/")
    page.get_by_role("checkbox", name=re.compile("Acme Bakery")).check()
    page.get_by_label("Text (for every channel)").fill("Galette des rois tous les jours de janvier 👑")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#messages")).to_contain_text("Draft saved.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#messages")).to_contain_text("Sent for review.")
    post = Post.objects.get(workspace=acme)
    manager_page = new_page()
    sign_in(manager_page, manager)
    manager_page.goto(f"/w/acme/posts/{post.pk}/")
    manager_page.get_by_role("button", name="Approve").click()
    expect(manager_page.locator("#messages")).to_contain_text("Approved.")
    soon = timezone.localtime(timezone.now() + dt.timedelta(minutes=3), zoneinfo.ZoneInfo("Europe/Paris"))
    manager_page.get_by_label("Date", exact=True).fill(soon.date().isoformat())
    manager_page.get_by_label("Time", exact=True).fill(soon.strftime("%H:%M"))
    manager_page.get_by_role("button", name="Schedule", exact=True).click()
    expect(manager_page.locator("#messages")).to_contain_text("Scheduled.")
    make_due(post)
    (target_id,) = targets_dispatch_due()
    target_process(target_id)
    target = PostTarget.objects.get(pk=target_id)
    published = [s for s in fake.statuses.values() if s["_text"].startswith("Galette des rois")]
    assert len(published) == 1 and target.external_id == published[0]["id"]
    manager_page.reload()
    row = manager_page.locator(".post-target", has_text="Acme Bakery")
    expect(row.locator(".badge")).to_have_text("Published")
    expect(row.get_by_role("link", name="View it online")).to_have_attribute("href", published[0]["url"])
    assert manager_page.problems == [], manager_page.problems

"""Reviews in Chromium (issue 18): the inbox filtered to 1-star reviews, the stars seen (and said to screen
readers), an answer sent once, then a second answer that replaces it on the network, the first kept in the
thread as replaced; no console error or CSP violation anywhere.

On the stand-in review network (tests/review_network.py): Google Business Profile's own journey covers
that network; this one covers what the product does with any review."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from inbox.models import Conversation, Message
from inbox.replies.dispatch import reply_process
from networks import services, tasks
from networks.providers import base as p
from tests.e2e.browser import sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from tests.review_network import ReviewFake, reply_id, use_review_provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reviews(monkeypatch):
    use_review_provider(monkeypatch)
    with ReviewFake() as fake:
        fake.add_review("angry", "Voiture rendue sale, trois jours de retard.", 1)
        fake.add_review("happy", "Super garage, équipe au top !", 5)
        yield fake


def send(page, text: str) -> None:
    box = page.locator("#reply-text[hx-post]")  # the full composer, once it has loaded itself
    expect(box).to_be_visible()
    box.fill(text)
    with page.expect_response(re.compile(r"/reply/send/$")):
        page.locator("#reply-form").get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("Reply on its way")


def test_filter_one_star_reviews_see_the_stars_answer_then_answer_again_to_replace(page, broker, reviews):
    acme = WorkspaceFactory(name="Garage Martin", slug="acme")
    agent = MembershipFactory(workspace=acme, role=Membership.Role.AGENT, user=UserFactory()).user
    channel = services.channel_connect(
        workspace=acme,
        network="facebook",
        external_id="LOC9",
        name="Garage Martin",
        api_base_url=reviews.base_url,
        credentials=p.Credentials(access_token="token"),
        by=None,
    )
    tasks.poll_once(channel)
    assert Conversation.objects.filter(kind="review").count() == 2
    sign_in(page, agent)

    page.goto("/w/acme/inbox/")
    page.locator(".filter-fold > summary").click()
    page.locator("#filter-rating").select_option("1")  # the filter bar answers a change at once
    expect(page).to_have_url(re.compile(r"rating=1"))
    rows = page.locator(".conversation-row")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_contain_text("Voiture rendue sale")
    expect(row.locator(".stars [aria-hidden=true]")).to_have_text("★☆☆☆☆")
    expect(row.locator(".stars .visually-hidden")).to_have_text("1 out of 5 stars")

    row.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/w/acme/inbox/\d+/\?rating=1"))
    expect(page.locator("#conversation-header")).to_contain_text("1 out of 5 stars")
    expect(page.locator("#reply-replaces")).to_have_count(0)  # nothing to replace yet
    send(page, "Nous sommes désolés. Pouvez-vous nous appeler ?")
    first = Message.objects.get(direction="out")
    reply_process(first.pk)  # what the worker does with the queued reply
    reply_process(first.pk)  # and a duplicate delivery: nothing more is written
    assert reviews.reply_of("angry") == "Nous sommes désolés. Pouvez-vous nous appeler ?"

    page.reload()
    expect(page.locator("#reply-replaces")).to_contain_text("Your answer replaces the current one")
    expect(page.locator("#reply-replaces")).to_contain_text("Pouvez-vous nous appeler")
    send(page, "Nous sommes désolés : écrivez-nous à contact@garage.example.")
    second = Message.objects.get(direction="out", replaced_at__isnull=True, send_status="queued")
    reply_process(second.pk)

    page.reload()
    replaced = page.locator(f"#message-{first.pk}")
    expect(replaced).to_have_class(re.compile(r"is-replaced"))
    expect(replaced).to_contain_text("Replaced on")
    expect(page.locator(f"#message-{second.pk}")).not_to_have_class(re.compile(r"is-replaced"))
    assert reviews.reply_of("angry") == "Nous sommes désolés : écrivez-nous à contact@garage.example."
    assert [r.json()["comment"] for r in reviews.writes()] == [
        "Nous sommes désolés. Pouvez-vous nous appeler ?",
        "Nous sommes désolés : écrivez-nous à contact@garage.example.",
    ]
    second.refresh_from_db()
    assert second.external_id == reply_id(reviews.reviews["angry"]["name"])
    assert page.problems == [], page.problems

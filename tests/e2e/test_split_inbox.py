"""The split inbox in Chromium: a row opens its conversation beside the list without a page load, the
address bar follows (back and forward work, a deep link renders the same), a reply sent through a real
Celery worker to the X fake takes the conversation out of the Open queue, the bulk bar shows only when
something is ticked, and on a phone the list comes first with the filters folded behind one button."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from inbox.models import Conversation
from networks import tasks
from networks.fakes.x import XFake
from tests.celery_workers import start_worker, stop_worker
from tests.e2e.browser import connect_x_channel, sign_in
from tests.factories import PASSWORD, MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def x_fake():
    with XFake() as fake:
        yield fake


@pytest.fixture
def send_worker():
    process = start_worker("send")
    yield process
    stop_worker(process)


def _acme_with_two_mentions(x_fake, language: str = "en"):
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    agent = MembershipFactory(
        workspace=acme, role=Membership.Role.AGENT, user=UserFactory(display_name="Ada", language=language)
    ).user
    channel, brand = connect_x_channel(x_fake, acme)
    x_fake.add_mention(brand, x_fake.add_user("lea", "Léa"), "@acmebakery open on Sunday?")
    x_fake.add_mention(brand, x_fake.add_user("tom", "Tom"), "@acmebakery any vegan croissants?")
    tasks.poll_once(channel)
    return agent


def _row(page, text):
    return page.locator("#conversation-rows .conversation-row", has_text=text)


@pytest.mark.worker
def test_open_reply_and_see_it_leave_the_queue_in_the_split_inbox(page, x_fake, send_worker):
    agent = _acme_with_two_mentions(x_fake)
    sign_in(page, agent)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/w/acme/inbox/")
    expect(page.locator(".pane-empty")).to_be_visible()
    expect(page.locator("#bulk-form")).to_be_hidden()  # nothing ticked: no bulk bar
    page.locator("#conversation-rows .row-check").first.check()
    expect(page.locator("#bulk-form")).to_be_visible()
    page.locator("#conversation-rows .row-check").first.uncheck()
    expect(page.locator("#bulk-form")).to_be_hidden()

    page.evaluate("window.__sameDocument = true")  # gone if the browser loads a new page
    _row(page, "open on Sunday").locator(".row-link").click()
    sunday = Conversation.objects.get(preview__contains="open on Sunday")
    expect(page).to_have_url(re.compile(rf"/w/acme/inbox/{sunday.pk}/$"))
    expect(page.locator("#thread")).to_contain_text("open on Sunday?")
    expect(page.locator("#contact-card")).to_contain_text("Léa")
    expect(_row(page, "vegan croissants")).to_be_visible()  # the list stays beside it
    assert page.evaluate("window.__sameDocument") is True
    expect(page).to_have_title(re.compile(r"^Léa · Inbox"))

    expect(page.locator("#reply-count")).to_contain_text("/ 280")  # the full composer loaded itself
    page.locator("#reply-text").fill("Yes, 8 to 12!")
    page.locator("#reply-form").get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#thread .badge-send-sent").first).to_be_visible(timeout=45_000)
    # Answered: it waits for the customer now, so the Open list drops it at its next live update.
    expect(_row(page, "open on Sunday")).to_have_count(0, timeout=20_000)
    assert Conversation.objects.get(pk=sunday.pk).status == Conversation.Status.PENDING
    expect(page.locator(".inbox-views")).to_contain_text("Everyone's 1")

    # The keyboard: j selects the first row, Enter opens it in the pane, u closes the pane.
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page.locator("#thread")).to_contain_text("vegan croissants")
    vegan = Conversation.objects.get(preview__contains="vegan")
    expect(page).to_have_url(re.compile(rf"/w/acme/inbox/{vegan.pk}/$"))

    page.go_back()  # back to the answered conversation, then to the list alone
    expect(page).to_have_url(re.compile(rf"/w/acme/inbox/{sunday.pk}/$"))
    expect(page.locator("#thread")).to_contain_text("Yes, 8 to 12!")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/w/acme/inbox/$"))
    expect(page.locator(".pane-empty")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True

    page.goto(f"/w/acme/inbox/{vegan.pk}/")  # a deep link renders the split view by itself
    expect(page.locator("#thread")).to_contain_text("vegan croissants")
    expect(_row(page, "vegan croissants").locator(".row-link")).to_have_attribute("aria-current", "true")
    assert page.problems == [], page.problems


@pytest.mark.worker
def test_the_split_inbox_in_french(new_page, x_fake, send_worker):
    agent = _acme_with_two_mentions(x_fake, language="fr")
    page = new_page(locale="fr-FR")
    page.goto("/accounts/login/")  # the French sign-in form
    page.get_by_label("E-mail").fill(agent.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto("/w/acme/inbox/")
    expect(page.locator(".pane-empty")).to_contain_text("Choisissez une conversation")
    _row(page, "vegan croissants").locator(".row-link").click()
    expect(page.locator("#thread")).to_contain_text("vegan croissants")
    expect(page.locator("#reply-count")).to_contain_text("/ 280")  # the full composer loaded itself
    page.locator("#reply-text").fill("Oui, le samedi.")
    page.locator("#reply-form").get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.locator("#thread .badge-send-sent").first).to_be_visible(timeout=45_000)
    expect(_row(page, "vegan croissants")).to_have_count(0, timeout=20_000)
    expect(page.locator(".inbox-views")).to_contain_text("Toutes 1")
    expect(page.locator(".filter-fold > summary")).to_have_text("Filtres")
    assert page.problems == [], page.problems


def test_on_a_phone_the_list_comes_first_and_the_filters_fold(new_page, x_fake):
    agent = _acme_with_two_mentions(x_fake)
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, agent)
    page.goto("/w/acme/inbox/")
    expect(page.locator("#filter-status")).to_be_hidden()  # behind the one Filters button
    first = page.locator("#conversation-rows .conversation-row").first
    expect(first).to_be_in_viewport()  # a conversation on the first screen
    assert first.bounding_box()["y"] + 40 < 844
    expect(page.locator("#conversation-pane")).to_be_hidden()

    page.locator(".filter-fold > summary").click()
    expect(page.locator("#filter-status")).to_be_visible()
    page.locator(".filter-fold > summary").click()

    _row(page, "open on Sunday").locator(".row-link").click()
    expect(page.locator("#thread")).to_be_visible()
    expect(page.locator(".inbox-list-column")).to_be_hidden()  # one column: the conversation alone
    page.locator("[data-close-pane]").click()
    expect(page.locator(".inbox-list-column")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/w/acme/inbox/$"))
    assert page.problems == [], page.problems


def test_a_filtered_list_arriving_after_a_conversation_opened_keeps_it_in_the_address_bar(page, x_fake):
    """The filters answer late (held here): the pane shows a conversation by then, so the address bar must
    go on naming it, with the new filters, instead of falling back to the bare list."""
    agent = _acme_with_two_mentions(x_fake)
    sign_in(page, agent)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/w/acme/inbox/")
    held = []
    page.route(re.compile(r"/w/acme/inbox/\?network=x"), lambda route: held.append(route))
    page.locator(".filter-fold > summary").click()
    page.locator("#filter-network").select_option("x")  # a change sends the filtered list at once
    page.wait_for_function("document.querySelector('#inbox-filters').classList.contains('htmx-request')")
    _row(page, "open on Sunday").locator(".row-link").click()
    sunday = Conversation.objects.get(preview__contains="open on Sunday")
    expect(page).to_have_url(re.compile(rf"/w/acme/inbox/{sunday.pk}/$"))
    expect(page.locator("#thread")).to_contain_text("open on Sunday?")
    assert held, "the filtered list was not requested"
    for route in held:
        route.continue_()
    expect(page.locator("#inbox-filters")).not_to_have_class(re.compile(r"htmx-request"))
    expect(page).to_have_url(re.compile(rf"/w/acme/inbox/{sunday.pk}/\?network=x$"))
    expect(page.locator("#thread")).to_contain_text("open on Sunday?")
    assert page.problems == [], page.problems

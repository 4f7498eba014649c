"""The design system in a real browser: primary, secondary and danger buttons look different (no rule
outranks the kind a template asks for), and destructive actions ask first, on plain and htmx forms alike:
dismissing changes nothing, accepting does it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from networks.models import Channel
from posts import services as post_services
from posts.models import Post
from tests.e2e.browser import sign_in, sign_in_french
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STYLE = "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.color, s.borderColor]; }"


@pytest.fixture
def acme(db):
    return WorkspaceFactory(name="Acme Bakery", slug="acme")


def _post(acme) -> tuple[Post, object]:
    manager = MembershipFactory(workspace=acme, role=Membership.Role.MANAGER).user
    channel = Channel.objects.create(
        workspace=acme, network="x", external_id="1", name="Acme on X", api_base_url="http://127.0.0.1:9"
    )
    post = post_services.post_create(
        author=manager.memberships.get(), text="Fresh croissants", channels=[channel]
    )
    return post, manager


def _click_and_dismiss(page, button) -> str:
    """Clicks and says no to the question it asks; returns the question."""
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    button.click()
    assert asked, "the button asked nothing"
    return asked[0]


def test_primary_secondary_and_danger_buttons_look_different(page, acme):
    post, manager = _post(acme)
    sign_in(page, manager)
    page.goto(f"/w/acme/posts/{post.pk}/")
    primary = page.get_by_role("button", name="Submit for review").evaluate(STYLE)
    secondary = page.get_by_role("button", name="Duplicate").evaluate(STYLE)
    danger = page.get_by_role("button", name="Cancel this post").evaluate(STYLE)
    link_style = page.get_by_role("link", name="Edit").evaluate(STYLE)  # a link drawn as a secondary button

    assert primary[0] == "rgb(31, 95, 191)" and primary[1] == "rgb(255, 255, 255)"  # solid accent
    assert secondary[0] == "rgb(255, 255, 255)" and secondary[1] == "rgb(31, 95, 191)"  # outlined
    assert danger[1] == "rgb(179, 38, 30)" and danger[2] == "rgb(179, 38, 30)"  # red words, red outline
    assert len({tuple(primary), tuple(secondary), tuple(danger)}) == 3
    assert link_style == secondary
    page.goto("/w/acme/posts/")
    assert page.get_by_role("link", name="New post").evaluate(STYLE) == primary  # a link drawn as primary


def test_cancelling_a_post_asks_first(page, acme):
    post, manager = _post(acme)
    sign_in(page, manager)
    page.goto(f"/w/acme/posts/{post.pk}/")
    button = page.get_by_role("button", name="Cancel this post")
    asked = _click_and_dismiss(page, button)
    expect(button).to_be_visible()
    assert asked == "Cancel this post? It will not be published on any channel."
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT  # dismissed: nothing happened

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel this post").click()
    expect(page.locator("#messages")).to_contain_text("Cancelled.")
    post.refresh_from_db()
    assert post.status == Post.Status.CANCELLED


def test_removing_a_member_asks_first_on_the_htmx_form_in_french(new_page, acme):
    owner = MembershipFactory(
        workspace=acme, role=Membership.Role.ADMIN, user=UserFactory(language="fr")
    ).user
    MembershipFactory(workspace=acme, role=Membership.Role.AGENT, user=UserFactory(display_name="Zoé Martin"))
    page = new_page(locale="fr-FR")
    sign_in_french(page, owner)
    page.goto("/w/acme/settings/members/")
    row = page.locator("#member-list tr", has_text="Zoé Martin")
    asked = _click_and_dismiss(page, row.get_by_role("button", name="Retirer"))
    assert asked.startswith("Retirer Zoé Martin")
    expect(row).to_be_visible()
    assert Membership.objects.filter(workspace=acme, user__display_name="Zoé Martin").exists()

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Retirer").click()
    expect(page.locator("#member-list")).not_to_contain_text("Zoé Martin")
    assert not Membership.objects.filter(workspace=acme, user__display_name="Zoé Martin").exists()

"""Threads in Chromium: connect through the fake's consent page, a reply arrives in the inbox and is answered
once (the fake saw one publish), another is hidden from the conversation page, and a post with an image is
published once after a manager approved it (Threads fetched the image from CM Hub's signed address). No
console error or CSP violation anywhere."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Membership
from inbox import moderation
from inbox.models import Message, ModerationAction
from inbox.replies.dispatch import reply_process
from networks import tasks
from networks.fakes.threads import ThreadsFake
from networks.models import Channel, NetworkApp, PollRun
from posts import services
from posts.models import Post
from tests.e2e.browser import sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from tests.posts.test_publish import make_due

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def threads():
    with ThreadsFake() as fake:
        NetworkApp.objects.create(
            network="threads",
            client_id=fake.client_id,
            client_secret=fake.client_secret,
            api_base_url=fake.base_url,
            oauth_base_url=fake.base_url,
        )
        yield fake


def _photo(path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (1080, 1350), "#c8902c").save(path, "JPEG", quality=85)
    return path


def test_connect_answer_hide_and_publish_on_threads(
    page, new_page, broker, threads, live_server, settings, tmp_path
):
    settings.SITE_URL = live_server.url  # where Threads fetches the post's image from
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    admin = MembershipFactory(
        workspace=acme, role=Membership.Role.ADMIN, user=UserFactory(display_name="Alice")
    ).user
    manager = MembershipFactory(workspace=acme, role=Membership.Role.MANAGER, user=UserFactory()).user
    brand = threads.add_user("acmebakery", "Acme Bakery")
    ada = threads.add_user("ada", "Ada")

    # Connect through Threads' authorization window.
    sign_in(page, admin)
    page.goto("/w/acme/settings/channels/")
    page.get_by_role("button", name="Connect Threads").click()
    expect(page).to_have_url(re.compile(re.escape(f"{threads.base_url}/oauth/authorize?")))
    expect(page.get_by_text("Signed in as acmebakery")).to_be_visible()
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_role("heading", name="Connect Threads accounts")).to_be_visible()
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("Connected: Acme Bakery")
    channel = Channel.objects.get(network="threads", external_id=brand)
    assert threads.world.tokens[channel.access_token].long_lived

    # Two replies arrive under one of our posts.
    post = threads.add_post(brand, "Croissants tout chauds ce matin !", ago=3600)
    question = threads.add_reply(post, ada, "Vous ouvrez dimanche ? 🥐", ago=120)
    spam = threads.add_reply(post, ada, "Gagnez 1000 € par jour, cliquez ici", ago=60)
    assert tasks.poll_once(channel).outcome == PollRun.Outcome.OK

    # The first is answered once.
    page.goto("/w/acme/inbox/")
    page.get_by_text("Vous ouvrez dimanche ? 🥐").first.click()
    box = page.locator("#reply-text[hx-post]")  # the full composer, once it has loaded itself
    expect(box).to_be_visible()
    box.fill("Oui, de 8 h à 13 h !")
    with page.expect_response(re.compile(r"/reply/send/$")):
        box.press("Control+Enter")
    expect(page.locator("#messages")).to_contain_text("Reply on its way")
    reply = Message.objects.get(direction=Message.Direction.OUT)
    reply_process(reply.pk)  # what the worker does with the queued reply
    reply_process(reply.pk)  # and a duplicate delivery of the task: nothing more is published
    [published] = threads.published(brand)
    assert published.replied_to == question and published.text == "Oui, de 8 h à 13 h !"
    reply.refresh_from_db()
    assert reply.send_status == Message.SendStatus.SENT and reply.external_id == published.id

    # The second is hidden from its conversation page.
    page.goto("/w/acme/inbox/")
    page.locator(".conversation-row", has_text="Gagnez 1000").locator("a").first.click()
    item = page.locator("#thread .message-item", has_text="Gagnez 1000")
    with page.expect_response(re.compile(r"/moderate/$")):
        item.get_by_role("button", name="Hide on Threads").click()
    [row] = ModerationAction.objects.filter(action=ModerationAction.Action.HIDE)
    assert moderation.moderation_process(row.pk) == ModerationAction.State.DONE
    expect(item.locator(".badge-hidden")).to_have_text("Hidden on the network", timeout=30_000)
    assert threads.world.media[spam].hide_status == "HIDDEN"

    # A post with an image, written by the admin, approved by a manager, published once.
    page.goto("/w/acme/posts/new/")
    page.get_by_role("checkbox", name=channel.name).check()
    page.get_by_label("Text (for every channel)").fill("Nouveaux pains au chocolat 🍫 dès demain")
    preview = page.locator("#post-previews .post-preview", has_text=channel.name)
    # 39 characters and the chocolate bar's 4 bytes, as Threads counts.
    expect(preview.locator(".composer-count")).to_contain_text("42 / 500")
    expect(preview).to_contain_text("as Threads counts")
    page.get_by_label("Add an image").set_input_files(_photo(tmp_path / "pains.jpg"))
    page.get_by_label("Image description (alt text)").fill("Des pains au chocolat sur une plaque")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#messages")).to_contain_text("Draft saved.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#messages")).to_contain_text("Sent for review.")
    draft = Post.objects.get(workspace=acme)

    review = new_page()
    sign_in(review, manager)
    review.goto(f"/w/acme/posts/{draft.pk}/")
    review.get_by_role("button", name="Approve").click()
    expect(review.locator("#messages")).to_contain_text("Approved.")
    soon = timezone.localtime(timezone.now() + dt.timedelta(minutes=3)).replace(second=0, microsecond=0)
    review.get_by_label("Date", exact=True).fill(soon.date().isoformat())
    review.get_by_label("Time", exact=True).fill(soon.strftime("%H:%M"))
    review.get_by_role("button", name="Schedule", exact=True).click()
    expect(review.locator("#messages")).to_contain_text("Scheduled.")

    make_due(draft)  # time passes
    for target_id in services.targets_dispatch_due():
        services.target_process(target_id)  # what the worker does
        services.target_process(target_id)  # a duplicate delivery of the task: nothing more
    posts = [m for m in threads.published(brand) if not m.is_reply]
    assert len(posts) == 1
    [image_post] = posts
    assert image_post.media_type == "IMAGE" and image_post.text == "Nouveaux pains au chocolat 🍫 dès demain"
    assert image_post.media_url.startswith(live_server.url)
    review.reload()
    expect(review.locator(".conversation-facts .badge")).to_have_text("Published")
    assert page.problems == [], page.problems
    assert review.problems == [], review.problems

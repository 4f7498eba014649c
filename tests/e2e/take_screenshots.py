"""README screenshots, retaken with the browser fixtures so they never drift from the product: `make
screenshots` runs this file (it is not collected by the normal run: its name is not test_*.py) and writes
docs/screenshots/*.png at 1280x800. Each shot is also a browser check: the fixture fails it on any console
error or CSP violation."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from accounts.models import Membership
from inbox.ingest import message_ingest_batch
from inbox.models import Conversation, Label, Message, Note
from networks.models import Channel
from networks.providers import base as p
from posts import services as posts
from tests.e2e.browser import sign_in
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUT = Path(os.environ.get("CMHUB_SCREENSHOTS_DIR", "docs/screenshots"))
SIZE = {"width": 1280, "height": 800}

THREADS = [  # network, author, text, post words
    (
        "facebook",
        "Léa Martin",
        "Bonjour, vous livrez à Lyon le dimanche ?",
        "Nos croissants du dimanche sont là",
    ),
    ("instagram", "tom.bakes", "Is the sourdough vegan? Asking for my sister 🙏", "Sourdough Saturday"),
    ("x", "Sam Okafor", "@acmebakery my order #4412 still hasn't arrived, 2 days late", ""),
    ("linkedin", "", "Congratulations on the new shop opening!", "We are opening our third bakery"),
    (
        "facebook",
        "Nadia Benali",
        "Do you take orders for weddings? 120 guests in June.",
        "Our cakes, your day",
    ),
    ("x", "Chris Park", "@acmebakery best pain au chocolat in town, honestly", ""),
]


def _png(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), (233, 196, 140))
    draw = ImageDraw.Draw(image)
    for i in range(0, width, 40):
        draw.ellipse((i, height // 3, i + 30, height // 3 + 30), fill=(176, 112, 48))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _world():
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme", timezone="Europe/Paris")
    ada = MembershipFactory(
        workspace=acme, role=Membership.Role.MANAGER, user=UserFactory(display_name="Ada")
    ).user
    max_ = MembershipFactory(
        workspace=acme, role=Membership.Role.MANAGER, user=UserFactory(display_name="Max")
    ).user
    channels = {
        network: Channel.objects.create(
            workspace=acme,
            network=network,
            external_id=f"brand-{network}",
            name=f"Acme {label}",
            handle="acmebakery",
            api_base_url="http://127.0.0.1:9",
        )
        for network, label in [
            ("facebook", "Page"),
            ("instagram", "Instagram"),
            ("x", "X"),
            ("linkedin", "Bakery"),
        ]
    }
    now = timezone.now()
    for n, (network, author, text, words) in enumerate(THREADS):
        item = p.EngagementItem(
            network=network,
            external_id=f"m{n}",
            kind=p.ItemKind.COMMENT if network != "x" else p.ItemKind.MENTION,
            text=text,
            created_at=now - dt.timedelta(minutes=7 * n + 3),
            author=p.Author(
                f"person-{n}",
                handle=author.replace(" ", "").lower() if network != "linkedin" else "",
                name=author if network != "instagram" else "",
            ),
            post_external_id=f"post-{network}" if words else "",
            post_text=words,
            post_permalink=f"https://example.com/{network}/post" if words else "",
            thread_root_external_id=f"m{n}",
        )
        message_ingest_batch(channel=channels[network], items=[item])
    late = Conversation.objects.get(root_external_id="m2")
    Conversation.objects.filter(pk=late.pk).update(priority=Conversation.Priority.URGENT)
    late.labels.add(Label.objects.create(workspace=acme, name="Delivery", color="#b3261e"))
    wedding = Conversation.objects.get(root_external_id="m4")
    Message.objects.create(
        workspace=acme,
        conversation=wedding,
        channel=wedding.channel,
        direction="out",
        author_user=max_,
        external_id="r4",
        text="Yes! Send us your date and we'll call you back today.",
        send_status="sent",
        created_at=now - dt.timedelta(minutes=20),
        sent_at=now - dt.timedelta(minutes=20),
    )
    Conversation.objects.filter(pk=wedding.pk).update(
        preview="Yes! Send us your date and we'll call you back today.",
        preview_outbound=True,
        preview_author=max_,
        last_reply_at=now - dt.timedelta(minutes=20),
    )
    Note.objects.create(conversation=late, author=max_, text="@Ada courier says it left this morning.")
    author = ada.memberships.get()
    croissant = posts.media_upload(
        member=author, name="croissants.png", data=_png(1200, 800), alt_text="Croissants"
    )
    for days, text in [
        (1, "Fresh croissants every morning from 7"),
        (3, "Sourdough Saturday is back"),
        (6, "Meet our new pastry chef"),
    ]:
        post = posts.post_create(
            author=author, text=text, channels=list(channels.values())[:3], media=[croissant]
        )
        posts.post_submit(post=post, by=author)
        posts.review_approve(post=post, by=max_.memberships.get())
        posts.post_schedule(post=post, by=author, scheduled_at=now + dt.timedelta(days=days))
    draft = posts.post_create(
        author=author,
        text="Our Christmas bûche is back!",
        channels=list(channels.values()),
        media=[croissant],
    )
    return ada, late, draft


def _shot(page, name: str) -> None:
    """A 1280x800 PNG, in 256 colours: a fraction of the size, the same to the eye for flat UI colours."""
    OUT.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let the last swap settle before the picture
    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(OUT / f"{name}.png", optimize=True)


def test_readme_screenshots(new_page):
    ada, late, draft = _world()
    page = new_page()
    page.set_viewport_size(SIZE)
    sign_in(page, ada)

    page.goto("/w/acme/inbox/")
    page.locator("#conversation-rows .row-link").first.click()
    expect(page.locator("#thread")).to_be_visible()
    _shot(page, "split-inbox")

    page.goto(f"/w/acme/inbox/{late.pk}/")
    expect(page.locator("#composer #reply-count")).to_contain_text("/ 280")
    page.locator("#reply-text").fill("So sorry Sam, I'm checking with the courier right now.")
    _shot(page, "conversation")

    page.goto(f"/w/acme/posts/{draft.pk}/edit/")
    page.locator("textarea[name=text]").fill(
        "Our Christmas bûche is back! Order by the 20th, collect from the 22nd."
    )
    expect(page.locator("#post-previews .post-preview .media-thumb").first).to_be_visible()
    _shot(page, "composer")

    page.goto("/w/acme/calendar/")
    expect(page.locator(".calendar-post").first).to_be_visible()
    _shot(page, "calendar")
    assert page.problems == [], page.problems

"""The publishing journey with real parts: an agent composes one post for X, Facebook and LinkedIn (with
live per-network previews and different words on LinkedIn), saves a draft and submits it; a manager, in
another browser, approves it from the review queue and schedules it; once it is due a real Celery worker
process on the `publish` queue publishes it to the network fakes over HTTP, and the post page shows each
channel's permalink and the calendar shows it published. Each network sees exactly one write.

And once in French: a post with an uploaded image goes from the composer through review (the manager sees
it counted in the sidebar) to its day and time in the calendar, in French formats and Paris time."""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from pathlib import Path

import pytest
from celery import current_app
from django.utils import timezone, translation
from playwright.sync_api import expect

from accounts.models import Membership
from core import dates
from networks.fakes.graph_state import Post as GraphPost
from networks.providers.linkedin import unescape_little_text
from posts import services
from posts.models import Post, PostTarget
from tests import publishing_fakes
from tests.celery_workers import start_worker, stop_worker, wait_for
from tests.e2e.browser import sign_in, sign_in_french
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from tests.posts.test_publish import make_due

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
T = PostTarget.Status

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
TEXT = "Galette des rois is back this weekend 🥐 https://example.com/galette"
LINKEDIN_TEXT = "Our bakers are back on the galette des rois: the season starts this weekend."
LOG = Path(os.environ.get("CMHUB_VAR_DIR", "var/test")) / "publish-journey-worker.log"


@pytest.fixture
def acme(db):
    return WorkspaceFactory(name="Acme Bakery", slug="acme", timezone="Europe/Paris")


@pytest.fixture
def x_account(acme):
    with publishing_fakes.x_account(acme, None) as fake:
        yield fake


@pytest.fixture
def facebook_account(acme):
    with publishing_fakes.facebook_account(acme, None) as fake:
        yield fake


@pytest.fixture
def linkedin_account(acme):
    with publishing_fakes.linkedin_account(acme, None) as fake:
        yield fake


@pytest.fixture
def publish_worker():
    """A worker on the production queue, started on an empty broker: earlier tests may have left
    publish messages behind, which it would otherwise take first."""
    current_app.control.purge()
    LOG.parent.mkdir(parents=True, exist_ok=True)
    LOG.unlink(missing_ok=True)
    process = start_worker("publish", output=LOG.open("ab"))
    yield process
    stop_worker(process)


@pytest.fixture
def manager_page(new_page):
    """A second browser context, watched as the `page` fixture's is: the manager's own cookies."""
    return new_page()


def _statuses(post: Post) -> set[str]:
    return set(PostTarget.objects.filter(post=post).values_list("status", flat=True))


def _wait_for_published(post: Post, timeout: float = 90) -> None:
    wait_for(
        lambda: _statuses(post) == {T.PUBLISHED},
        timeout,
        lambda: f"the post to be published (targets {_statuses(post)})",
        log=LOG,
    )


def test_compose_review_schedule_publish_and_see_the_permalinks(
    page, manager_page, acme, x_account, facebook_account, linkedin_account, publish_worker
):
    agent = MembershipFactory(
        workspace=acme, role=Membership.Role.AGENT, user=UserFactory(display_name="Ada")
    ).user
    manager = MembershipFactory(
        workspace=acme, role=Membership.Role.MANAGER, user=UserFactory(display_name="Max")
    ).user
    fakes = (x_account, facebook_account, linkedin_account)

    # The agent composes for the three networks and watches the previews follow.
    sign_in(page, agent)
    page.goto("/w/acme/posts/")
    page.get_by_role("link", name="New post").click()
    expect(page).to_have_url("/w/acme/posts/new/")
    previews = page.locator("#post-previews")
    expect(previews).to_contain_text("Choose a channel")
    for name in ("Acme on X", "Acme Page", "Acme on LinkedIn"):
        page.get_by_role("checkbox", name=name).check()
    expect(previews.locator(".post-preview")).to_have_count(3)
    page.get_by_label("Text (for every channel)").fill(TEXT)
    x_preview = previews.locator(".post-preview", has_text="Acme on X")
    # The croissant counts 2 on X and the link 23, however long: 38 + 2 + 1 + 23.
    expect(x_preview.locator(".composer-count")).to_contain_text("64 / 280")
    expect(x_preview).to_contain_text("as X counts")
    facebook_preview = previews.locator(".post-preview", has_text="Acme Page")
    expect(facebook_preview.locator(".post-preview-text")).to_have_text(TEXT)

    page.get_by_text("Different words on LinkedIn · Acme on LinkedIn").click()
    page.get_by_label("Text for Acme on LinkedIn").fill(LINKEDIN_TEXT)
    linkedin_preview = previews.locator(".post-preview", has_text="Acme on LinkedIn")
    expect(linkedin_preview.locator(".post-preview-text")).to_have_text(LINKEDIN_TEXT)
    expect(linkedin_preview.locator(".composer-count")).to_contain_text(f"{len(LINKEDIN_TEXT)} / 3000")
    expect(x_preview.locator(".post-preview-text")).to_have_text(TEXT)  # the others keep the main text

    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#messages")).to_contain_text("Draft saved.")
    expect(page).to_have_url(re.compile(r"/w/acme/posts/\d+/$"))
    post = Post.objects.get(workspace=acme)
    assert post.status == Post.Status.DRAFT and post.text == TEXT
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#messages")).to_contain_text("Sent for review.")
    expect(page.locator(".conversation-facts .badge")).to_have_text("In review")
    expect(page.get_by_text("Someone else must approve your own post.")).to_be_visible()
    assert page.problems == [], page.problems

    # The manager finds it in the review queue, approves it with a comment and schedules it.
    sign_in(manager_page, manager)
    manager_page.goto("/w/acme/posts/")
    manager_page.get_by_role("link", name="Review queue").click()
    expect(manager_page).to_have_url("/w/acme/posts/review/")
    queued = manager_page.locator(".posts-review li", has_text="Galette des rois")
    expect(queued).to_contain_text("by Ada")
    queued.get_by_role("link").click()
    expect(manager_page).to_have_url(f"/w/acme/posts/{post.pk}/")
    manager_page.get_by_label("Comment").fill("Lovely, go ahead.")
    manager_page.get_by_role("button", name="Approve").click()
    expect(manager_page.locator("#messages")).to_contain_text("Approved.")
    expect(manager_page.locator(".review-comment")).to_have_text("Lovely, go ahead.")

    soon = timezone.localtime(timezone.now() + dt.timedelta(minutes=3), PARIS).replace(
        second=0, microsecond=0
    )
    manager_page.get_by_label("Date", exact=True).fill(soon.date().isoformat())
    manager_page.get_by_label("Time", exact=True).fill(soon.strftime("%H:%M"))
    manager_page.get_by_role("button", name="Schedule", exact=True).click()
    expect(manager_page.locator("#messages")).to_contain_text("Scheduled.")
    expect(manager_page.locator(".conversation-facts")).to_contain_text(
        f"Scheduled for {dates.format_instant(soon, zone=PARIS)} (Europe/Paris)"
    )
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED and post.scheduled_at == soon  # read in Paris time
    assert manager_page.problems == [], manager_page.problems

    # Time passes; the beat's tick hands the due targets to the worker, which publishes them.
    make_due(post)
    enqueued = services.targets_dispatch_due()
    assert sorted(enqueued) == sorted(PostTarget.objects.filter(post=post).values_list("pk", flat=True))
    _wait_for_published(post)

    # Everyone sees it published, each channel with its permalink.
    [tweet] = x_account.tweets_by(x_account.brand)
    [facebook_post] = [item for item in facebook_account.objects_of(GraphPost) if item.page_id == "777"]
    [linkedin_urn] = [
        urn for urn, item in linkedin_account.posts.items() if item["author"] == linkedin_account.org
    ]
    permalinks = {
        "Acme on X": f"https://x.com/acmebakery/status/{tweet['id']}",
        "Acme Page": f"https://www.facebook.com/777/posts/{facebook_post.id.partition('_')[2]}",
        "Acme on LinkedIn": f"https://www.linkedin.com/feed/update/{linkedin_urn}",
    }
    for viewer in (manager_page, page):
        viewer.reload()
        expect(viewer.locator(".conversation-facts .badge")).to_have_text("Published")
        for name, link in permalinks.items():
            row = viewer.locator(".post-target", has_text=name)
            expect(row.locator(".badge")).to_have_text("Published")
            expect(row.get_by_role("link", name="View it online")).to_have_attribute("href", link)
    expect(page.locator(".post-target", has_text="Acme on LinkedIn")).to_contain_text(LINKEDIN_TEXT)

    published_day = timezone.localtime(Post.objects.get(pk=post.pk).scheduled_at, PARIS).date()
    page.get_by_role("link", name="Calendar", exact=True).click()
    expect(page).to_have_url("/w/acme/calendar/")
    entry = page.locator(f'td[data-date="{published_day.isoformat()}"] .calendar-post')
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Galette des rois")
    expect(entry).to_contain_text("Published")
    expect(entry).to_have_class(re.compile(r"\bcalendar-post-published\b"))

    # Exactly once on each network, with the words meant for it.
    assert [len(fake.writes()) for fake in fakes] == [1, 1, 1]
    assert tweet["text"] == facebook_post.message == TEXT
    assert unescape_little_text(linkedin_account.posts[linkedin_urn]["commentary"]) == LINKEDIN_TEXT
    assert Post.objects.get(pk=post.pk).status == Post.Status.PUBLISHED
    assert page.problems == [], page.problems
    assert manager_page.problems == [], manager_page.problems


ALT = "Une galette dorée sur le comptoir"


def _photo(path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (1200, 900), "#c8902c").save(path, "JPEG", quality=85)
    return path


def test_a_post_with_an_image_from_the_composer_to_the_calendar_in_french(
    new_page, acme, x_account, facebook_account, tmp_path
):
    """In French, through the UI: the agent writes a post for X and Facebook with an uploaded image, the
    manager (who sees it waiting in the sidebar) approves and schedules it, and the calendar shows it on
    its day at its time, in French formats and Paris time."""
    agent = MembershipFactory(
        workspace=acme, role=Membership.Role.AGENT, user=UserFactory(display_name="Ada")
    )
    manager = MembershipFactory(workspace=acme, role=Membership.Role.MANAGER).user
    page = new_page(locale="fr-FR")
    sign_in_french(page, agent.user)
    page.get_by_role("link", name="Publications", exact=True).click()
    page.get_by_role("link", name="Nouvelle publication").click()
    expect(page).to_have_url("/w/acme/posts/new/")
    for name in ("Acme on X", "Acme Page"):
        page.get_by_role("checkbox", name=name).check()
    page.get_by_label("Texte (pour tous les canaux)").fill("La galette des rois est de retour ce week-end 👑")
    page.get_by_label("Ajouter une image").set_input_files(_photo(tmp_path / "galette.jpg"))
    page.get_by_label("Description de l’image (texte alternatif)").fill(ALT)
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator("#messages")).to_contain_text("Brouillon enregistré.")
    expect(page).to_have_url(re.compile(r"/w/acme/posts/\d+/$"))
    post = Post.objects.get(workspace=acme)
    [asset] = post.media.all()
    assert (asset.width, asset.height, asset.alt_text) == (1200, 900, ALT)
    expect(page.locator("main")).to_contain_text(ALT)  # the post page shows its image, described
    page.get_by_role("button", name="Soumettre pour validation").click()
    expect(page.locator("#messages")).to_contain_text("Envoyée pour validation.")

    # The manager sees it waiting in the sidebar, approves it and schedules it for tomorrow, 10:30 Paris.
    review = new_page(locale="fr-FR")
    sign_in_french(review, manager)
    queue = review.locator(".sidebar a", has_text="Publications à valider")
    expect(queue.locator(".badge-count")).to_have_text("1")
    queue.click()
    review.locator(".posts-review li", has_text="galette des rois").get_by_role("link").click()
    review.get_by_label("Commentaire").fill("Très bien.")
    review.get_by_role("button", name="Valider", exact=True).click()
    expect(review.locator("#messages")).to_contain_text("Validée.")
    expect(
        review.locator(".sidebar a", has_text="Publications à valider").locator(".badge-count")
    ).to_have_count(0)
    today = timezone.localtime(timezone.now(), PARIS).date()
    day = today + dt.timedelta(days=1)
    review.get_by_label("Date", exact=True).fill(day.isoformat())
    review.get_by_label("Heure", exact=True).fill("10:30")
    review.get_by_role("button", name="Programmer", exact=True).click()
    expect(review.locator("#messages")).to_contain_text("Programmée.")
    when = dt.datetime.combine(day, dt.time(10, 30), tzinfo=PARIS)
    with translation.override("fr"):
        shown = dates.format_instant(when, zone=PARIS)
    expect(review.locator(".conversation-facts")).to_contain_text(
        f"Programmée pour le {shown} (Europe/Paris)"
    )
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED and post.scheduled_at == when

    # The calendar shows it on its day, at its time.
    review.get_by_role("link", name="Calendrier", exact=True).click()
    if day.month != today.month:
        review.locator("a[rel=next]").click()
    entry = review.locator(f'td[data-date="{day.isoformat()}"] .calendar-post')
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("10:30")
    expect(entry).to_contain_text("La galette des rois")
    expect(review.locator("main")).to_contain_text("Heures exprimées en Europe/Paris.")

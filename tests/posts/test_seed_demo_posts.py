"""The demo seeds posts in every state, through the product's services, so every posts page shows
something real on a fresh `make run`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from notifications.models import Notification
from posts.models import Post, PostTarget

P = Post.Status


@pytest.fixture
def seeded(transactional_db, settings):
    """Real commits: the notifications go out after them, as in `make run`."""
    settings.CMHUB_DEMO = True
    for command in ("seed_demo", "seed_demo_channels", "seed_demo_posts"):
        call_command(command, stdout=StringIO())


def _client(email: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=email))
    return client


def test_one_post_in_each_state_with_permalinks_and_a_plain_reason(seeded):
    posts = Post.objects.filter(workspace__slug="demo")
    assert set(posts.values_list("status", flat=True)) == {
        P.DRAFT,
        P.IN_REVIEW,
        P.CHANGES_REQUESTED,
        P.SCHEDULED,
        P.PUBLISHED,
        P.FAILED,
    }
    published = posts.get(status=P.PUBLISHED)
    links = list(published.targets.values_list("permalink", flat=True))
    assert len(links) == 3 and all(link.startswith("https://") for link in links)
    assert set(published.targets.values_list("status", flat=True)) == {PostTarget.Status.PUBLISHED}
    [failed] = posts.get(status=P.FAILED).targets.all()
    assert failed.error.startswith("X refuses a post with exactly the same words")
    scheduled = posts.get(status=P.SCHEDULED)
    assert scheduled.media.count() == 1 and scheduled.targets.filter(status="scheduled").count() == 3


def test_only_what_still_waits_is_new_for_the_manager(seeded):
    manager = User.objects.get(email="manager@demo.test")
    unread = Notification.objects.filter(recipient=manager, read_at__isnull=True)
    waiting = Post.objects.get(status=P.IN_REVIEW)
    assert list(unread.values_list("kind", "url")) == [("review_requested", f"/w/demo/posts/{waiting.pk}/")]


def test_seeding_again_replaces_the_demo_posts(seeded):
    first = set(Post.objects.values_list("pk", flat=True))
    call_command("seed_demo_posts", stdout=StringIO())
    again = set(Post.objects.values_list("pk", flat=True))
    assert len(again) == len(first) == 6 and not first & again


def test_every_posts_page_shows_them(seeded):
    manager = _client("manager@demo.test")
    listing = manager.get("/w/demo/posts/").content.decode()
    for words in ("Pain aux figues", "Galette des rois", "Atelier croissants", "Merci pour vos 1", "seigle"):
        assert words in listing
    assert "Galette des rois" in manager.get("/w/demo/posts/review/").content.decode()
    failed = Post.objects.get(status=P.FAILED)
    assert "X refuses a post" in manager.get(f"/w/demo/posts/{failed.pk}/").content.decode()


def test_refused_outside_the_demo(db, settings):
    settings.CMHUB_DEMO = False
    with pytest.raises(CommandError, match="CMHUB_DEMO"):
        call_command("seed_demo_posts", stdout=StringIO())

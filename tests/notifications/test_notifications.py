"""In-app notifications: who gets which one (never the actor, never an outsider), in their own language,
the header bell, the list page and marking read."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import transaction

from accounts.models import Membership
from inbox import services as inbox_services
from notifications import services
from notifications.models import Notification
from posts import services as post_services
from posts.models import PostTarget
from posts.services import publishing
from tests.factories import MembershipFactory, UserFactory, x_mention_conversation

K = Notification.Kind
T = PostTarget.Status
LATER = dt.datetime(2031, 5, 4, 9, 0, tzinfo=dt.UTC)


def member(user) -> Membership:
    return user.memberships.get()


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what the services defer to commit, as a real request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def french(settings, tmp_path):
    """French translations compiled from the project's catalogue (the .mo is a build product)."""
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt not installed (apt-get install gettext)")
    source = Path(django_settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    target = tmp_path / "locale" / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    subprocess.run(["msgfmt", "-o", str(target / "django.mo"), str(source)], check=True)
    settings.LOCALE_PATHS = [tmp_path / "locale"]  # resets Django's translation cache


def submit(post, author, on_commit):
    with on_commit():
        post_services.post_submit(post=post, by=member(author))


# --- Hooks -------------------------------------------------------------------------------------------------


def test_submitting_notifies_each_reviewer_but_not_the_author_or_outsiders(
    draft, agent, manager, owner, outsider, on_commit
):
    submit(draft, agent, on_commit)
    assert kinds(manager) == [K.REVIEW_REQUESTED] and kinds(owner) == [K.REVIEW_REQUESTED]
    assert kinds(agent) == [] and kinds(outsider) == []
    note = Notification.objects.get(recipient=manager)
    assert note.workspace == draft.workspace and note.read_at is None
    assert note.url == f"/w/acme/posts/{draft.pk}/"
    assert note.text == "“Fresh croissants at 8!” is ready for review."


def test_the_author_hears_approval_and_changes_requested_the_reviewer_does_not(
    draft, agent, manager, owner, on_commit
):
    submit(draft, agent, on_commit)
    Notification.objects.all().delete()
    with on_commit():
        post_services.review_request_changes(post=draft, by=member(manager), comment="Add the price")
    assert kinds(agent) == [K.CHANGES_REQUESTED] and kinds(manager) == [] and kinds(owner) == []
    submit(draft, agent, on_commit)
    Notification.objects.filter(kind=K.REVIEW_REQUESTED).delete()
    with on_commit():
        post_services.review_approve(post=draft, by=member(manager))
    assert sorted(kinds(agent)) == sorted([K.CHANGES_REQUESTED, K.POST_APPROVED])
    assert kinds(manager) == [] and kinds(owner) == []
    approved = Notification.objects.get(recipient=agent, kind=K.POST_APPROVED)
    assert approved.text == "Your post “Fresh croissants at 8!” was approved"


def test_nothing_is_notified_when_the_action_rolls_back(draft, agent, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        contextlib.suppress(RuntimeError),
        transaction.atomic(),
    ):
        post_services.post_submit(post=draft, by=member(agent))
        raise RuntimeError("something after the submit failed")
    assert callbacks == [] and not Notification.objects.exists()


def test_each_failed_target_tells_the_author_once(draft, agent, manager, owner, on_commit):
    submit(draft, agent, on_commit)
    with on_commit():
        post_services.review_approve(post=draft, by=member(manager))
    post_services.post_schedule(post=draft, by=member(agent), scheduled_at=LATER)
    Notification.objects.all().delete()
    for target in draft.targets.select_related("channel"):
        PostTarget.objects.filter(pk=target.pk).update(status=T.PUBLISHING)
        target.refresh_from_db()
        with on_commit():
            publishing._settle(target, T.FAILED, error="Refused", attempt=True)
        # The same outcome recorded again (a second delivery of the step, holding the old state): no
        # second notification, since the target already moved on.
        target.status = T.PUBLISHING
        with on_commit():
            publishing._settle(target, T.FAILED, error="Refused", attempt=True)
    failed = Notification.objects.filter(recipient=agent, kind=K.POST_FAILED).order_by("text")
    assert [n.text for n in failed] == [
        "“Fresh croissants at 8!” could not be published on Acme Page.",
        "“Fresh croissants at 8!” could not be published on Acme on X.",
    ]
    assert Notification.objects.count() == 2  # once each, and nobody else


def test_a_target_that_is_rescheduled_notifies_nobody(draft, agent, manager, on_commit):
    submit(draft, agent, on_commit)
    with on_commit():
        post_services.review_approve(post=draft, by=member(manager))
    post_services.post_schedule(post=draft, by=member(agent), scheduled_at=LATER)
    Notification.objects.all().delete()
    target = draft.targets.first()
    PostTarget.objects.filter(pk=target.pk).update(status=T.PUBLISHING)
    target.refresh_from_db()
    with on_commit():
        publishing._settle(target, T.SCHEDULED, error="Try again", due=LATER, attempt=True)
    assert not Notification.objects.exists()


def test_mentioned_teammates_are_notified_not_the_author_nor_outsiders(workspace, outsider, on_commit):
    ada = MembershipFactory(workspace=workspace, user=UserFactory(display_name="Ada Lovelace")).user
    marc = MembershipFactory(workspace=workspace, user=UserFactory(display_name="Marc Dupont")).user
    conversation = x_mention_conversation(workspace, at=dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC))
    with on_commit():
        inbox_services.note_create(
            conversation=conversation,
            author=ada,
            text=f"@MarcDupont can you call her? cc @ada and @{outsider.email.split('@')[0]}",
            by=member(ada),
        )
    assert kinds(marc) == [K.MENTIONED] and kinds(ada) == [] and kinds(outsider) == []
    note = Notification.objects.get()
    assert note.text == "Ada Lovelace mentioned you in Acme Bakery"
    assert note.url == f"/w/acme/inbox/{conversation.pk}/"


def test_a_french_reviewer_reads_french_an_english_one_english(
    french, draft, agent, manager, owner, on_commit
):
    manager.language = "fr"
    manager.save(update_fields=["language"])
    submit(draft, agent, on_commit)
    assert (
        Notification.objects.get(recipient=manager).text
        == "«\xa0Fresh croissants at 8!\xa0» est prête pour validation."
    )
    assert Notification.objects.get(recipient=owner).text == "“Fresh croissants at 8!” is ready for review."


def test_the_workspace_language_is_used_when_the_person_has_none(
    french, workspace, draft, agent, manager, on_commit
):
    workspace.default_language = "fr"
    workspace.save(update_fields=["default_language"])
    submit(draft, agent, on_commit)
    draft.refresh_from_db()
    Notification.objects.all().delete()
    with on_commit():
        post_services.review_request_changes(post=draft, by=member(manager), comment="Prix ?")
    assert Notification.objects.get(recipient=agent).text == (
        "Modifications demandées sur votre publication «\xa0Fresh croissants at 8!\xa0»"
    )


def test_send_skips_people_outside_the_workspace(workspace, agent, outsider):
    sent = services.notification_send(
        recipients=[agent, outsider], workspace=workspace, kind=K.MENTIONED, url="/w/acme/", text=lambda: "Hi"
    )
    assert [n.recipient for n in sent] == [agent]


# --- Bell, list, marking read ------------------------------------------------------------------------------


def notify(user, workspace, text="Something happened", url="/w/acme/posts/"):
    return services.notification_send(
        recipients=[user], workspace=workspace, kind=K.REVIEW_REQUESTED, url=url, text=lambda: text
    )[0]


def test_the_bell_shows_the_unread_count_of_this_workspace_only(
    manager_client, manager, workspace, other_workspace
):
    MembershipFactory(user=manager, workspace=other_workspace)
    notify(manager, workspace)
    notify(manager, workspace)
    notify(manager, other_workspace)
    services.notifications_mark_read(user=manager, workspace=workspace, ids=[notify(manager, workspace).pk])
    page = manager_client.get("/w/acme/").content.decode()
    assert 'class="bell has-unread" href="/w/acme/notifications/"' in page
    assert '<span class="bell-count" aria-hidden="true">2</span>' in page
    assert "Notifications: 2 unread" in page


def test_no_count_when_all_is_read(manager_client, manager, workspace):
    services.notifications_mark_read(user=manager, workspace=workspace, ids=[notify(manager, workspace).pk])
    page = manager_client.get("/w/acme/").content.decode()
    assert 'class="bell"' in page and "bell-count" not in page


def test_visiting_the_list_reads_what_it_shows_and_keeps_it_highlighted_once(
    manager_client, manager, agent, workspace
):
    first = notify(manager, workspace, "First")
    second = notify(manager, workspace, "Second")
    notify(agent, workspace, "Not yours")
    page = manager_client.get("/w/acme/notifications/").content.decode()
    assert page.index("Second") < page.index("First") and "Not yours" not in page
    assert page.count('class="notification is-unread"') == 2 and page.count(">New</span>") == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is not None  # seen: read
    assert 'class="bell-count"' not in page  # the bell of this very page counts nothing left
    again = manager_client.get("/w/acme/notifications/").content.decode()
    assert "is-unread" not in again and ">New</span>" not in again
    assert Notification.objects.filter(recipient=agent, read_at__isnull=True).count() == 1


def test_marks_one_then_all_read(manager_client, manager, agent, workspace):
    first = notify(manager, workspace, "First")
    second = notify(manager, workspace, "Second")
    notify(agent, workspace, "Not yours")
    response = manager_client.post(f"/w/acme/notifications/{second.pk}/read/")
    assert response.status_code == 302 and response.url == "/w/acme/notifications/"
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.read_at is not None and first.read_at is None
    assert manager_client.post("/w/acme/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(recipient=manager, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=agent, read_at__isnull=True).count() == 1


def test_opening_one_marks_it_read_and_goes_to_its_page(manager_client, manager, workspace):
    note = notify(manager, workspace, url="/w/acme/posts/")
    response = manager_client.get(f"/w/acme/notifications/{note.pk}/")
    assert response.status_code == 302 and response.url == "/w/acme/posts/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_opening_never_leaves_the_site(manager_client, manager, workspace):
    note = notify(manager, workspace, url="https://evil.example/")
    assert manager_client.get(f"/w/acme/notifications/{note.pk}/").url == "/w/acme/notifications/"
    note = notify(manager, workspace, url="//evil.example/")
    assert manager_client.get(f"/w/acme/notifications/{note.pk}/").url == "/w/acme/notifications/"


def test_marking_read_needs_a_post(manager_client, manager, workspace):
    note = notify(manager, workspace)
    assert manager_client.get(f"/w/acme/notifications/{note.pk}/read/").status_code == 405
    assert manager_client.get("/w/acme/notifications/read-all/").status_code == 405


def test_someone_elses_notification_is_404(agent_client, manager, workspace):
    note = notify(manager, workspace)
    assert agent_client.get(f"/w/acme/notifications/{note.pk}/").status_code == 404
    assert agent_client.post(f"/w/acme/notifications/{note.pk}/read/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_outsider_gets_404(outsider_client, outsider, manager, workspace):
    note = notify(manager, workspace)
    for path in ["/w/acme/notifications/", f"/w/acme/notifications/{note.pk}/"]:
        assert outsider_client.get(path).status_code == 404, path
    for path in ["/w/acme/notifications/read-all/", f"/w/acme/notifications/{note.pk}/read/"]:
        assert outsider_client.post(path).status_code == 404, path
    slug = member(outsider).workspace.slug
    assert outsider_client.get(f"/w/{slug}/notifications/{note.pk}/").status_code == 404
    assert outsider_client.post(f"/w/{slug}/notifications/{note.pk}/read/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_list_page_query_count_does_not_grow_with_rows(
    manager_client, manager, workspace, django_assert_num_queries
):
    manager_client.get("/w/acme/")  # remembers the workspace once, so it is not counted below
    for n in range(3):
        notify(manager, workspace, f"Note {n}")
    # session, user, membership, the page's COUNT (paginator), the page of notifications, one UPDATE that
    # marks the shown ones read, the bell's COUNT, the sidebar's waiting counts (one query for every
    # queue), the lost-connection banner, workspace switcher. The rows need nothing else: the text is
    # stored rendered, so no post, author or conversation is looked up per row.
    with django_assert_num_queries(10):
        assert manager_client.get("/w/acme/notifications/").status_code == 200
    for n in range(30):
        notify(manager, workspace, f"More {n}")
    with django_assert_num_queries(10):
        response = manager_client.get("/w/acme/notifications/")
    assert response.content.decode().count('class="notification is-unread"') == 30


def test_admin_lists_notifications(admin_client, manager, workspace):
    notify(manager, workspace)
    assert admin_client.get("/admin/notifications/notification/").status_code == 200
    assert admin_client.get("/admin/notifications/notification/", {"q": "acme"}).status_code == 200

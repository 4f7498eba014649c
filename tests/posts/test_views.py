"""Publishing pages: list, composer, post page, calendar, review queue."""

from __future__ import annotations

import datetime as dt
import io
import re
import tracemalloc

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from accounts.models import Membership
from networks.models import Channel
from posts import services
from posts.models import MediaAsset, Post, PostTarget, Review

P = Post.Status
T = PostTarget.Status
LATER = dt.datetime(2031, 5, 4, 9, 0, tzinfo=dt.UTC)


def member(user) -> Membership:
    return user.memberships.get()


def in_review(post, author):
    return services.post_submit(post=post, by=member(author))


def scheduled(post, author, reviewer, when=LATER):
    in_review(post, author)
    services.review_approve(post=post, by=member(reviewer))
    return services.post_schedule(post=post, by=member(author), scheduled_at=when)


def png(width=1600, height=400) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


# --- Every page renders; outsiders see nothing -------------------------------------------------------------


def test_pages_render(owner_client, draft):
    for path in [
        "/w/acme/posts/",
        "/w/acme/posts/new/",
        f"/w/acme/posts/{draft.pk}/",
        f"/w/acme/posts/{draft.pk}/edit/",
        "/w/acme/posts/review/",
        "/w/acme/calendar/",
        "/w/acme/calendar/?view=week&date=2031-05-04",
        "/w/acme/posts/?status=draft&author=abc&channel=999",  # a bad filter is ignored, not an error
    ]:
        response = owner_client.get(path)
        assert response.status_code == 200, path


def test_outsider_gets_404_on_every_posts_page(outsider_client, draft):
    target = draft.targets.first()
    gets = ["/w/acme/posts/", "/w/acme/posts/new/", "/w/acme/calendar/", "/w/acme/posts/review/"]
    gets += [f"/w/acme/posts/{draft.pk}/", f"/w/acme/posts/{draft.pk}/edit/"]
    posts = [f"/w/acme/posts/{draft.pk}/{action}/" for action in ("submit", "review", "schedule", "cancel")]
    posts += [f"/w/acme/posts/{draft.pk}/duplicate/", f"/w/acme/posts/targets/{target.pk}/retry/"]
    posts += ["/w/acme/posts/preview/", "/w/acme/posts/new/"]
    for path in gets:
        assert outsider_client.get(path).status_code == 404, path
    for path in posts:
        assert outsider_client.post(path).status_code == 404, path


def test_a_post_of_another_workspace_is_404_through_ones_own(outsider_client, outsider, draft):
    slug = member(outsider).workspace.slug
    assert outsider_client.get(f"/w/{slug}/posts/{draft.pk}/").status_code == 404
    assert outsider_client.post(f"/w/{slug}/posts/{draft.pk}/cancel/").status_code == 404
    assert Post.objects.get(pk=draft.pk).status == P.DRAFT


# --- Composer ----------------------------------------------------------------------------------------------


def test_composer_creates_a_draft_with_overrides_and_an_image(agent_client, channels):
    x, page = channels
    response = agent_client.post(
        "/w/acme/posts/new/",
        {
            "title": "Morning",
            "text": "Fresh croissants at 8!",
            "channels": [x.pk, page.pk],
            f"override-{x.pk}": "Croissants at 8 🥐",
            "upload": _upload(),
            "alt_text": "A tray of croissants",
            "action": "save",
        },
    )
    post = Post.objects.get()
    assert response.status_code == 302 and response.url == f"/w/acme/posts/{post.pk}/"
    assert post.status == P.DRAFT and post.title == "Morning"
    assert post.targets.get(channel=x).text_override == "Croissants at 8 🥐"
    assert post.targets.get(channel=page).text_override == ""
    asset = MediaAsset.objects.get()
    assert asset.alt_text == "A tray of croissants" and list(post.media.all()) == [asset]

    # The editor keeps the image unless it is unticked.
    edit = agent_client.get(f"/w/acme/posts/{post.pk}/edit/")
    assert f'name="media" value="{asset.pk}" checked' in edit.content.decode()


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("croissants.png", png(), content_type="image/png")


def test_composer_refuses_a_broken_image_in_words(agent_client, channels):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = agent_client.post(
        "/w/acme/posts/new/",
        {
            "text": "Hi",
            "channels": [channels[0].pk],
            "upload": SimpleUploadedFile("x.png", b"not an image", content_type="image/png"),
        },
    )
    assert response.status_code == 200
    assert not Post.objects.exists() and not MediaAsset.objects.exists()
    assert "errorlist" in response.content.decode()


def test_preview_counts_as_x_does_and_shows_the_crop(agent_client, agent, workspace, channels):
    x, page = channels
    insta = Channel.objects.create(workspace=workspace, network="instagram", external_id="ig", name="Acme IG")
    asset = services.media_upload(member=member(agent), name="wide.png", data=png(1600, 400))
    text = "Read https://example.com/a/very/long/path/that/x/shortens " + "a" * 250
    response = agent_client.post(
        "/w/acme/posts/preview/",
        {"text": text, "channels": [x.pk, page.pk, insta.pk], "media": [asset.pk]},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body  # the partial only
    assert "279 / 280" in body  # the link counts 23 whatever its length
    assert f"{len(text)} / 63206" in body  # Facebook counts characters
    assert body.count("sent as 1600 × 400") == 2  # as it is on X and Facebook
    assert body.count("cropped to fit") == 1  # 4:1 is wider than Instagram's 1.91:1
    assert "sent as 764 × 400" in body
    # Thumbnails at signed same-site URLs, never the storage path.
    assert asset.upload.name not in body
    thumbs = re.findall(r'<img class="media-thumb" src="(/[^"]+)"', body)
    assert len(thumbs) == 3
    shown = agent_client.get(thumbs[0])
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"


def test_submit_with_too_long_x_text_shows_the_x_problem(agent_client, agent, channels):
    post = services.post_create(author=member(agent), text="Croissant " * 40, channels=channels)
    response = agent_client.post(f"/w/acme/posts/{post.pk}/submit/")
    body = response.content.decode()
    assert response.status_code == 400
    assert "Acme on X" in body and "the limit is 280" in body
    assert "Acme Page</dt>" not in body
    assert Post.objects.get(pk=post.pk).status == P.DRAFT


def test_composer_submit_sends_for_review(agent_client, channels, django_capture_on_commit_callbacks):
    response = agent_client.post(
        "/w/acme/posts/new/", {"text": "Short and sweet", "channels": [channels[1].pk], "action": "submit"}
    )
    post = Post.objects.get()
    assert response.status_code == 302 and post.status == P.IN_REVIEW


def test_duplicate_opens_the_copy_in_the_composer(agent_client, draft):
    response = agent_client.post(f"/w/acme/posts/{draft.pk}/duplicate/")
    copy = Post.objects.exclude(pk=draft.pk).get()
    assert response.url == f"/w/acme/posts/{copy.pk}/edit/"
    assert copy.text == draft.text and copy.status == P.DRAFT


# --- Reviews -----------------------------------------------------------------------------------------------


def test_agents_cannot_approve(agent_client, manager, channels):
    post = services.post_create(author=member(manager), text="Hello", channels=channels[1:])
    in_review(post, manager)
    response = agent_client.post(f"/w/acme/posts/{post.pk}/review/", {"decision": "approve"})
    assert response.status_code == 403
    assert agent_client.get("/w/acme/posts/review/").status_code == 403
    assert not Review.objects.exists() and Post.objects.get(pk=post.pk).status == P.IN_REVIEW
    assert 'value="approve"' not in agent_client.get(f"/w/acme/posts/{post.pk}/").content.decode()


def test_authors_get_no_approve_button_on_their_own_post(manager_client, owner_client, manager, channels):
    post = services.post_create(author=member(manager), text="Hello", channels=channels[1:])
    in_review(post, manager)
    own = manager_client.get(f"/w/acme/posts/{post.pk}/").content.decode()
    assert 'value="approve"' not in own and "Someone else must approve your own post." in own
    assert 'value="approve"' in owner_client.get(f"/w/acme/posts/{post.pk}/").content.decode()
    # Forcing it is refused by the service.
    manager_client.post(f"/w/acme/posts/{post.pk}/review/", {"decision": "approve"})
    assert Post.objects.get(pk=post.pk).status == P.IN_REVIEW


def test_approve_and_request_changes(manager_client, agent, draft):
    in_review(draft, agent)
    manager_client.post(
        f"/w/acme/posts/{draft.pk}/review/", {"decision": "request_changes", "comment": "Typo"}
    )
    draft.refresh_from_db()
    assert draft.status == P.CHANGES_REQUESTED
    assert "Typo" in manager_client.get(f"/w/acme/posts/{draft.pk}/").content.decode()
    in_review(draft, agent)
    manager_client.post(f"/w/acme/posts/{draft.pk}/review/", {"decision": "approve", "comment": "Lovely"})
    draft.refresh_from_db()
    assert draft.status == P.APPROVED


def test_review_queue_lists_posts_waiting(manager_client, agent, draft, django_assert_max_num_queries):
    in_review(draft, agent)
    assert "Fresh croissants" in manager_client.get("/w/acme/posts/review/").content.decode()


# --- Scheduling --------------------------------------------------------------------------------------------


def test_schedule_converts_the_workspace_local_time_to_utc(agent_client, agent, manager, workspace, draft):
    workspace.timezone = "Europe/Paris"
    workspace.save(update_fields=["timezone"])
    in_review(draft, agent)
    services.review_approve(post=draft, by=member(manager))
    response = agent_client.post(
        f"/w/acme/posts/{draft.pk}/schedule/", {"date": "2031-05-04", "time": "11:00"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == P.SCHEDULED
    assert draft.scheduled_at == dt.datetime(2031, 5, 4, 9, 0, tzinfo=dt.UTC)  # CEST is UTC+2
    page = agent_client.get(f"/w/acme/posts/{draft.pk}/").content.decode()
    assert 'value="2031-05-04"' in page and 'value="11:00"' in page

    agent_client.post(f"/w/acme/posts/{draft.pk}/schedule/", {"date": "2031-12-24", "time": "18:30"})
    draft.refresh_from_db()
    assert draft.status == P.SCHEDULED
    assert draft.scheduled_at == dt.datetime(2031, 12, 24, 17, 30, tzinfo=dt.UTC)  # CET is UTC+1


def test_history_tells_who_did_what_in_words_at_workspace_times(
    agent_client, agent, manager, workspace, draft
):
    workspace.timezone = "Europe/Paris"
    workspace.save(update_fields=["timezone"])
    in_review(draft, agent)
    services.review_approve(post=draft, by=member(manager))
    agent_client.post(f"/w/acme/posts/{draft.pk}/schedule/", {"date": "2031-12-24", "time": "18:30"})
    page = agent_client.get(f"/w/acme/posts/{draft.pk}/").content.decode()
    history = page[page.index('id="history-title"') :]
    agent_name, manager_name = agent.name or agent.email, manager.name or manager.email
    for sentence in (
        f"{agent_name} wrote this post",
        f"{agent_name} sent it for review",
        f"{manager_name} approved it",
        # Paris time, as it was chosen, in the one format for instants
        f'{agent_name} scheduled it for <time datetime="2031-12-24T18:30:00+01:00">'
        "Dec 24, 2031, 6:30 PM</time>",
    ):
        assert sentence in history
    assert "<code>" not in history and "2031-12-24T17:30" not in history


def test_schedule_needs_a_date_and_time(agent_client, agent, manager, draft):
    in_review(draft, agent)
    services.review_approve(post=draft, by=member(manager))
    agent_client.post(f"/w/acme/posts/{draft.pk}/schedule/", {"date": "soon"})
    assert Post.objects.get(pk=draft.pk).status == P.APPROVED


def test_cancel(agent_client, draft):
    agent_client.post(f"/w/acme/posts/{draft.pk}/cancel/")
    assert Post.objects.get(pk=draft.pk).status == P.CANCELLED


def test_failed_target_shows_its_error_and_can_be_retried(agent_client, agent, manager, draft):
    scheduled(draft, agent, manager)
    Post.objects.filter(pk=draft.pk).update(status=P.FAILED)
    target = draft.targets.first()
    PostTarget.objects.filter(pk=target.pk).update(status=T.FAILED, error="The network said no.")
    page = agent_client.get(f"/w/acme/posts/{draft.pk}/").content.decode()
    assert "The network said no." in page and f"/posts/targets/{target.pk}/retry/" in page
    agent_client.post(f"/w/acme/posts/targets/{target.pk}/retry/")
    target.refresh_from_db()
    assert target.status == T.SCHEDULED and target.error == ""
    assert Post.objects.get(pk=draft.pk).status == P.PUBLISHING


# --- Calendar ----------------------------------------------------------------------------------------------


def test_calendar_links_each_published_copy(owner_client, agent, manager, workspace, draft):
    scheduled(draft, agent, manager, when=dt.datetime(2031, 5, 4, 10, 0, tzinfo=dt.UTC))
    x_target, facebook_target = draft.targets.order_by("channel__network").reverse()
    PostTarget.objects.filter(pk=x_target.pk).update(
        status=T.PUBLISHED, permalink="https://x.com/acme/status/42", external_id="42"
    )
    PostTarget.objects.filter(pk=facebook_target.pk).update(status=T.FAILED, error="No.")
    Post.objects.filter(pk=draft.pk).update(status=P.PARTIALLY_PUBLISHED)
    body = owner_client.get("/w/acme/calendar/?date=2031-05-01").content.decode()
    assert body.count('href="https://x.com/acme/status/42"') == 1
    assert "facebook.com" not in body  # the failed copy has no link


def test_calendar_places_posts_on_the_local_day(owner_client, agent, manager, workspace, draft):
    workspace.timezone = "Europe/Paris"
    workspace.save(update_fields=["timezone"])
    scheduled(draft, agent, manager, when=dt.datetime(2031, 5, 4, 22, 30, tzinfo=dt.UTC))  # 00:30 on the 5th
    body = owner_client.get("/w/acme/calendar/?date=2031-05-01").content.decode()
    assert "00:30" in body and f"/w/acme/posts/{draft.pk}/" in body and "network-x" in body
    week = owner_client.get("/w/acme/calendar/?view=week&date=2031-05-05").content.decode()
    assert f"/w/acme/posts/{draft.pk}/" in week
    assert (
        f"/w/acme/posts/{draft.pk}/"
        not in owner_client.get(
            "/w/acme/calendar/?view=week&date=2031-05-04"  # the week before (Monday 28 April - Sunday 4 May)
        ).content.decode()
    )
    # Filters: another channel, or another status, hides it.
    other = Channel.objects.create(workspace=workspace, network="linkedin", external_id="li", name="Li")
    assert (
        f"/posts/{draft.pk}/"
        not in owner_client.get(f"/w/acme/calendar/?date=2031-05-01&channel={other.pk}").content.decode()
    )
    assert (
        f"/posts/{draft.pk}/"
        not in owner_client.get("/w/acme/calendar/?date=2031-05-01&status=published").content.decode()
    )


# --- Query counts ------------------------------------------------------------------------------------------


def _make_posts(count, agent, manager, channels, when=LATER):
    for n in range(count):
        post = services.post_create(author=member(agent), text=f"Post {n}", channels=channels)
        scheduled(post, agent, manager, when=when + dt.timedelta(hours=n))


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["/w/acme/posts/", "/w/acme/calendar/?date=2031-05-01"])
def test_query_count_does_not_grow_with_posts(owner_client, agent, manager, channels, path):
    """Guards the N+1 on each post's targets and their channels (network badges) and on authors."""
    _make_posts(2, agent, manager, channels)
    owner_client.get(path)  # the first visit also records the user's last workspace
    few = _queries(owner_client, path)
    _make_posts(5, agent, manager, channels)
    assert _queries(owner_client, path) == few


def test_a_post_title_is_stored_on_one_line_and_the_review_mails_go_out(
    agent_client, manager_client, channels, django_capture_on_commit_callbacks
):
    """The title names the post in mail subjects: a line break in it used to make submitting (mail to the
    reviewers) and approving (mail to the author) answer 500 after the change was saved."""
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            "/w/acme/posts/new/",
            {"title": "Launch\r\nday", "text": "Short", "channels": [channels[1].pk], "action": "submit"},
        )
    post = Post.objects.get()
    assert response.status_code == 302 and post.status == P.IN_REVIEW
    assert post.title == "Launch day"
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(f"/w/acme/posts/{post.pk}/review/", {"decision": "approve"})
    assert response.status_code in (200, 302)
    assert Post.objects.get(pk=post.pk).status == P.APPROVED
    assert mail.outbox[-1].subject == "Your post “Launch day” was approved"


def test_an_untitled_post_whose_text_has_line_breaks_still_mails_its_author(
    agent_client, manager_client, channels, django_capture_on_commit_callbacks
):
    """Without a title the subject quotes the text, which has line breaks by nature: the mail still goes."""
    agent_client.post(
        "/w/acme/posts/new/",
        {"text": "Fresh bread\r\nat 8", "channels": [channels[1].pk], "action": "submit"},
    )
    post = Post.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(f"/w/acme/posts/{post.pk}/review/", {"decision": "approve"})
    assert response.status_code in (200, 302)
    assert mail.outbox[-1].subject == "Your post “Fresh bread at 8” was approved"


# --- Large uploads -----------------------------------------------------------------------------------------

BOUNDARY = "cmhub-test-boundary"


class GeneratedUpload:
    """A multipart body with one file of `size` generated bytes, made as it is read: the test holds none of
    it, so what tracemalloc sees is what the server side allocates."""

    def __init__(self, size: int, fields: dict[str, str]):
        head = "".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in fields.items()
        )
        head += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="upload"; filename="huge.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        )
        self.head, self.tail = head.encode(), f"\r\n--{BOUNDARY}--\r\n".encode()
        self.file_size = size
        self.length = len(self.head) + size + len(self.tail)
        self.position = 0

    def _byte_at_range(self, start: int, end: int) -> bytes:
        head_end, file_end = len(self.head), len(self.head) + self.file_size
        out = []
        if start < head_end:
            out.append(self.head[start : min(end, head_end)])
        if end > head_end and start < file_end:
            out.append(b"\x89" * (min(end, file_end) - max(start, head_end)))  # never "\r\n--"
        if end > file_end:
            out.append(self.tail[max(start - file_end, 0) : end - file_end])
        return b"".join(out)

    def read(self, size: int = -1) -> bytes:
        end = self.length if size is None or size < 0 else min(self.length, self.position + size)
        data = self._byte_at_range(self.position, end)
        self.position = end
        return data

    def readline(self, size: int = -1) -> bytes:
        raise NotImplementedError  # the multipart parser only reads


def post_streamed(client, url: str, body: GeneratedUpload):
    return client.generic(
        "POST",
        url,
        **{
            "wsgi.input": body,
            "CONTENT_LENGTH": str(body.length),
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        },
    )


def _stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_request_over_the_size_limit_is_refused_before_its_body_is_read(agent_client, channels, settings):
    body = GeneratedUpload(100 * 1024 * 1024, {"text": "Hi", "channels": str(channels[0].pk)})
    tracemalloc.start()
    try:
        response = post_streamed(agent_client, "/w/acme/posts/new/", body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert body.position == 0  # not one byte of the body was read
    assert peak < 5 * 1024 * 1024
    assert not Post.objects.exists() and not MediaAsset.objects.exists() and not _stored_files(settings)


def test_an_image_over_the_upload_limit_is_refused_in_the_form_without_being_read_into_memory(
    agent_client, channels, settings
):
    # A request limit above the file lets the 60 MB body reach the composer, which refuses the file.
    settings.REQUEST_MAX_BYTES = 128 * 1024 * 1024
    body = GeneratedUpload(60 * 1024 * 1024, {"text": "Hi", "channels": str(channels[0].pk)})
    tracemalloc.start()
    try:
        response = post_streamed(agent_client, "/w/acme/posts/new/", body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 200
    assert "The file weighs 60.0 MB; the limit is 20.0 MB." in response.content.decode()
    assert body.position == body.length  # streamed through (to a temporary file), not held
    assert peak < 8 * 1024 * 1024  # far below the 20 MB limit, let alone the 60 MB file
    assert not Post.objects.exists() and not MediaAsset.objects.exists() and not _stored_files(settings)


def test_a_network_permalink_is_shown_only_when_it_is_http(agent_client, draft):
    """Permalinks come from the network: they go through the same URL filter as every network link."""
    from django.urls import reverse

    targets = list(draft.targets.all())
    PostTarget.objects.filter(pk=targets[0].pk).update(permalink="javascript:alert(document.domain)")
    PostTarget.objects.filter(pk=targets[1].pk).update(permalink="https://x.com/acme/status/1")
    for url in (
        reverse("post_detail", args=[draft.workspace.slug, draft.pk]),
        reverse("posts", args=[draft.workspace.slug]),
    ):
        page = agent_client.get(url).content.decode()
        assert "javascript:" not in page, url
    detail = agent_client.get(reverse("post_detail", args=[draft.workspace.slug, draft.pk])).content.decode()
    assert 'href="https://x.com/acme/status/1"' in detail

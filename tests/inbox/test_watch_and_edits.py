"""Posts a brand is asked about whatever their age, visitor posts, and comments edited or deleted on the
network (issue 13, items 4 and 9): the poll task against the Graph fake over real HTTP, into the inbox."""

from __future__ import annotations

import datetime as dt

import pytest

from inbox.models import Conversation, Message
from inbox.signals import messages_stored
from networks import tasks
from networks.fakes.graph import GraphFake
from networks.models import Channel, WatchSettings
from networks.signals import items_reread
from tests.publishing_fakes import facebook_channel

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def ago(**delta: float) -> dt.datetime:
    return NOW - dt.timedelta(**delta)


@pytest.fixture
def fake():
    with GraphFake(page_size=5) as graph:
        graph.page = graph.add_page("Acme Bakery", page_id="777")
        yield graph


@pytest.fixture
def channel(fake, workspace, owner) -> Channel:
    channel = facebook_channel(fake, fake.page, workspace, owner)
    # History import done: the recent window is the workspace's setting, not the connection's choice.
    Channel.objects.filter(pk=channel.pk).update(backfill_status=Channel.Backfill.DONE)
    channel.refresh_from_db()
    return channel


def poll(channel: Channel):
    channel.refresh_from_db()
    return tasks.poll_once(channel)


def interval_passed(channel: Channel) -> None:
    """What the sweep interval does: the next poll sweeps and re-reads again."""
    channel.refresh_from_db()
    sweep = channel.cursor["sweep"]
    sweep["next_at"] = sweep["reread_at"] = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
    Channel.objects.filter(pk=channel.pk).update(cursor=channel.cursor)


def texts(channel: Channel) -> list[str]:
    return sorted(Message.objects.filter(channel=channel).values_list("text", flat=True))


def test_a_comment_on_a_200_day_old_post_arrives_through_the_sweep(fake, channel):
    old = fake.add_post(fake.page.id, "Our winter menu", ago(days=200))
    fake.add_comment(old.id, "Is the chestnut cake back this year?", ago(hours=2))
    fake.add_comment(old.id, "Years-old chatter", ago(days=190))  # older than the recent window

    run = poll(channel)

    assert run.outcome == "ok"
    assert texts(channel) == ["Is the chestnut cake back this year?"]
    conversation = Conversation.objects.get(channel=channel)
    assert conversation.post_external_id == old.id
    assert conversation.post_text == "Our winter menu"


def test_without_the_sweep_the_old_post_is_not_read(fake, channel, workspace):
    """The guard the previous test needs: with the sweep off, only recent posts are watched."""
    WatchSettings.objects.create(workspace=workspace, sweep_days=0)
    old = fake.add_post(fake.page.id, "Our winter menu", ago(days=200))
    fake.add_comment(old.id, "Is the chestnut cake back this year?", ago(hours=2))

    poll(channel)

    assert texts(channel) == []


def test_the_sweep_reaches_no_further_back_than_the_setting(fake, channel, workspace):
    WatchSettings.objects.create(workspace=workspace, sweep_days=100)
    old = fake.add_post(fake.page.id, "Ancient", ago(days=200))
    fake.add_comment(old.id, "Fresh words on an ancient post", ago(hours=2))
    middle = fake.add_post(fake.page.id, "Spring", ago(days=60))
    fake.add_comment(middle.id, "Still selling the spring box?", ago(hours=1))

    poll(channel)

    assert texts(channel) == ["Still selling the spring box?"]


def test_a_recent_post_beyond_the_recent_count_is_swept(fake, channel, workspace):
    WatchSettings.objects.create(workspace=workspace, recent_posts=1)
    older = fake.add_post(fake.page.id, "Tuesday's bread", ago(days=2))
    fake.add_comment(older.id, "Any rye left?", ago(hours=1))
    fake.add_post(fake.page.id, "Wednesday's bread", ago(days=1))

    poll(channel)

    assert texts(channel) == ["Any rye left?"]


def test_the_first_poll_reads_each_thread_once(fake, channel):
    post = fake.add_post(fake.page.id, "Croissant day", ago(hours=5))
    fake.add_comment(post.id, "Lovely!", ago(hours=4))

    poll(channel)

    reads = [r for r in fake.requests if r.path.endswith(f"/{post.id}/comments")]
    assert len(reads) == 1  # the walk; the first re-read waits one interval


def test_a_long_sweep_is_bounded_per_poll_and_resumes(fake, channel, workspace):
    WatchSettings.objects.create(workspace=workspace, sweep_posts_per_run=2)
    for n in range(5):
        post = fake.add_post(fake.page.id, f"Old post {n}", ago(days=30 + n))
        fake.add_comment(post.id, f"Question {n}", ago(hours=1, minutes=n))

    poll(channel)
    assert len(texts(channel)) == 2
    poll(channel)
    assert len(texts(channel)) == 4
    poll(channel)
    assert texts(channel) == [f"Question {n}" for n in range(5)]
    channel.refresh_from_db()
    assert channel.cursor["sweep"]["until"] is None  # the pass is complete: the next one waits


def test_a_visitor_post_arrives_with_its_comments_in_one_conversation(fake, channel):
    visitor = {"id": "6857463213", "name": "Ada Visitor"}
    post = fake.add_visitor_post(fake.page.id, "My order never came!", ago(hours=3), author=visitor)
    fake.add_comment(post.id, "Same here", ago(hours=2))

    poll(channel)

    conversation = Conversation.objects.get(channel=channel)
    assert conversation.root_external_id == post.id
    messages = list(conversation.messages.order_by("created_at"))
    assert [(m.kind, m.text) for m in messages] == [
        ("visitor_post", "My order never came!"),
        ("comment", "Same here"),
    ]
    assert messages[0].author_contact.name == "Ada Visitor"
    poll(channel)
    assert Message.objects.filter(channel=channel).count() == 2  # seen once


def test_an_edited_comment_shows_the_new_words_and_keeps_the_old(
    fake, channel, django_capture_on_commit_callbacks
):
    post = fake.add_post(fake.page.id, "Croissant day", ago(hours=5))
    comment = fake.add_comment(post.id, "Do you open at 7?", ago(hours=4))
    announced: list[list[int]] = []

    def count(sender, **kwargs):
        announced.append(kwargs["inbound_ids"])

    messages_stored.connect(count)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            poll(channel)
        assert len(announced) == 1  # the new comment was announced (triage, notifications)
        fake.edit_comment(comment.id, "Do you open at 7 on Sundays?")
        interval_passed(channel)
        with django_capture_on_commit_callbacks(execute=True):
            poll(channel)
    finally:
        messages_stored.disconnect(count)

    message = Message.objects.get(channel=channel)
    assert message.text == "Do you open at 7 on Sundays?"
    assert [v["text"] for v in message.previous_texts] == ["Do you open at 7?"]
    assert message.edited_at is not None
    assert len(announced) == 1  # the edit is not announced as a new message
    assert Conversation.objects.get(channel=channel).preview == "Do you open at 7 on Sundays?"


def test_the_search_finds_the_edited_words(fake, channel):
    from inbox.search import message_condition

    post = fake.add_post(fake.page.id, "Croissant day", ago(hours=5))
    comment = fake.add_comment(post.id, "Do you open early?", ago(hours=4))
    poll(channel)
    fake.edit_comment(comment.id, "Do you sell pistachio croissants?")
    interval_passed(channel)
    poll(channel)

    found = Message.objects.filter(message_condition("pistachio"), channel=channel)
    assert [m.external_id for m in found] == [comment.id]


def test_a_deleted_comment_is_marked_deleted_not_removed(fake, channel):
    post = fake.add_post(fake.page.id, "Croissant day", ago(hours=5))
    kept = fake.add_comment(post.id, "Lovely!", ago(hours=4))
    gone = fake.add_comment(post.id, "Something regretted", ago(hours=3))
    poll(channel)

    fake.delete_object(gone.id)
    interval_passed(channel)
    poll(channel)

    deleted = Message.objects.get(channel=channel, external_id=gone.id)
    assert deleted.deleted_at is not None
    assert deleted.text == "Something regretted"  # kept for the agent
    assert Message.objects.get(channel=channel, external_id=kept.id).deleted_at is None


def test_an_incomplete_listing_marks_nothing_deleted(fake, channel, monkeypatch):
    """Only a post read top to bottom says what is gone: a listing cut short deletes nothing."""
    from networks.providers import facebook_watch

    monkeypatch.setattr(facebook_watch, "MAX_REREAD_PAGES", 1)
    post = fake.add_post(fake.page.id, "Busy post", ago(hours=5))
    # More than one page of 100 (the page size a poll asks for).
    comments = [fake.add_comment(post.id, f"Comment {n}", ago(hours=4, seconds=-n)) for n in range(105)]
    poll(channel)
    fake.delete_object(comments[0].id)  # the oldest: on a page the cut re-read never reaches
    interval_passed(channel)
    seen: list[list] = []

    def keep(sender, **kwargs):
        seen.append(kwargs["listings"])

    items_reread.connect(keep)
    try:
        poll(channel)
    finally:
        items_reread.disconnect(keep)

    assert Message.objects.filter(channel=channel, deleted_at__isnull=False).count() == 0
    assert seen and all(listing == [] for listing in seen)


def test_the_thread_shows_the_edit_with_the_old_words_and_the_deletion(fake, channel, owner_client):
    from django.urls import reverse

    post = fake.add_post(fake.page.id, "Croissant day", ago(hours=5))
    edited = fake.add_comment(post.id, "Open at 7?", ago(hours=4), author={"id": "p1", "name": "Pat"})
    gone = fake.add_comment(post.id, "Rude words", ago(hours=3), author={"id": "p1", "name": "Pat"})
    poll(channel)
    fake.edit_comment(edited.id, "Open at 7 on Sundays?")
    fake.delete_object(gone.id)
    interval_passed(channel)
    poll(channel)

    conversation = Conversation.objects.get(channel=channel, root_external_id=edited.id)
    slug = channel.workspace.slug
    page = owner_client.get(reverse("inbox_conversation", args=[slug, conversation.pk]))
    assert page.status_code == 200
    assert "Open at 7 on Sundays?" in page.text
    assert "Earlier version" in page.text and "Open at 7?" in page.text
    assert "Edited" in page.text

    deleted = Conversation.objects.get(channel=channel, root_external_id=gone.id)
    page = owner_client.get(reverse("inbox_conversation", args=[slug, deleted.pk]))
    assert "Deleted on the network" in page.text
    assert "Rude words" in page.text  # kept for the agent to see
    assert "is-deleted" in page.text


def test_an_instagram_comment_deleted_on_the_network_is_marked_deleted(workspace, owner):
    from tests.publishing_fakes import instagram_account

    with instagram_account(workspace, owner) as ig:
        media = ig.add_media(ig.ig_user.id, "New croissant", ago(hours=5))
        kept = ig.add_ig_comment(media.id, "Looks great", ago(hours=4), username="ana")
        gone = ig.add_ig_comment(media.id, "Meh", ago(hours=3), username="bob")
        reply = ig.add_ig_comment(media.id, "Agreed", ago(hours=2), username="cy", parent_id=kept.id)
        poll(ig.channel)
        assert Message.objects.filter(channel=ig.channel).count() == 3

        ig.delete_object(gone.id)
        poll(ig.channel)

    states = dict(Message.objects.filter(channel=ig.channel).values_list("external_id", "deleted_at"))
    assert states[gone.id] is not None
    assert states[kept.id] is None and states[reply.id] is None

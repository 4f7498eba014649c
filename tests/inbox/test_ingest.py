"""Ingestion: every message once, in the right conversation, with exact counters, whatever the replays."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from inbox.ingest import message_ingest_batch
from inbox.models import Contact, Conversation, InboxPolicy, Message
from networks.providers import base as p


def test_a_batch_becomes_contacts_conversations_and_messages(channel, make_item):
    question = make_item("Vous êtes ouverts dimanche ?", author="fan-1")
    answer_from_friend = make_item(
        "Oui jusqu'à 13h !", parent=question.external_id, author="fan-2", name="Tom"
    )
    other = make_item("Best croissants 🥐", author="fan-3", name="Sam")
    result = message_ingest_batch(channel=channel, items=[question, answer_from_friend, other])
    assert len(result.new_message_ids) == 3
    assert Conversation.objects.count() == 2  # the reply joined its parent's thread
    thread = Conversation.objects.get(root_external_id=question.external_id)
    assert thread.message_count == 2 and thread.preview == "Oui jusqu'à 13h !"
    assert thread.contact.external_id == "fan-1" and thread.status == Conversation.Status.OPEN
    assert Contact.objects.count() == 3
    assert Message.objects.get(external_id=answer_from_friend.external_id).author_contact.name == "Tom"


def test_replaying_the_same_batch_five_times_stores_it_once(channel, make_item):
    items = [make_item(f"message {n}") for n in range(20)]
    for _ in range(5):
        message_ingest_batch(channel=channel, items=items)
    assert Message.objects.count() == 20
    assert sum(Conversation.objects.values_list("message_count", flat=True)) == 20
    assert Contact.objects.get().message_count == 20


def test_duplicates_inside_one_batch_are_stored_once(channel, make_item):
    item = make_item("twice")
    message_ingest_batch(channel=channel, items=[item, item])
    assert Message.objects.count() == 1 and Conversation.objects.get().message_count == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_store_each_message_once(workspace, make_item):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them")
    from networks.models import Channel

    channel = Channel.objects.create(
        workspace=workspace,
        network="facebook",
        external_id="PAGE1",
        name="P",
        api_base_url="http://127.0.0.1:9",
    )
    items = [make_item(f"message {n}", root=f"root-{n % 7}") for n in range(60)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(5)

    def replay():
        try:
            barrier.wait()
            message_ingest_batch(channel=channel, items=items)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=replay) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert Message.objects.count() == 60
    assert Conversation.objects.count() == 7
    assert sum(Conversation.objects.values_list("message_count", flat=True)) == 60


def test_a_resolved_conversation_reopens_on_a_new_inbound_message(channel, make_item):
    first = make_item("Ma commande n'est pas arrivée")
    message_ingest_batch(channel=channel, items=[first])
    Conversation.objects.update(status=Conversation.Status.RESOLVED)
    result = message_ingest_batch(
        channel=channel, items=[make_item("Toujours rien…", parent=first.external_id)]
    )
    assert result.reopened == 1
    assert Conversation.objects.get().status == Conversation.Status.OPEN


def test_a_pending_conversation_reopens_when_the_customer_writes_again(channel, make_item):
    first = make_item("Vous livrez ?")
    message_ingest_batch(channel=channel, items=[first])
    Conversation.objects.update(status=Conversation.Status.PENDING, first_response_at=first.created_at)
    again = make_item("Alors ?", parent=first.external_id)
    assert message_ingest_batch(channel=channel, items=[again]).reopened == 1
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.OPEN and conversation.first_response_at is None


@pytest.mark.parametrize(
    ("after_reply", "status"), [("open", "open"), ("pending", "pending"), ("resolved", "resolved")]
)
def test_an_answer_written_on_the_network_itself_answers_the_conversation(
    channel, make_item, workspace, after_reply, status
):
    InboxPolicy.objects.create(workspace=workspace, after_reply=after_reply)
    question = make_item("Allergènes ?")
    message_ingest_batch(channel=channel, items=[question])
    Conversation.objects.update(priority=Conversation.Priority.URGENT)
    direct = make_item("Sans fruits à coque.", parent=question.external_id, author="PAGE1", name="Acme Page")
    message_ingest_batch(channel=channel, items=[direct])
    conversation = Conversation.objects.get()
    assert conversation.status == status
    assert conversation.priority == Conversation.Priority.NORMAL
    assert (conversation.preview, conversation.preview_outbound) == ("Sans fruits à coque.", True)
    assert conversation.last_reply_at == direct.created_at


def test_an_answer_older_than_the_customers_last_message_does_not_answer_it(channel, make_item):
    question = make_item("Allergènes ?")
    message_ingest_batch(channel=channel, items=[question])
    ours = make_item("Sans fruits à coque.", parent=question.external_id, author="PAGE1")
    later = make_item("Et sans gluten ?", parent=question.external_id)
    message_ingest_batch(channel=channel, items=[ours, later])
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.OPEN and not conversation.preview_outbound


def test_our_own_reply_seen_again_is_not_duplicated(channel, make_item):
    question = make_item("Prix du fraisier ?")
    message_ingest_batch(channel=channel, items=[question])
    conversation = Conversation.objects.get()
    Message.objects.create(
        workspace=channel.workspace,
        conversation=conversation,
        channel=channel,
        external_id="our-reply-1",
        direction=Message.Direction.OUT,
        send_status=Message.SendStatus.SENT,
        text="32 € pour 8 personnes",
    )
    echo = make_item(
        "32 € pour 8 personnes", parent=question.external_id, author="PAGE1", external_id="our-reply-1"
    )
    assert message_ingest_batch(channel=channel, items=[echo]).new_message_ids == []
    assert Message.objects.count() == 2


def test_something_we_posted_on_the_network_directly_is_outbound(channel, make_item):
    question = make_item("Allergènes ?")
    direct = make_item("Sans fruits à coque.", parent=question.external_id, author="PAGE1", name="Acme Page")
    message_ingest_batch(channel=channel, items=[question, direct])
    stored = Message.objects.get(external_id=direct.external_id)
    assert stored.direction == Message.Direction.OUT and stored.send_status == Message.SendStatus.SENT
    assert not Contact.objects.filter(external_id="PAGE1").exists()


def test_first_response_due_time_follows_the_policy(channel, make_item, workspace):
    InboxPolicy.objects.create(workspace=workspace, first_response_minutes=30)
    at = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    message_ingest_batch(channel=channel, items=[make_item("Hello?", at=at)])
    assert Conversation.objects.get().first_response_due_at == at + dt.timedelta(minutes=30)


def test_query_count_does_not_grow_with_the_batch(channel, make_item, django_assert_num_queries):
    """Guards against per-item queries creeping into ingestion (an N+1 at 3,000 messages/s)."""
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(conn) as small:
        message_ingest_batch(channel=channel, items=[make_item(f"s{n}", author=f"a{n}") for n in range(5)])
    with CaptureQueriesContext(conn) as large:
        message_ingest_batch(channel=channel, items=[make_item(f"l{n}", author=f"b{n}") for n in range(300)])
    assert len(large.captured_queries) == len(small.captured_queries) <= 14


def test_polled_items_land_in_the_inbox(workspace, owner, x_fake_for_inbox):
    from networks import tasks

    channel, fake, brand = x_fake_for_inbox
    fan = fake.add_user("lea", "Léa")
    first = fake.add_mention(brand, fan, "@demobakery vous livrez ?")
    fake.add_tweet(fan, "@demobakery (et le dimanche ?)", in_reply_to=first)
    tasks.poll_once(channel)
    tasks.poll_once(channel)  # a second poll stores nothing twice
    assert Message.objects.filter(channel=channel).count() == 2
    conversation = Conversation.objects.get(channel=channel)
    assert conversation.kind == Conversation.Kind.MENTION and conversation.message_count == 2


@pytest.fixture
def x_fake_for_inbox(workspace, owner, db):
    from networks import services
    from networks.fakes.x import XFake
    from networks.models import NetworkApp

    with XFake() as fake:
        NetworkApp.objects.create(network="x", client_id=fake.client_id, api_base_url=fake.base_url)
        brand = fake.add_user("demobakery", "Demo Bakery")
        token = fake.issue_token(brand)
        channel = services.channel_connect(
            workspace=workspace,
            network="x",
            external_id=brand,
            name="Demo Bakery",
            api_base_url=fake.base_url,
            credentials=p.Credentials(
                access_token=token["access_token"], refresh_token=token["refresh_token"]
            ),
            by=owner,
        )
        yield channel, fake, brand


def test_payloads_and_attachments_are_stored_as_json(channel, make_item):
    import dataclasses

    item = dataclasses.replace(
        make_item("Photo du gâteau"),
        attachments=(p.Attachment(kind="image", url="https://cdn.example/cake.jpg"),),
        raw={"id": "c1", "from": {"id": "fan-1", "name": "Léa"}, "nested": [1, 2, {"ok": True}]},
    )
    message_ingest_batch(channel=channel, items=[item])
    stored = Message.objects.get(external_id=item.external_id)
    assert stored.raw == item.raw
    assert stored.attachments == [
        {"kind": "image", "url": "https://cdn.example/cake.jpg", "preview_url": "", "title": ""}
    ]


def test_search_vector_is_filled_on_postgresql(channel, make_item):
    if connection.vendor != "postgresql":
        pytest.skip("full-text search vectors exist on PostgreSQL only")
    from django.contrib.postgres.search import SearchQuery

    message_ingest_batch(
        channel=channel, items=[make_item("Vous livrez les gâteaux à Lyon ?"), make_item("Hello")]
    )
    french = Message.objects.filter(search_vector=SearchQuery("livraison gâteau", config="french"))
    assert french.count() == 0  # a different word: stemming is not magic
    # The vector holds the words with their accents folded (queries are folded the same way).
    assert Message.objects.filter(search_vector=SearchQuery("gateaux", config="french")).count() == 1
    assert Message.objects.filter(search_vector=SearchQuery("gâteaux", config="french")).count() == 0
    assert Message.objects.filter(search_vector=SearchQuery("hello", config="english")).count() == 1


def test_the_post_a_thread_is_about_is_stored_from_the_payload(channel, make_item):
    import dataclasses

    first = dataclasses.replace(
        make_item("Vous livrez ?"), post_text="Nouveaux croissants", post_permalink="https://facebook.com/p1"
    )
    message_ingest_batch(channel=channel, items=[first])
    conversation = Conversation.objects.get()
    assert (conversation.post_text, conversation.post_permalink) == (
        "Nouveaux croissants",
        "https://facebook.com/p1",
    )
    edited = dataclasses.replace(
        make_item("Et demain ?", parent=first.external_id), post_text="Nouveaux croissants (édité)"
    )
    message_ingest_batch(channel=channel, items=[edited])
    conversation.refresh_from_db()
    assert conversation.post_text == "Nouveaux croissants (édité)"
    assert conversation.post_permalink == "https://facebook.com/p1"  # kept when a payload lacks it


def test_a_post_of_ours_once_published_names_the_threads_already_under_it(channel, make_item):
    """A comment can arrive (by webhook) before the publish is stored: its thread gets the post's words and
    address where it lacks them, and keeps what its own payload said."""
    import dataclasses

    from inbox.ingest import published_post_store
    from inbox.models import PublishedPost

    bare = dataclasses.replace(make_item("First!"), post_external_id="p9")
    told = dataclasses.replace(make_item("Yum"), post_external_id="p9", post_text="Their caption")
    elsewhere = dataclasses.replace(make_item("Other post"), post_external_id="p8")
    message_ingest_batch(channel=channel, items=[bare, told, elsewhere])

    published_post_store(
        channel_id=channel.pk,
        external_id="p9",
        text=" Our words ",
        image_name="",
        permalink="https://fb.test/p9",
    )
    threads = {c.root_external_id: c for c in Conversation.objects.all()}
    assert (threads[bare.external_id].post_text, threads[bare.external_id].post_permalink) == (
        "Our words",
        "https://fb.test/p9",
    )
    assert (threads[told.external_id].post_text, threads[told.external_id].post_permalink) == (
        "Their caption",
        "https://fb.test/p9",
    )
    assert (threads[elsewhere.external_id].post_text, threads[elsewhere.external_id].post_permalink) == (
        "",
        "",
    )

    # Told again (a retried step): one row, with the latest words; the threads keep theirs.
    published_post_store(
        channel_id=channel.pk, external_id="p9", text="Our words, edited", image_name="", permalink=""
    )
    assert list(PublishedPost.objects.values_list("external_id", "text")) == [("p9", "Our words, edited")]
    assert Conversation.objects.get(root_external_id=bare.external_id).post_text == "Our words"


def test_a_review_is_its_own_thread_with_its_stars_and_a_held_comment_is_stored_hidden(channel, make_item):
    import dataclasses

    review = dataclasses.replace(make_item("Service très lent.", kind=p.ItemKind.REVIEW), rating=1)
    nonsense = dataclasses.replace(make_item("Great!", kind=p.ItemKind.REVIEW), rating=9)
    held = dataclasses.replace(make_item("Buy followers at spam.example"), held=True)
    message_ingest_batch(channel=channel, items=[review, nonsense, held])
    thread = Conversation.objects.get(root_external_id=review.external_id)
    assert thread.kind == Conversation.Kind.REVIEW and thread.rating == 1
    assert Message.objects.get(external_id=review.external_id).rating == 1
    # A rating no network gives is not stored (and would break the constraint): the review is kept.
    assert Message.objects.get(external_id=nonsense.external_id).rating is None
    assert Conversation.objects.get(root_external_id=nonsense.external_id).rating is None
    assert Message.objects.get(external_id=held.external_id).hidden is True


def test_on_postgresql_bulk_created_messages_go_as_one_array_per_column(channel):
    """Not a placeholder per value: with tsvector unknown to the backend, Django sent ~15,000 per chunk."""
    if connection.vendor != "postgresql":
        pytest.skip("UNNEST is PostgreSQL's bulk insert")
    from django.test.utils import CaptureQueriesContext

    conversation = Conversation.objects.create(
        workspace=channel.workspace, channel=channel, kind="comment", root_external_id="root"
    )
    rows = [
        Message(workspace=channel.workspace, channel=channel, conversation=conversation, external_id=f"m{n}")
        for n in range(50)
    ]
    with CaptureQueriesContext(connection) as queries:
        Message.objects.bulk_create(rows)
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "inbox_message"')]
    assert len(inserts) == 1 and "UNNEST" in inserts[0]
    assert Message.objects.filter(search_vector__isnull=False).count() == 50  # the trigger still fills it

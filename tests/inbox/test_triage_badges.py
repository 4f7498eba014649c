"""Triage badges in the inbox (list rows: the latest inbound message; thread: every inbound message) and the
list's intent filter (the conversation's latest triaged inbound message)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assistant.models import MessageTriage
from inbox.ingest import message_ingest_batch
from inbox.models import Conversation, Message

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _triage(message: Message, *, intent="question", language="fr", sentiment=0.0, spam=0.0) -> MessageTriage:
    return MessageTriage.objects.create(
        message=message,
        language=language,
        sentiment=sentiment,
        intent=intent,
        priority=1,
        spam_score=spam,
        engine_version="test",
    )


@pytest.fixture
def thread_of(channel, make_item):
    """`thread_of(author, texts)`: one conversation (a thread of comments) from `author`, oldest first."""

    def run(author: str, texts: list[str]) -> tuple[Conversation, list[Message]]:
        first = make_item(texts[0], author=author, name=author.title())
        items = [first] + [make_item(t, author=author, parent=first.external_id) for t in texts[1:]]
        message_ingest_batch(channel=channel, items=items)
        messages = list(Message.objects.filter(author_contact__handle=author).order_by("created_at", "pk"))
        return messages[0].conversation, messages

    return run


def _row(body: str, conversation: Conversation) -> str:
    start = body.index(f'id="conv-{conversation.pk}"')
    return body[start : body.index("</li>", start)]


def test_list_rows_show_the_latest_inbound_messages_triage(manager_client, thread_of):
    angry, (old, new) = thread_of("angry", ["Bonjour", "Toujours rien reçu, c'est inadmissible"])
    _triage(old, intent="question", sentiment=0.5)
    _triage(new, intent="complaint", sentiment=-0.7, language="fr")
    spammer, (spam,) = thread_of("spammer", ["Gagnez 1000 € maintenant"])
    _triage(spam, intent="spam", language="en", spam=0.93)
    quiet, _ = thread_of("quiet", ["Salut"])  # not triaged yet: no badges

    body = manager_client.get("/w/acme/inbox/").content.decode()

    row = _row(body, angry)
    assert "badge-intent-complaint" in row and "badge-sentiment-negative" in row and ">FR<" in row
    assert "badge-intent-question" not in row and "badge-triage-spam" not in row
    row = _row(body, spammer)
    assert "badge-triage-spam" in row and "badge-intent-spam" in row and "badge-sentiment-neutral" in row
    assert "triage-badges" not in _row(body, quiet)


def test_the_thread_shows_each_inbound_messages_badges(manager_client, thread_of):
    conversation, (first, second) = thread_of(
        "lea", ["Merci, super service !", "Et vous ouvrez à quelle heure ?"]
    )
    _triage(first, intent="praise", sentiment=0.8)
    _triage(second, intent="question", language="en")

    body = manager_client.get(f"/w/acme/inbox/{conversation.pk}/").content.decode()

    first_item = body[body.index(f'id="message-{first.pk}"') : body.index(f'id="message-{second.pk}"')]
    assert "badge-intent-praise" in first_item and "badge-sentiment-positive" in first_item
    assert "badge-intent-question" in body[body.index(f'id="message-{second.pk}"') :]
    assert ">EN<" in body


def test_the_intent_filter_uses_the_latest_triage(manager_client, thread_of):
    turned, (old, new) = thread_of("turned", ["Une question ?", "Finalement c'est nul"])
    _triage(old, intent="question")
    _triage(new, intent="complaint")
    asking, (ask,) = thread_of("asking", ["Vous livrez ?"])
    _triage(ask, intent="question")
    untriaged, _ = thread_of("untriaged", ["Bonjour"])

    complaints = manager_client.get("/w/acme/inbox/", {"intent": "complaint"}).content.decode()
    questions = manager_client.get("/w/acme/inbox/", {"intent": "question"}, **HTMX).content.decode()
    everything = manager_client.get("/w/acme/inbox/", {"intent": "nonsense"}).content.decode()
    for extra in ({"status": "all"}, {"sort": "sla"}):  # the other list paths filter the same way
        other = manager_client.get("/w/acme/inbox/", {"intent": "complaint", **extra}).content.decode()
        assert f'id="conv-{turned.pk}"' in other and f'id="conv-{asking.pk}"' not in other

    assert f'id="conv-{turned.pk}"' in complaints and f'id="conv-{asking.pk}"' not in complaints
    assert f'id="conv-{asking.pk}"' in questions and f'id="conv-{turned.pk}"' not in questions
    assert f'id="conv-{untriaged.pk}"' not in complaints + questions
    assert all(f'id="conv-{c.pk}"' in everything for c in (turned, asking, untriaged))  # ignored, said so
    assert 'id="filter-intent"' in complaints and '<option value="complaint" selected>' in complaints


def test_the_thread_query_count_does_not_grow_with_triaged_messages(
    manager_client, thread_of, channel, make_item, django_assert_num_queries
):
    manager_client.get("/w/acme/")
    conversation, messages = thread_of("many", ["Message 0", "Message 1"])
    for m in messages:
        _triage(m)
    url = f"/w/acme/inbox/{conversation.pk}/"
    with CaptureQueriesContext(connection) as small:
        manager_client.get(url)
    items = [
        make_item(f"Encore {n}", author=f"p{n}", parent=conversation.root_external_id) for n in range(10)
    ]
    message_ingest_batch(channel=channel, items=items)
    for m in Message.objects.filter(conversation=conversation, triage__isnull=True):
        _triage(m, intent="complaint")
    assert Message.objects.filter(conversation=conversation).count() == 12
    with django_assert_num_queries(len(small)):  # one query for every message's triage
        body = manager_client.get(url).content.decode()
    thread = body[body.index('id="thread"') : body.index('id="reply-area"')]  # not the list beside it
    assert thread.count("badge-intent-complaint") == 10


@pytest.mark.parametrize(
    ("language", "word", "enter", "escape"),
    [("en", "unknown", "Enter", "Esc"), ("fr", "inconnue", "Entrée", "Échap")],
)
def test_an_unknown_language_and_the_key_names_are_in_the_persons_language(
    manager_client, manager, thread_of, language, word, enter, escape
):
    manager.language = language
    manager.save()
    short, (ok,) = thread_of("short", ["ok"])
    _triage(ok, language="unknown")  # too short to tell

    body = manager_client.get("/w/acme/inbox/").content.decode()

    assert f"</span>{word}</span>" in _row(body, short) and "UNKNOWN" not in body
    assert f"<kbd>{enter}</kbd>" in body and f"<kbd>{escape}</kbd>" in body  # the shortcuts help

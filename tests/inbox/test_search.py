"""Inbox search: one syntax, one set of cases, on both databases.

The same parametrised cases run on SQLite (FTS5) and, in CI, on PostgreSQL (tsvector): words are AND-ed,
"quoted phrases" keep their order, -word excludes, OR offers either, accents and case never matter, and
hostile input finds what its words find, never an error. PostgreSQL's stemming (plurals, verb forms) is
tested on its own in test_selectors.py: SQLite matches whole words.
"""

from __future__ import annotations

import datetime as dt

import pytest

from inbox import search
from inbox.models import Contact, Conversation, Message
from inbox.selectors import InboxFilters, conversation_page
from networks.models import Channel

T0 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)

CORPUS = {
    "refunded": "Ma commande a été remboursée hier soir",
    "cancelled": "Remboursement demandé pour la livraison annulée",
    "fast": "Livraison rapide, merci beaucoup",
    "damaged": "The parcel arrived damaged, refund please",
    "dessert": "Crème brûlée délicieuse au café",
}


def thread(channel, key, text, *, at=T0, contact=None) -> Conversation:
    """A conversation on `channel` holding one message, `text`, whose external id is m-`key`."""
    conversation = Conversation.objects.create(
        workspace=channel.workspace,
        channel=channel,
        contact=contact,
        kind=Conversation.Kind.COMMENT,
        root_external_id=f"root-{key}",
        last_message_at=at,
        preview=text,
    )
    add_message(conversation, key, text, at=at, contact=contact)
    return conversation


def add_message(conversation, key, text, *, at=T0, contact=None) -> Message:
    return Message.objects.create(
        workspace=conversation.workspace,
        channel=conversation.channel,
        conversation=conversation,
        external_id=f"m-{key}",
        text=text,
        created_at=at,
        author_contact=contact,
    )


@pytest.fixture
def corpus(workspace, channel):
    """One conversation per text, each from a contact whose name matches none of the queries."""
    conversations = {}
    for i, (key, text) in enumerate(CORPUS.items()):
        contact = Contact.objects.create(
            workspace=workspace, network=channel.network, external_id=f"fan-{i}", name=f"Zoé Quintal {i}"
        )
        conversation = thread(channel, key, text, at=T0 + dt.timedelta(minutes=i), contact=contact)
        conversations[conversation.pk] = key
    return conversations


def found(workspace, user, corpus, q) -> set[str]:
    rows = conversation_page(
        workspace=workspace, user=user, filters=InboxFilters(q=q), now=T0 + dt.timedelta(hours=1)
    ).rows
    return {corpus[c.pk] for c in rows}


CASES = [
    # Accents and case are folded on both sides.
    ("remboursee", {"refunded"}),
    ("remboursée", {"refunded"}),
    ("REMBOURSÉE", {"refunded"}),
    ("creme brulee", {"dessert"}),
    ("Crème Brûlée", {"dessert"}),
    # Words are AND-ed.
    ("livraison merci", {"fast"}),
    ("livraison parcel", set()),
    # Phrases keep their order.
    ('"livraison annulée"', {"cancelled"}),
    ('"livraison annulee"', {"cancelled"}),
    ('"annulée livraison"', set()),
    # Exclusion.
    ("livraison -remboursement", {"fast"}),
    ("livraison -rapide", {"cancelled"}),
    ('livraison -"livraison annulée"', {"fast"}),
    ("-livraison", {"refunded", "damaged", "dessert"}),
    # OR.
    ("livraison OR refund", {"cancelled", "fast", "damaged"}),
    ("parcel OR café", {"damaged", "dessert"}),
    ("rapide livraison OR café", {"fast", "dessert"}),
    # Hostile or malformed input: no error, what the words find.
    ('"livraison', {"cancelled", "fast"}),
    ('livraison"', {"cancelled", "fast"}),
    ("NEAR(livraison", set()),
    ("NEAR(livraison merci)", set()),
    ("livraison*", {"cancelled", "fast"}),
    ("^livraison", {"cancelled", "fast"}),
    ("(livraison)", {"cancelled", "fast"}),
    ("text:livraison", set()),
    ("*", set()),
    ('"', set()),
    ('""', set()),
    ("-", set()),
    ("OR", set()),
    ("'; DROP TABLE inbox_message; --", set()),
]


@pytest.mark.parametrize(("q", "expected"), CASES, ids=[q for q, _ in CASES])
def test_search_syntax(workspace, owner, corpus, q, expected):
    assert found(workspace, owner, corpus, q) == expected


def test_the_index_follows_edits_and_deletions(workspace, owner, corpus):
    message = Message.objects.get(external_id="m-fast")
    message.text = "Colis perdu"
    message.save(update_fields=["text"])
    assert found(workspace, owner, corpus, "rapide") == set()
    assert found(workspace, owner, corpus, "colis perdu") == {"fast"}
    Message.objects.filter(external_id="m-dessert").delete()
    assert found(workspace, owner, corpus, "café") == set()


def test_a_contact_is_found_by_name_with_or_without_search_syntax(workspace, owner, corpus):
    assert found(workspace, owner, corpus, "Quintal 2") == {"fast"}
    assert found(workspace, owner, corpus, '"Quintal 2"') == {"fast"}


def test_search_stays_in_its_workspace(workspace, owner, corpus, other_workspace):
    theirs = Channel.objects.create(
        workspace=other_workspace,
        network="x",
        external_id="T",
        name="Theirs",
        api_base_url="http://127.0.0.1:9",
    )
    thread(theirs, "theirs", "café")
    assert found(workspace, owner, corpus, "café") == {"dessert"}


def test_results_carry_the_matching_message_and_its_excerpt(workspace, owner, corpus, channel):
    fast = Conversation.objects.get(pk=next(pk for pk, key in corpus.items() if key == "fast"))
    add_message(fast, "fast-2", "Merci, bonne journée", at=T0 + dt.timedelta(hours=2))
    [row] = conversation_page(
        workspace=workspace, user=owner, filters=InboxFilters(q="livraison rapide"), now=T0
    ).rows
    assert row.search_hit.external_id == "m-fast"  # the message that matched, not the newest
    assert [(p.text, p.hit) for p in row.search_hit.search_excerpt] == [
        ("Livraison", True),
        (" ", False),
        ("rapide", True),
        (", merci beaucoup", False),
    ]


def test_excerpt_starts_near_the_first_match_on_a_word_and_marks_folded_forms():
    text = "Bonjour " * 30 + "ma commande remboursée, ou pas ? " + "fin " * 80
    parts = search.excerpt(text, search.parse("REMBOURSEE").positive_words)
    assert parts[0].text == "…" and parts[-1].text == "…"
    assert parts[1].text.startswith("Bonjour")  # cut on a word, not mid-word
    assert [p.text for p in parts if p.hit] == ["remboursée"]
    assert search.excerpt("Des gâteaux", ["gâteau"])[1] == search.Part("gâteaux", hit=True)


def test_parse_reads_websearch_syntax():
    parsed = search.parse('a -"b c" OR d-e "f')
    assert parsed.groups == (
        (search.Term(("a",)), search.Term(("b", "c"), negated=True)),
        (search.Term(("d", "e")), search.Term(("f",))),
    )


def test_the_page_highlights_matches_and_escapes_the_message(owner_client, workspace, channel):
    conversation = thread(channel, "xss", '<img src=x onerror=alert(1)> remboursée <b>"vite"</b>')
    message = conversation.messages.get()
    page = owner_client.get(f"/w/{workspace.slug}/inbox/", {"q": "remboursee"}).content.decode()
    assert "<mark>remboursée</mark>" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page
    assert f"#message-{message.pk}" in page


HOSTILE = ['"unbalanced', "NEAR(a b", "col:x", "^a", "a*", "AND OR NOT", "\x00", "é" * 300]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_answer_the_page(owner_client, workspace, corpus, q):
    response = owner_client.get(f"/w/{workspace.slug}/inbox/", {"q": q})
    assert response.status_code in (200, 400) and b"Traceback" not in response.content


def test_the_sqlite_index_is_put_back_after_a_table_rebuild(workspace, owner, corpus):
    """Django rebuilds a SQLite table for most ALTERs, dropping its triggers: post_migrate restores them."""
    from django.db import connection

    from inbox.apps import ensure_sqlite_search_index

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps its trigger through ALTER TABLE")
    with connection.cursor() as cursor:
        for trigger in ("insert", "delete", "update"):
            cursor.execute(f"DROP TRIGGER inbox_message_fts_{trigger}")
    Message.objects.filter(external_id="m-fast").update(text="Colis perdu")
    ensure_sqlite_search_index()
    assert found(workspace, owner, corpus, "colis") == {"fast"}  # reindexed
    assert found(workspace, owner, corpus, "rapide") == set()
    Message.objects.filter(external_id="m-dessert").update(text="Tarte aux pommes")
    assert found(workspace, owner, corpus, "pommes") == {"dessert"}  # kept in step again

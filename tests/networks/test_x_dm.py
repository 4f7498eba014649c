"""X direct messages: XProvider against XFake over HTTP (dm_events paging, scopes, sending, read-back)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import httpx
import pytest

from core.http import make_client
from networks.fakes.x import XFake
from networks.providers.base import (
    Account,
    Ambiguous,
    Credentials,
    Invalid,
    ItemKind,
    Network,
    ReplyTarget,
    TextKind,
)
from networks.providers.x import XProvider
from networks.providers.x_auth import DEFAULT_SCOPES


@pytest.fixture(scope="module")
def server() -> Iterator[XFake]:
    with XFake() as fake:
        yield fake


@pytest.fixture
def fake(server: XFake) -> XFake:
    server.reset()
    server.us = server.add_user("cmhub_brand", "CM Hub Brand")
    server.alice = server.add_user("alice", "Alice")
    server.bob = server.add_user("bob", "Bob")
    return server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with make_client(timeout=5) as client:
        yield client


def provider(fake: XFake, http: httpx.Client, scopes=DEFAULT_SCOPES) -> XProvider:
    token = fake.issue_token(fake.us, scopes)
    account = Account(
        Network.X, fake.us, fake.base_url, Credentials(token["access_token"]), handle="cmhub_brand"
    )
    return XProvider(account, http=http, client_id=fake.client_id)


def dms(items):
    return [i for i in items if i.kind == ItemKind.DIRECT_MESSAGE]


def target(item) -> ReplyTarget:
    return ReplyTarget(
        item.external_id,
        ItemKind.DIRECT_MESSAGE,
        thread_root_external_id=item.thread_root_external_id,
        author_external_id=item.author.external_id,
    )


def test_messages_arrive_with_their_sender_and_conversation_and_bookkeeping_events_do_not(fake, http):
    first = fake.add_dm(fake.alice, fake.us, "Is my order shipped?")
    fake.add_dm(fake.us, fake.alice, "Checking now")
    fake.add_dm_join("1578398451921985538", fake.bob, fake.alice)

    result = provider(fake, http).poll(cursor={})

    messages = dms(result.items)
    assert [m.text for m in messages] == ["Is my order shipped?", "Checking now"]
    assert messages[0].external_id == first and messages[0].author.handle == "alice"
    low, high = sorted((fake.alice, fake.us), key=int)
    assert messages[0].thread_root_external_id == f"{low}-{high}" == messages[1].thread_root_external_id
    assert messages[1].author.external_id == fake.us  # ours: stored outbound
    assert result.permission_missing == ""


def test_paging_walks_every_page_once_and_the_next_poll_reads_only_new_events(fake, http):
    sent = [fake.add_dm(fake.alice if n % 2 else fake.bob, fake.us, f"m{n}") for n in range(230)]
    x = provider(fake, http)

    first = x.poll(cursor={})
    cursor = json.loads(json.dumps(first.cursor))
    fake.add_dm(fake.bob, fake.us, "one more")
    second = x.poll(cursor=cursor)
    third = x.poll(cursor=json.loads(json.dumps(second.cursor)))

    assert [m.external_id for m in dms(first.items)] == sent
    dm_reads = [r for r in fake.requests if r.path == "/2/dm_events"]
    assert any(r.arg("pagination_token") for r in dm_reads)
    assert [m.text for m in dms(second.items)] == ["one more"]
    assert dms(third.items) == []


def test_a_walk_cut_by_its_budget_resumes_without_loss_or_repeat(fake, http):
    sent = [fake.add_dm(fake.alice, fake.us, f"m{n}") for n in range(45)]
    x = provider(fake, http)
    x.dms.page_size = 5
    seen: list[str] = []
    cursor: dict = {}
    for _run in range(20):
        result = x.poll(cursor=cursor, max_items=12)
        seen += [m.external_id for m in dms(result.items)]
        cursor = json.loads(json.dumps(result.cursor))
        if not result.has_more:
            break
    assert sorted(seen, key=int) == sent and len(seen) == len(set(seen))


def test_without_dm_read_the_poll_keeps_mentions_and_names_what_is_missing(fake, http):
    fake.add_dm(fake.alice, fake.us, "hello")
    fake.add_mention(fake.us, fake.bob, "@cmhub_brand hi")
    x = provider(fake, http, scopes=("tweet.read", "users.read", "tweet.write"))

    result = x.poll(cursor={})

    assert [i.kind for i in result.items] == [ItemKind.MENTION]
    assert "not permitted" in result.permission_missing


def test_a_reply_goes_to_the_one_to_one_conversation_and_is_read_back(fake, http):
    fake.add_dm(fake.alice, fake.us, "Where is my parcel?")
    x = provider(fake, http)
    item = dms(x.poll(cursor={}).items)[0]

    sent = x.reply(target=target(item), text="It left this morning & arrives Friday.")

    posted = [r for r in fake.requests if r.method == "POST"]
    assert posted[-1].path == f"/2/dm_conversations/with/{fake.alice}/messages"
    stored = fake.dm_events[-1]
    assert (stored["id"], stored["text"], stored["sender_id"]) == (
        sent.external_id,
        "It left this morning & arrives Friday.",
        fake.us,
    )
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    found = x.find_reply(target=target(item), text="It left this morning & arrives Friday.", since=since)
    assert found is not None and found.external_id == sent.external_id
    assert x.find_reply(target=target(item), text="Other words", since=since) is None
    assert (
        x.find_reply(
            target=target(item),
            text="It left this morning & arrives Friday.",
            since=since,
            exclude={sent.external_id},
        )
        is None
    )


def test_a_send_whose_answer_is_lost_is_found_and_not_sent_twice(fake, http):
    fake.add_dm(fake.alice, fake.us, "hello?")
    x = provider(fake, http)
    item = dms(x.poll(cursor={}).items)[0]
    fake.drop_after(r"/messages$")

    with pytest.raises(Ambiguous):
        x.reply(target=target(item), text="Hi Alice!")

    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    found = x.find_reply(target=target(item), text="Hi Alice!", since=since)
    assert found is not None and found.external_id == fake.dm_events[-1]["id"]


def test_sending_needs_dm_write(fake, http):
    fake.add_dm(fake.alice, fake.us, "hello?")
    x = provider(fake, http, scopes=("tweet.read", "users.read", "dm.read"))
    item = dms(x.poll(cursor={}).items)[0]
    with pytest.raises(Exception) as refused:
        x.reply(target=target(item), text="Hi")
    assert type(refused.value).__name__ == "PermissionMissing"


def test_a_dm_may_be_longer_than_a_post_but_not_empty(fake, http):
    x = provider(fake, http)
    assert x.validate_reply("a" * 1000, kind=TextKind.DIRECT_MESSAGE) == []
    assert x.validate_reply("a" * 1000, kind=TextKind.REPLY) != []
    assert x.validate_reply("a" * 10_001, kind=TextKind.DIRECT_MESSAGE) != []
    with pytest.raises(Invalid):
        x.reply(target=ReplyTarget("1", ItemKind.DIRECT_MESSAGE, thread_root_external_id="1-2"), text="  ")

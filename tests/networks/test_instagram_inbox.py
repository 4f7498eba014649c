"""Instagram direct messages and mentions: InstagramProvider against the Graph fake over real HTTP."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from networks.fakes.graph import GraphFake
from networks.fakes.graph_state import GRANTED_BY_DEFAULT, drop_after_fault
from networks.providers.base import (
    Account,
    Ambiguous,
    Credentials,
    Invalid,
    ItemKind,
    Network,
    ReplyTarget,
)
from networks.providers.instagram import InstagramProvider

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def ago(**delta: float) -> dt.datetime:
    return NOW - dt.timedelta(**delta)


@pytest.fixture(scope="module")
def server():
    fake = GraphFake(page_size=3).start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(server):
    server.reset(page_size=3)
    return server


@pytest.fixture
def http():
    with httpx.Client(timeout=httpx.Timeout(3.0)) as client:
        yield client


@pytest.fixture
def account(fake):
    page = fake.add_page("Acme Bakery")
    return fake.add_ig_user("acme.bakery", page_id=page.id)


def instagram(fake: GraphFake, ig_user, http: httpx.Client, **options) -> InstagramProvider:
    token = fake.objects[ig_user.page_id].token
    account = Account(
        Network.INSTAGRAM, ig_user.id, fake.base_url, Credentials(token), handle=ig_user.username
    )
    return InstagramProvider(account, http=http, page_size=3, sleep=lambda s: None, **options)


def drain(provider, cursor, *, max_items=500):
    items = []
    for _ in range(50):
        result = provider.poll(cursor=cursor, max_items=max_items)
        items += result.items
        cursor = json.loads(json.dumps(result.cursor))
        if not result.has_more:
            return items, cursor, result
    raise AssertionError("the poll never finished")


def dm_target(item, ig_user_id: str = "") -> ReplyTarget:
    return ReplyTarget(
        external_id=item.external_id,
        kind=ItemKind.DIRECT_MESSAGE,
        thread_root_external_id=item.thread_root_external_id,
        author_external_id=item.author.external_id,
    )


# --- Direct messages -------------------------------------------------------------------------------------


def test_direct_messages_are_read_as_threads_with_the_person_as_author(fake, account, http):
    dana = {"id": "5301", "username": "dana.eats"}
    first = fake.add_ig_message(account.id, dana, "Do you deliver?", ago(hours=3))
    ours = fake.add_ig_message(account.id, dana, "Yes, on Fridays", ago(hours=2), from_business=True)
    fake.add_ig_message(account.id, {"id": "5302", "username": "lee"}, "Open on Sunday?", ago(hours=1))

    items, _cursor, result = drain(instagram(fake, account, http), {})

    dms = [i for i in items if i.kind == ItemKind.DIRECT_MESSAGE]
    assert sorted(i.text for i in dms) == ["Do you deliver?", "Open on Sunday?", "Yes, on Fridays"]
    item = next(i for i in dms if i.external_id == first.id)
    assert item.author.external_id == "5301" and item.author.handle == "dana.eats"
    assert item.author.profile_url == "https://www.instagram.com/dana.eats/"
    mine = next(i for i in dms if i.external_id == ours.id)
    assert mine.author.external_id == account.id  # the ingest marks it outbound
    assert mine.thread_root_external_id == item.thread_root_external_id
    assert result.permission_missing == ""
    assert any("conversations" in r.path and r.arg("platform") == "instagram" for r in fake.requests)


def test_only_new_messages_come_again_and_an_older_thread_is_not_walked_again(fake, account, http):
    dana = {"id": "5301", "username": "dana.eats"}
    fake.add_ig_message(account.id, dana, "one", ago(hours=5))
    provider = instagram(fake, account, http)
    _items, cursor, _ = drain(provider, {})
    fake.add_ig_message(account.id, dana, "two", ago(minutes=1))
    fake.add_ig_message(account.id, {"id": "5309", "username": "new"}, "three", ago(minutes=1))

    items, cursor, _ = drain(provider, cursor)
    again, _cursor, _ = drain(provider, cursor)

    assert sorted(i.text for i in items) == ["three", "two"]
    assert again == []


def test_a_budget_cut_in_the_middle_of_the_inbox_loses_nothing_and_repeats_nothing(fake, account, http):
    for n in range(7):
        person = {"id": f"54{n}", "username": f"p{n}"}
        for k in range(3):
            fake.add_ig_message(account.id, person, f"{n}.{k}", ago(hours=10 - n, minutes=-k))

    items, _cursor, _ = drain(instagram(fake, account, http), {}, max_items=4)

    dms = [i.text for i in items if i.kind == ItemKind.DIRECT_MESSAGE]
    assert sorted(dms) == sorted(f"{n}.{k}" for n in range(7) for k in range(3))


def test_without_instagram_manage_messages_the_poll_says_so_and_still_stores_comments(fake, account, http):
    token = fake.objects[account.page_id].token
    fake.set_permissions(token, sorted(GRANTED_BY_DEFAULT - {"instagram_manage_messages"}))
    media = fake.add_media(account.id, "Croissants", ago(hours=3))
    fake.add_ig_comment(media.id, "Yum", ago(hours=2))
    fake.add_ig_message(account.id, None, "hello?", ago(hours=1))

    result = instagram(fake, account, http).poll(cursor={})

    assert [i.text for i in result.items] == ["Yum"]
    assert "instagram_manage_messages" in result.permission_missing


def test_a_reply_inside_the_window_reaches_the_person_and_is_read_back(fake, account, http):
    fake.add_ig_message(account.id, {"id": "5301", "username": "dana"}, "Gluten free?", ago(hours=23))
    provider = instagram(fake, account, http)
    item = next(i for i in provider.poll(cursor={}).items if i.kind == ItemKind.DIRECT_MESSAGE)

    sent = provider.reply(target=dm_target(item), text="Yes, the buckwheat loaf is.")

    thread = fake.objects[item.thread_root_external_id]
    assert thread.messages[-1].text == "Yes, the buckwheat loaf is."
    assert thread.messages[-1].recipient["id"] == "5301" and sent.external_id == thread.messages[-1].id
    found = provider.find_reply(
        target=dm_target(item), text="Yes, the buckwheat loaf is.", since=ago(minutes=1)
    )
    assert found is not None and found.external_id == sent.external_id
    assert provider.find_reply(target=dm_target(item), text="Something else", since=ago(minutes=1)) is None
    excluded = provider.find_reply(
        target=dm_target(item),
        text="Yes, the buckwheat loaf is.",
        since=ago(minutes=1),
        exclude={sent.external_id},
    )
    assert excluded is None


def test_a_reply_after_24_hours_is_refused_before_anything_is_sent(fake, account, http):
    fake.add_ig_message(account.id, {"id": "5301", "username": "dana"}, "Still open?", ago(hours=25))
    provider = instagram(fake, account, http)
    item = provider.poll(cursor={}).items[0]
    fake.requests.clear()

    with pytest.raises(Invalid, match="24 hours"):
        provider.reply(target=dm_target(item), text="Sorry for the wait!")

    assert not [r for r in fake.requests if r.method == "POST"]
    assert fake.objects[item.thread_root_external_id].messages[-1].text == "Still open?"


def test_the_fake_refuses_a_send_outside_the_window_on_its_own(fake, account, http):
    fake.add_ig_message(account.id, {"id": "5301", "username": "dana"}, "hi", ago(hours=30))
    token = fake.objects[account.page_id].token
    answer = http.post(
        f"{fake.base_url}/v25.0/{account.page_id}/messages",
        params={"access_token": token},
        json={"recipient": {"id": "5301"}, "message": {"text": "late"}},
    )
    assert answer.status_code == 400 and answer.json()["error"]["error_subcode"] == 2018278


def test_a_message_over_1000_bytes_is_refused(fake, account, http):
    fake.add_ig_message(account.id, {"id": "5301", "username": "dana"}, "hi", ago(minutes=5))
    provider = instagram(fake, account, http)
    item = provider.poll(cursor={}).items[0]
    with pytest.raises(Invalid, match="1,000"):
        provider.reply(target=dm_target(item), text="é" * 600)


def test_a_send_whose_answer_is_lost_is_found_by_the_read_back(fake, account, http):
    fake.add_ig_message(account.id, {"id": "5301", "username": "dana"}, "hi", ago(minutes=5))
    provider = instagram(fake, account, http)
    item = provider.poll(cursor={}).items[0]
    fake.inject(drop_after_fault(r"/messages$", method="POST"))

    with pytest.raises(Ambiguous):
        provider.reply(target=dm_target(item), text="On our way")

    found = provider.find_reply(target=dm_target(item), text="On our way", since=ago(minutes=1))
    assert (
        found is not None and found.external_id == fake.objects[item.thread_root_external_id].messages[-1].id
    )


# --- Mentions --------------------------------------------------------------------------------------------


def test_media_the_account_is_tagged_in_arrive_as_mentions_once(fake, account, http):
    fake.add_ig_tag(account.id, "Brunch at @acme.bakery", username="ada_eats", created_time=ago(hours=2))
    provider = instagram(fake, account, http)

    items, cursor, _ = drain(provider, {})
    fake.add_ig_tag(account.id, "Again!", username="lee", created_time=ago(minutes=1))
    later, _cursor, _ = drain(provider, cursor)

    assert [(i.kind, i.text, i.author.handle) for i in items] == [
        (ItemKind.MENTION, "Brunch at @acme.bakery", "ada_eats")
    ]
    assert items[0].permalink.startswith("https://www.instagram.com/p/")
    assert [i.text for i in later] == ["Again!"]


def test_a_mention_is_answered_with_a_comment_on_that_media_and_read_back(fake, account, http):
    media = fake.add_ig_tag(account.id, "Look @acme.bakery", username="ada_eats", created_time=ago(hours=2))
    provider = instagram(fake, account, http)
    item = provider.poll(cursor={}).items[0]
    target = ReplyTarget(item.external_id, ItemKind.MENTION, post_external_id=item.post_external_id)

    sent = provider.reply(target=target, text="Thanks for the visit!")

    assert fake.objects[sent.external_id].media_id == media.id
    found = provider.find_reply(target=target, text="Thanks for the visit!", since=ago(minutes=1))
    assert found is not None and found.external_id == sent.external_id


def test_a_mention_announced_by_webhook_is_read_by_its_ids(fake, account, http):
    comment = fake.add_ig_mention_comment(account.id, text="@acme.bakery best croissant", username="ada_eats")
    provider = instagram(fake, account, http)

    item = provider.read_mention(media_id=comment.media_id, comment_id=comment.id)

    assert (item.kind, item.text, item.author.handle) == (
        ItemKind.MENTION,
        "@acme.bakery best croissant",
        "ada_eats",
    )
    assert item.post_external_id == comment.media_id
    with pytest.raises(Invalid):
        other = fake.add_ig_comment(comment.media_id, "no mention here")
        provider.read_mention(media_id=comment.media_id, comment_id=other.id)

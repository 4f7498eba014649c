"""Bluesky DMs: a poll cut short (its budget, or more active conversations than it lists) never moves the
mark past a conversation it did not read."""

from __future__ import annotations

import datetime as dt

from networks.providers import bluesky_dm
from tests.networks.test_bluesky import ALICE, BOB, BRAND, connect, fake, http, server  # noqa: F401

CAROL = "did:plc:carolcarolcarolcarolcaro"


def _at(now: dt.datetime, seconds: int) -> str:
    return (now + dt.timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _drain(provider, cursor, *, floor, max_items, runs=6):
    seen: list[str] = []
    more = []
    for _ in range(runs):
        result = provider.dms.poll(cursor, floor=floor, max_items=max_items)
        seen += [i.text for i in result.items]
        more.append(result.has_more)
        cursor = result.cursor
    return seen, more, cursor


def test_the_budget_does_not_lose_the_conversations_left_unread(fake, http):  # noqa: F811
    provider = connect(fake, http)
    now = dt.datetime.now(dt.UTC)
    fake.add_dm(BOB, BRAND, "Bob's question", at=_at(now, 1))
    fake.add_dm(ALICE, BRAND, "Alice 1", at=_at(now, 2))
    fake.add_dm(ALICE, BRAND, "Alice 2", at=_at(now, 3))
    seen, more, cursor = _drain(provider, {}, floor=now - dt.timedelta(days=1), max_items=2)
    assert sorted(seen) == ["Alice 1", "Alice 2", "Bob's question"]  # each once
    assert more[:2] == [True, False]
    assert set(cursor) == {"mark", "at_mark"}  # settled: every conversation read


def test_what_arrives_in_a_conversation_already_read_during_a_cut_poll_is_not_lost(fake, http):  # noqa: F811
    provider = connect(fake, http)
    now = dt.datetime.now(dt.UTC)
    floor = now - dt.timedelta(days=1)
    fake.add_dm(BOB, BRAND, "Bob 1", at=_at(now, 1))
    fake.add_dm(ALICE, BRAND, "Alice 1", at=_at(now, 2))
    first = provider.dms.poll({}, floor=floor, max_items=1)
    assert [i.text for i in first.items] == ["Alice 1"] and first.has_more
    fake.add_dm(ALICE, BRAND, "Alice 2", at=_at(now, 3))
    second = provider.dms.poll(first.cursor, floor=floor, max_items=1)
    assert [i.text for i in second.items] == ["Alice 2"] and second.has_more  # Alice's is active first
    third = provider.dms.poll(second.cursor, floor=floor, max_items=1)
    assert [i.text for i in third.items] == ["Bob 1"] and not third.has_more
    assert provider.dms.poll(third.cursor, floor=floor, max_items=1).items == []


def test_more_active_conversations_than_one_poll_lists_keeps_the_mark(fake, http, monkeypatch):  # noqa: F811
    monkeypatch.setattr(bluesky_dm, "PAGE", 1)
    monkeypatch.setattr(bluesky_dm, "MAX_CONVO_PAGES", 2)
    fake.add_account(CAROL, "carol.bsky.social", display_name="Carol")
    provider = connect(fake, http)
    now = dt.datetime.now(dt.UTC)
    fake.add_dm(CAROL, BRAND, "Carol", at=_at(now, 1))
    fake.add_dm(BOB, BRAND, "Bob", at=_at(now, 2))
    fake.add_dm(ALICE, BRAND, "Alice", at=_at(now, 3))
    seen, more, _cursor = _drain(provider, {}, floor=now - dt.timedelta(days=1), max_items=100, runs=3)
    assert sorted(seen) == ["Alice", "Bob", "Carol"]
    assert more == [True, False, False]


def test_the_whole_poll_says_it_has_more_when_the_dms_were_cut(fake, http):  # noqa: F811
    provider = connect(fake, http)
    now = dt.datetime.now(dt.UTC)
    fake.add_dm(BOB, BRAND, "Bob", at=_at(now, 1))
    fake.add_dm(ALICE, BRAND, "Alice", at=_at(now, 2))
    cut = provider.poll(cursor={}, max_items=1)
    assert cut.has_more and [i.text for i in cut.items] == ["Alice"]
    rest = provider.poll(cursor=cut.cursor, max_items=1)
    assert [i.text for i in rest.items] == ["Bob"] and not rest.has_more


def test_an_unreadable_read_map_rereads_from_the_mark(fake, http):  # noqa: F811
    provider = connect(fake, http)
    now = dt.datetime.now(dt.UTC)
    fake.add_dm(BOB, BRAND, "Bob", at=_at(now, 1))
    mark = _at(now, -10)
    stored = {
        "mark": mark,
        "at_mark": [],
        "pending": {"mark": mark, "at_mark": []},
        "read": {"x": {"mark": "9999-12-31T23:59:59-23:59"}, "y": "nonsense", "z": {"mark": 12}},
    }
    result = provider.dms.poll(stored, floor=now - dt.timedelta(days=1), max_items=10)
    assert [i.text for i in result.items] == ["Bob"] and not result.has_more


def test_a_message_id_too_long_to_store_is_skipped(fake, http):  # noqa: F811
    provider = connect(fake, http)
    fake.add_dm(ALICE, BRAND, "huge id", message_id="m" * 300)
    fake.add_dm(BOB, BRAND, "fine")
    result = provider.poll(cursor={})
    assert [i.text for i in result.items] == ["fine"] and result.skipped == 1
    assert all(len(i) < 300 for i in result.cursor["dm"]["at_mark"])

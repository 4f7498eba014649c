"""Bluesky: hostile values from the network (times out of range, future dates, wrong types, deep JSON) are
skipped or clamped, never an exception that fails a poll or stalls the stream."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from core.http import make_client
from inbox.models import Message
from networks import services
from networks.fakes.base import Fault, Response
from networks.models import Channel
from networks.providers import bluesky_wire as wire
from networks.providers.base import Account, Credentials, Invalid, Network, Transient
from networks.providers.bluesky import BlueskyProvider
from networks.providers.streaming import StreamTarget
from networks.providers.webhooks_base import Hint, WebhookEvent
from networks.webhooks.processing import pushed_events_apply
from tests.networks.test_bluesky import ALICE, BOB, BRAND, connect, fake, http, server  # noqa: F401

OVERFLOWING = "9999-12-31T23:59:59-23:59"  # valid RFC 3339; past datetime.max once in UTC


# --- times ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [OVERFLOWING, "0001-01-01T00:00:00+23:59"])
def test_a_time_out_of_range_in_utc_is_a_value_error(value):
    with pytest.raises(ValueError):
        wire.parse_time(value)


def test_a_giant_time_string_is_a_value_error():
    with pytest.raises(ValueError):
        wire.parse_time("2026-01-01T00:00:00" + "0" * 100_000 + "Z")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.none(), st.integers(), st.floats(), st.lists(st.text())))
def test_parse_time_raises_only_what_the_parsers_catch(value):
    try:
        parsed = wire.parse_time(value)
    except (TypeError, ValueError):
        return
    assert parsed.utcoffset() == dt.timedelta(0)


@settings(max_examples=200, deadline=None)
@given(created=st.datetimes(timezones=st.timezones()), indexed=st.datetimes(timezones=st.timezones()))
def test_created_time_is_never_after_indexed_at(created, indexed):
    try:
        got = wire.created_time(created.isoformat(), indexed.isoformat())
    except ValueError:
        return  # one of them overflows in UTC: the item is skipped
    assert got <= indexed.astimezone(dt.UTC) or _overflows(indexed)


def _overflows(value: dt.datetime) -> bool:
    try:
        value.astimezone(dt.UTC)
    except OverflowError:
        return True
    return False


def test_created_time_keeps_an_earlier_created_at_and_falls_back_to_indexed_at():
    assert wire.created_time("2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z") == dt.datetime(
        2024, 1, 1, tzinfo=dt.UTC
    )  # backdated (imported) posts keep their date
    assert wire.created_time(OVERFLOWING, "2024-06-01T00:00:00Z") == dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    assert wire.created_time(None, "2024-06-01T00:00:00Z") == dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    with pytest.raises(ValueError):
        wire.created_time(OVERFLOWING, "garbage")


def test_a_hostile_created_at_does_not_fail_the_poll(fake, http):  # noqa: F811
    provider = connect(fake, http)
    ours = fake.add_post(BRAND, "Nouveau pain")
    fake.add_reply(BOB, ours["uri"], "A real question")
    hostile = fake.add_reply(ALICE, ours["uri"], "poison")
    fake.posts[hostile["uri"]]["record"]["createdAt"] = OVERFLOWING
    result = provider.poll(cursor={})
    by_text = {i.text: i for i in result.items}
    assert "A real question" in by_text
    assert by_text["poison"].created_at == wire.parse_time(fake.posts[hostile["uri"]]["indexedAt"])


def test_a_far_future_created_at_is_clamped_to_indexed_at(fake, http):  # noqa: F811
    provider = connect(fake, http)
    ours = fake.add_post(BRAND, "Nouveau pain")
    future = fake.add_reply(ALICE, ours["uri"], "from the future")
    fake.posts[future["uri"]]["record"]["createdAt"] = "2999-01-01T00:00:00Z"
    [item] = provider.poll(cursor={}).items
    assert item.created_at == wire.parse_time(fake.posts[future["uri"]]["indexedAt"])
    assert item.created_at <= dt.datetime.now(dt.UTC)


def test_a_hostile_created_at_is_read_when_pushed(fake, http):  # noqa: F811
    provider = connect(fake, http)
    ours = fake.add_post(BRAND, "Nouveau pain")
    hostile = fake.add_reply(ALICE, ours["uri"], "poison")
    fake.posts[hostile["uri"]]["record"]["createdAt"] = OVERFLOWING
    item = provider.read_pushed("reply", {"uri": hostile["uri"]})
    assert item is not None and item.text == "poison"


@pytest.mark.django_db
def test_one_hostile_pushed_post_does_not_break_the_stream(fake, workspace, owner, settings):  # noqa: F811
    settings.CMHUB_ALLOWED_API_HOSTS = ["127.0.0.1"]
    with make_client(timeout=5) as client:
        [found] = BlueskyProvider.connect_with_password(
            http=client, identifier="brand.example.com", password="app-pass-1234", service_url=fake.base_url
        )
    services.channel_connect(
        workspace=workspace,
        network="bluesky",
        external_id=found.external_id,
        name="B",
        api_base_url=found.api_base_url,
        credentials=found.credentials,
        by=owner,
    )
    ours = fake.add_post(BRAND, "Nouveau pain")
    hostile = fake.add_reply(ALICE, ours["uri"], "poison")
    fake.posts[hostile["uri"]]["record"]["createdAt"] = OVERFLOWING
    event = WebhookEvent(
        Network.BLUESKY, BRAND, Hint.READ, "reply", timezone.now(), refs={"uri": hostile["uri"]}
    )
    pushed_events_apply([event], streamed=True)  # raised OverflowError before
    channel = Channel.objects.get(network="bluesky", external_id=BRAND)
    assert Message.objects.filter(channel=channel, text="poison").exists()


# --- the rest of the wire: deep JSON, wrong types, huge numbers ----------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000


def test_json_nested_deeper_than_the_parser_goes_is_a_passing_fault(fake, http):  # noqa: F811
    provider = connect(fake, http)
    fake.inject(Fault(r"listNotifications", response=Response(200, b'{"notifications": ' + DEEP + b"}")))
    with pytest.raises(Transient):
        provider._poll_notifications({}, floor=timezone.now() - dt.timedelta(days=1), max_items=10)
    fake.inject(Fault(r"getPosts", response=Response(400, DEEP)))
    with pytest.raises(Invalid):  # the error body is unreadable, the status still says what happened
        provider.read_pushed("reply", {"uri": f"at://{ALICE}/app.bsky.feed.post/3jzfcijpj2z2a"})


@pytest.mark.parametrize("value", ["²", "9" * 5000, "-1", "1e3", " 12 ", ""])
def test_rate_limit_headers_that_are_not_plain_integers_are_ignored(value):
    response = httpx.Response(200, headers=[(b"ratelimit-limit", value.encode("latin-1"))])
    state = wire.rate_limit_state(response, now=timezone.now())
    assert state is None or state.limit == 12


def test_a_notification_indexed_far_in_the_future_is_skipped_and_does_not_carry_the_mark(fake, http):  # noqa: F811
    provider = connect(fake, http)
    ours = fake.add_post(BRAND, "Nouveau pain")
    future = fake.add_reply(ALICE, ours["uri"], "from the future")
    for note in fake.notifications:
        if note.get("uri") == future["uri"]:
            note["indexedAt"] = "2999-01-01T00:00:00.000Z"
    fake.posts[future["uri"]]["indexedAt"] = "2999-01-01T00:00:00.000Z"
    first = provider.poll(cursor={})
    assert "from the future" not in [i.text for i in first.items] and first.skipped >= 1
    fake.add_reply(BOB, ours["uri"], "later, for real")
    assert "later, for real" in [i.text for i in provider.poll(cursor=first.cursor).items]


def test_a_direct_message_sent_far_in_the_future_is_skipped_and_does_not_carry_the_mark(fake, http):  # noqa: F811
    provider = connect(fake, http)
    fake.add_dm(ALICE, BRAND, "from the future", at="2999-01-01T00:00:00+00:00")
    fake.add_dm(BOB, BRAND, "now")
    first = provider.poll(cursor={})
    assert [i.text for i in first.items] == ["now"] and first.skipped == 1
    fake.add_dm(BOB, BRAND, "later")
    assert [i.text for i in provider.poll(cursor=first.cursor).items] == ["later"]


def test_wrong_types_in_authors_are_not_turned_into_links(fake, http):  # noqa: F811
    provider = connect(fake, http)
    fake.accounts[ALICE]["handle"] = {"not": "a handle"}
    fake.accounts[ALICE]["displayName"] = ["Alice"]
    fake.add_mention(ALICE, BRAND, "hello")
    [item] = provider.poll(cursor={}).items
    assert item.author.handle == "" and item.author.name == ""
    assert item.author.profile_url == f"https://bsky.app/profile/{ALICE}"


def test_a_lone_surrogate_in_a_post_is_not_fatal(fake, http):  # noqa: F811
    provider = connect(fake, http)
    ours = fake.add_post(BRAND, "pain \ud83e")
    fake.posts[ours["uri"]]["record"]["facets"] = [
        {
            "index": {"byteStart": 0, "byteEnd": 4},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://x.example/\udc00"}],
        }
    ]
    words, _link = provider.post_context(ours["uri"])
    assert words.startswith("https://x.example/")


# --- Jetstream -----------------------------------------------------------------------------------------


def _source():
    target = StreamTarget(1, Account(Network.BLUESKY, BRAND, "https://pds.example.org", Credentials("t")))
    [source] = BlueskyProvider.stream_sources([target])
    return source


def _commit(record, **extra) -> str:
    return json.dumps(
        {
            "did": ALICE,
            "time_us": 1_700_000_000_000_000,
            "kind": "commit",
            "commit": {
                "operation": "create",
                "collection": "app.bsky.feed.post",
                "rkey": "3k",
                "record": record,
            },
            **extra,
        }
    )


def test_jetstream_messages_nested_deeper_than_the_parser_goes_are_skipped():
    assert _source().read(DEEP) == (None, [])


def test_a_mention_facet_whose_did_is_not_a_string_is_ignored():
    record = {
        "text": "hi",
        "facets": [{"features": [{"$type": "app.bsky.richtext.facet#mention", "did": [BRAND]}]}],
    }
    assert _source().read(_commit(record)) == (1_700_000_000_000_000, [])


@pytest.mark.parametrize("time_us", [10**400, 2**63, -5, 0, 1.5e15, "1700000000000000", True])
def test_a_time_us_we_cannot_believe_is_not_a_cursor(time_us):
    record = {"text": "hi", "reply": {"parent": {"uri": f"at://{BRAND}/app.bsky.feed.post/3j"}}}
    message = _commit(record).replace("1700000000000000", json.dumps(time_us))
    time_seen, [event] = _source().read(message)
    assert time_seen is None
    assert abs((event.at - timezone.now()).total_seconds()) < 60


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
FIELDS = st.sampled_from(
    ["reply", "facets", "embed", "text", "parent", "root", "uri", "record", "features", "did"]
)


@settings(max_examples=300, deadline=None)
@given(
    record=st.dictionaries(FIELDS, JSON, max_size=5),
    time_us=JSON,
    did=st.one_of(st.just(ALICE), JSON),
    rkey=JSON,
)
def test_jetstream_read_never_raises(record, time_us, did, rkey):
    message = {
        "did": did,
        "time_us": time_us,
        "kind": "commit",
        "commit": {"operation": "create", "collection": "app.bsky.feed.post", "rkey": rkey, "record": record},
    }
    _source().read(json.dumps(message))

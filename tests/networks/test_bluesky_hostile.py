"""Bluesky: hostile values from the network (times out of range, future dates, wrong types, deep JSON) are
skipped or clamped, never an exception that fails a poll or stalls the stream."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from core.http import make_client
from inbox.models import Message
from networks import services
from networks.models import Channel
from networks.providers import bluesky_wire as wire
from networks.providers.base import Network
from networks.providers.bluesky import BlueskyProvider
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

"""Hostile items from a network never stop a channel: what can be stored is stored, what cannot is skipped
and counted, the cursor moves on, and a poll that fails for any reason is a failed poll the health page
shows. Played over real HTTP against the X fake, stored by the real inbox, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DataError, OperationalError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox.models import Contact, Conversation, Message
from networks import normalise, tasks
from networks.models import Channel, PollRun
from networks.signals import items_fetched

pytestmark = pytest.mark.django_db

NUL, LONE_HIGH, LONE_LOW = "\x00", "\ud83d", "\ude00"


def _mention(x_fake, channel, *, text, author_id, created_at="2026-12-01T10:00:00.000Z", **extra) -> str:
    payload = {
        "id": "{id}",
        "text": text,
        "author_id": author_id,
        "created_at": created_at,
        "conversation_id": "{id}",
        **extra,
    }
    return x_fake.add_raw_mention(channel.fake_brand, payload)


def _healthy(channel: Channel) -> None:
    channel.refresh_from_db()
    assert channel.status == Channel.Status.ACTIVE
    assert channel.last_error == ""
    assert channel.consecutive_failures == 0


def test_nul_surrogates_and_control_characters_anywhere_are_stored_clean(x_channel, x_fake):
    fan = x_fake.add_user(f"lea{NUL}", f"Léa{NUL} {LONE_HIGH}\r\nDupont")
    ids = [
        _mention(x_fake, x_channel, text=f"@demobakery allô{NUL} ?", author_id=fan),
        _mention(x_fake, x_channel, text=f"cut emoji {LONE_HIGH} and {LONE_LOW}", author_id=fan),
        _mention(x_fake, x_channel, text="raw payload", author_id=fan, lang=f"fr{NUL}", **{f"k{NUL}": "v"}),
        _mention(x_fake, x_channel, text="not JSON numbers", author_id=fan, score=float("nan")),
        _mention(x_fake, x_channel, text="a whole emoji 🥐 stays", author_id=fan),
    ]
    run = tasks.poll_once(x_channel)
    assert (run.outcome, run.fetched, run.skipped) == (PollRun.Outcome.OK, 5, 0)
    stored = {m.external_id: m for m in Message.objects.filter(channel=x_channel)}
    assert sorted(stored) == sorted(ids)
    assert stored[ids[0]].text == "@demobakery allô ?"
    assert stored[ids[1]].text == "cut emoji \ufffd and \ufffd"
    assert stored[ids[2]].raw["lang"] == "fr" and "k" in stored[ids[2]].raw
    assert stored[ids[3]].raw["score"] is None
    assert stored[ids[4]].text == "a whole emoji 🥐 stays"
    contact = Contact.objects.get(external_id=fan)
    assert contact.name == "Léa \ufffd Dupont"
    assert contact.handle == "lea"
    _healthy(x_channel)


def test_an_id_that_cannot_be_stored_is_skipped_and_the_rest_goes_on(x_channel, x_fake):
    fan = x_fake.add_user("lea")
    good_before = _mention(x_fake, x_channel, text="first", author_id=fan)
    _mention(x_fake, x_channel, text="author id too long", author_id="7" * 500)
    _mention(x_fake, x_channel, text="thread id too long", author_id=fan, conversation_id="9" * 400)
    _mention(x_fake, x_channel, text="id longer than X's 64 bits", author_id=fan, id="1" * 40)
    good_after = _mention(x_fake, x_channel, text="last", author_id=fan)

    run = tasks.poll_once(x_channel)
    assert (run.outcome, run.fetched, run.skipped) == (PollRun.Outcome.OK, 2, 3)
    assert set(Message.objects.values_list("external_id", flat=True)) == {good_before, good_after}
    _healthy(x_channel)
    later = _mention(x_fake, x_channel, text="arrives later", author_id=fan)
    assert tasks.poll_once(x_channel).fetched == 1
    assert Message.objects.filter(external_id=later).exists()


def _refusing(bad_text: str, error: type[Exception]):
    """A storing app whose database refuses every batch that holds the item with `bad_text`."""

    def receiver(sender, channel, items, backfill, **kwargs):
        if any(item.text == bad_text for item in items):
            raise error("refused by the database")

    return receiver


def test_a_row_the_database_refuses_is_skipped_alone(x_channel, x_fake):
    fan = x_fake.add_user("lea")
    texts = ["one", "two", "poison", "four", "five"]
    ids = [_mention(x_fake, x_channel, text=text, author_id=fan) for text in texts]
    refuse = _refusing("poison", DataError)
    items_fetched.connect(refuse)
    try:
        run = tasks.poll_once(x_channel)
    finally:
        items_fetched.disconnect(refuse)
    assert (run.outcome, run.fetched, run.skipped) == (PollRun.Outcome.OK, 4, 1)
    stored = set(Message.objects.values_list("external_id", flat=True))
    assert stored == {ids[0], ids[1], ids[3], ids[4]}
    _healthy(x_channel)
    assert tasks.poll_once(x_channel).fetched == 0  # the cursor passed the refused item: it was skipped


def test_a_database_outage_stores_nothing_and_keeps_the_cursor(x_channel, x_fake):
    """Not the item's fault: nothing is skipped, the cursor stays, the poll is a failed one."""
    fan = x_fake.add_user("lea")
    for text in ["one", "outage", "three"]:
        _mention(x_fake, x_channel, text=text, author_id=fan)
    refuse = _refusing("outage", OperationalError)
    items_fetched.connect(refuse)
    try:
        run = tasks.poll_once(x_channel)
    finally:
        items_fetched.disconnect(refuse)
    assert run.outcome == PollRun.Outcome.ERROR
    assert not Message.objects.exists()
    x_channel.refresh_from_db()
    assert x_channel.cursor == {} and x_channel.consecutive_failures == 1
    assert "OperationalError" in x_channel.last_error
    assert tasks.poll_once(x_channel).fetched == 3


def test_a_crash_outside_storage_is_a_failed_poll(x_channel, x_fake, monkeypatch):
    """A bug in a provider's parsing (here: a client that cannot be built) is recorded, never silent."""

    def broken_provider(*args, **kwargs):
        raise KeyError("api_base_url")

    monkeypatch.setattr(tasks.registry, "build_provider", broken_provider)
    run = tasks.poll_once(x_channel)
    assert run.outcome == PollRun.Outcome.ERROR
    x_channel.refresh_from_db()
    assert "KeyError" in x_channel.last_error
    assert x_channel.next_poll_at > timezone.now() + dt.timedelta(seconds=x_channel.poll_interval)


# --- Generated pages -----------------------------------------------------------------------------------

_hostile_char = st.sampled_from(
    [NUL, LONE_HIGH, LONE_LOW, "\r", "\n", "\u2028", "\x7f", "\x9b", "🥐", "é", "a"]
)
hostile_text = st.lists(st.one_of(_hostile_char, st.characters()), max_size=40).map("".join)


@st.composite
def mention(draw):
    """A mention with hostile strings everywhere; a few have an id no column can hold."""
    broken = draw(st.sampled_from([None, None, None, "author", "thread"]))
    extra = {"x_" + draw(hostile_text): draw(hostile_text)}
    return {
        "text": draw(hostile_text),
        "name": draw(hostile_text),
        "username": draw(hostile_text),
        "broken": broken,
        "extra": extra,
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(page=st.lists(mention(), min_size=1, max_size=8))
def test_generated_hostile_pages_never_stop_the_channel(x_channel, x_fake, page):
    well_formed, broken = [], 0
    for entry in page:
        author = x_fake.add_user(entry["username"], entry["name"] or "x")
        fields = {"text": entry["text"], "author_id": author}
        if entry["broken"] == "author":
            fields["author_id"] = "8" * (normalise.AUTHOR_ID_MAX + 1)
        if entry["broken"] == "thread":
            fields["conversation_id"] = "9" * (normalise.ITEM_ID_MAX + 1)
        tweet_id = _mention(x_fake, x_channel, **fields, **entry["extra"])
        if entry["broken"]:
            broken += 1
        else:
            well_formed.append(tweet_id)

    run = tasks.poll_once(x_channel)
    assert run.outcome == PollRun.Outcome.OK, run.error
    assert (run.fetched, run.skipped) == (len(well_formed), broken)
    stored = set(Message.objects.filter(external_id__in=well_formed).values_list("external_id", flat=True))
    assert stored == set(well_formed)
    _healthy(x_channel)


def test_the_inbox_columns_hold_what_normalise_lets_through():
    """normalise's limits are the storage contract: a column narrower than them would fail a chunk again."""
    widths = {
        (Message, "external_id"): normalise.ITEM_ID_MAX,
        (Message, "parent_external_id"): normalise.ITEM_ID_MAX,
        (Message, "permalink"): normalise.URL_MAX,
        (Contact, "external_id"): normalise.AUTHOR_ID_MAX,
        (Contact, "name"): normalise.NAME_MAX,
        (Contact, "handle"): normalise.NAME_MAX,
        (Contact, "avatar_url"): normalise.URL_MAX,
        (Contact, "profile_url"): normalise.URL_MAX,
        (Conversation, "root_external_id"): normalise.ITEM_ID_MAX,
        (Conversation, "post_external_id"): normalise.ITEM_ID_MAX,
    }
    for (model, name), needed in widths.items():
        assert model._meta.get_field(name).max_length >= needed, f"{model.__name__}.{name}"

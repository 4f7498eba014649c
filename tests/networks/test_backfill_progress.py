"""A channel's history import says truthfully how far it has come: the bar's date is a point after which
everything the walk reads is stored, it never moves back, and it is full only once the import is done."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from inbox.models import Message
from networks import services, tasks
from networks.fakes.graph import GraphFake
from networks.models import Channel
from networks.providers import base as p
from tests.publishing_fakes import facebook_channel

POSTS, COMMENTS_PER_POST, DMS = 10, 30, 30


@pytest.fixture
def big_page(workspace, owner):
    """Ten posts a day apart over the last eleven days, each with thirty comments in the hour after it;
    and a Messenger thread of thirty messages, all from the far end of the window, read first."""
    with GraphFake(page_size=10) as fake:
        page = fake.add_page("Big Bakery", page_id="888")
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        posts = {}
        for n in range(POSTS):
            created = now - dt.timedelta(days=11 - n)
            post = fake.add_post(page.id, f"Post {n}", created_time=created)
            posts[post.id] = (
                created,
                {
                    fake.add_comment(post.id, f"c{n}-{i}", created_time=created + dt.timedelta(minutes=i)).id
                    for i in range(COMMENTS_PER_POST)
                },
            )
        customer = {"id": "psid-1", "name": "Dominique"}
        for i in range(DMS):
            fake.add_conversation_message(
                page.id, customer, f"dm {i}", now - dt.timedelta(days=11.5, minutes=i)
            )
        channel = facebook_channel(fake, page, workspace, owner, name="Big Bakery")
        Channel.objects.filter(pk=channel.pk).update(backfill_days=12)
        yield Channel.objects.get(pk=channel.pk), posts


def test_the_bar_moves_with_the_history_read_and_never_claims_more(big_page, monkeypatch):
    channel, posts = big_page
    monkeypatch.setattr(tasks, "POLL_CHUNK", 25)  # one chunk of 25 comments per poll: a long import
    monkeypatch.setattr(tasks, "POLL_BUDGET", 25)
    seen: list[int] = []
    for _ in range(40):
        tasks.poll_once(Channel.objects.get(pk=channel.pk))
        channel = Channel.objects.get(pk=channel.pk)
        seen.append(channel.backfill_percent)
        if channel.backfill_status == Channel.Backfill.DONE:
            break
        stored = set(Message.objects.filter(channel=channel).values_list("external_id", flat=True))
        assert channel.backfill_reached is not None
        # The truth the date tells: every comment of every post newer than it is stored.
        for created, comment_ids in posts.values():
            if created > channel.backfill_reached:
                assert comment_ids <= stored, (created, channel.backfill_reached)
        assert seen[-1] < 100
    assert channel.backfill_status == Channel.Backfill.DONE
    assert Message.objects.filter(channel=channel).count() == POSTS * COMMENTS_PER_POST + DMS
    assert seen == sorted(seen) and seen[-1] == 100
    assert len(set(seen)) >= POSTS // 2  # it moved along the way, not from 0 straight to 100
    assert 0 < seen[len(seen) // 2] < 100


def _item(at: dt.datetime, n: int) -> p.EngagementItem:
    return p.EngagementItem(
        network=p.Network.X,
        external_id=f"m{n}",
        kind=p.ItemKind.MENTION,
        text="hi",
        created_at=at,
        author=None,
    )


def test_without_the_providers_word_the_last_item_delivered_marks_the_place(x_channel):
    """And the place never moves forward again: a later run that delivers newer items (what arrived
    meanwhile, at the top of the walk) leaves it where it was."""
    now = timezone.now()
    older, newer = now - dt.timedelta(days=3), now - dt.timedelta(hours=1)
    channel = Channel.objects.get(pk=x_channel.pk)
    first = p.PollResult(items=[_item(newer, 1), _item(older, 2)], cursor={}, has_more=True)
    services.channel_poll_succeeded(channel=channel, result=first, rate_limit=None, started_at=now)
    channel.refresh_from_db()
    assert channel.backfill_reached == older and channel.backfill_status == Channel.Backfill.RUNNING
    then = p.PollResult(items=[_item(newer, 3)], cursor={}, has_more=True)
    services.channel_poll_succeeded(channel=channel, result=then, rate_limit=None, started_at=now)
    channel.refresh_from_db()
    assert channel.backfill_reached == older
    assert 0 < channel.backfill_percent < 100


def test_the_settings_page_shows_the_bar_with_its_value_and_date(owner_client, workspace, x_channel):
    reached = x_channel.created_at - dt.timedelta(days=7)
    Channel.objects.filter(pk=x_channel.pk).update(
        backfill_status=Channel.Backfill.RUNNING,
        backfill_days=14,
        backfill_reached=reached,
        backfill_fetched=1200,
    )
    url = reverse("channel_backfill", args=[workspace.slug, x_channel.pk])
    page = owner_client.get(url).content.decode()
    assert 'max="100" value="50"' in page
    assert "Imported back to" in page and "50% of the history asked for" in page
    assert "1200 items over 14 days" in page
    Channel.objects.filter(pk=x_channel.pk).update(backfill_status=Channel.Backfill.DONE)
    done = owner_client.get(url).content.decode()
    assert 'value="100"' in done and "Imported back to" not in done and "hx-get" not in done

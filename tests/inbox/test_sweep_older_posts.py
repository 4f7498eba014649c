"""Comments on older posts, whatever their age, on Instagram and LinkedIn (issue 13, item 4): the poll task
against the fakes over real HTTP, into the inbox. Facebook's sweep is tested in test_watch_and_edits.py."""

from __future__ import annotations

import datetime as dt

import pytest

from inbox.models import Conversation, Message
from networks import services, tasks
from networks.fakes.graph import GraphFake
from networks.models import Channel, WatchSettings
from networks.providers import base as p
from tests.publishing_fakes import linkedin_account

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def ago(**delta: float) -> dt.datetime:
    return NOW - dt.timedelta(**delta)


def poll(channel: Channel):
    channel.refresh_from_db()
    return tasks.poll_once(channel)


def interval_passed(channel: Channel) -> None:
    """What the sweep interval does: the next poll starts another pass."""
    channel.refresh_from_db()
    channel.cursor["sweep"]["next_at"] = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
    Channel.objects.filter(pk=channel.pk).update(cursor=channel.cursor)


def texts(channel: Channel) -> list[str]:
    return sorted(Message.objects.filter(channel=channel).values_list("text", flat=True))


# --- Instagram --------------------------------------------------------------------------------------------


@pytest.fixture
def graph():
    with GraphFake(page_size=5) as fake:
        page = fake.add_page("Acme Bakery", page_id="888")
        fake.ig_user = fake.add_ig_user("acme.bakery", page_id=page.id)
        fake.page = page
        yield fake


@pytest.fixture
def instagram(graph, workspace, owner) -> Channel:
    channel = services.channel_connect(
        workspace=workspace,
        network="instagram",
        external_id=graph.ig_user.id,
        name="Acme on Instagram",
        handle="acme.bakery",
        api_base_url=graph.base_url,
        credentials=p.Credentials(access_token=graph.page.token),
        by=owner,
    )
    # History import done: the recent window is the workspace's setting, not the connection's choice.
    Channel.objects.filter(pk=channel.pk).update(backfill_status=Channel.Backfill.DONE)
    channel.refresh_from_db()
    return channel


def test_a_comment_on_a_200_day_old_media_arrives_through_the_sweep(graph, instagram):
    old = graph.add_media(graph.ig_user.id, "Our winter menu", ago(days=200))
    graph.add_ig_comment(old.id, "Is the chestnut cake back this year?", ago(hours=2))
    graph.add_ig_comment(old.id, "Years-old chatter", ago(days=190))  # older than the recent window

    run = poll(instagram)

    assert run.outcome == "ok"
    assert texts(instagram) == ["Is the chestnut cake back this year?"]
    assert Conversation.objects.get(channel=instagram).post_external_id == old.id


def test_without_the_sweep_the_old_media_is_not_read(graph, instagram, workspace):
    """The guard the previous test needs: with the sweep off, only recent media are watched."""
    WatchSettings.objects.create(workspace=workspace, sweep_days=0)
    old = graph.add_media(graph.ig_user.id, "Our winter menu", ago(days=200))
    graph.add_ig_comment(old.id, "Is the chestnut cake back this year?", ago(hours=2))

    poll(instagram)

    assert texts(instagram) == []


def test_the_sweep_reaches_no_further_back_than_the_setting(graph, instagram, workspace):
    WatchSettings.objects.create(workspace=workspace, sweep_days=100)
    ancient = graph.add_media(graph.ig_user.id, "Ancient", ago(days=200))
    graph.add_ig_comment(ancient.id, "Fresh words on an ancient post", ago(hours=2))
    middle = graph.add_media(graph.ig_user.id, "Spring", ago(days=60))
    graph.add_ig_comment(middle.id, "Still selling the spring box?", ago(hours=1))

    poll(instagram)

    assert texts(instagram) == ["Still selling the spring box?"]


@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_a_long_sweep_is_bounded_per_poll_and_resumes_whatever_the_order(graph, instagram, workspace, order):
    """Meta documents no order for an account's media: the pass reads the whole list either way."""
    graph.ig_media_order = order
    WatchSettings.objects.create(workspace=workspace, sweep_posts_per_run=2)
    for n in range(5):
        media = graph.add_media(graph.ig_user.id, f"Old post {n}", ago(days=40 + n))
        graph.add_ig_comment(media.id, f"Question {n}", ago(hours=1, minutes=n))
    graph.add_media(graph.ig_user.id, "Way too old", ago(days=900))  # listed, never walked

    poll(instagram)
    assert len(texts(instagram)) == 2
    poll(instagram)
    assert len(texts(instagram)) == 4
    poll(instagram)
    assert texts(instagram) == [f"Question {n}" for n in range(5)]
    instagram.refresh_from_db()
    assert "walked" not in instagram.cursor["sweep"]  # the pass is complete: the next one waits


def test_the_next_pass_delivers_only_what_is_new_and_waits_for_its_interval(graph, instagram):
    old = graph.add_media(graph.ig_user.id, "Our winter menu", ago(days=200))
    graph.add_ig_comment(old.id, "First question", ago(hours=3))
    poll(instagram)
    graph.add_ig_comment(old.id, "Second question", ago(minutes=5))

    poll(instagram)  # the pass is done: the sweep waits for its interval
    assert texts(instagram) == ["First question"]

    interval_passed(instagram)
    poll(instagram)
    assert texts(instagram) == ["First question", "Second question"]
    assert Message.objects.filter(channel=instagram).count() == 2


def test_a_media_leaving_the_recent_window_hands_its_mark_to_the_sweep(graph, instagram, workspace):
    """A media the recent poll stops reading is not walked again from the floor: what it delivered stays
    delivered, and nothing is read twice into the inbox."""
    WatchSettings.objects.create(workspace=workspace, recent_posts=1)
    first = graph.add_media(graph.ig_user.id, "Monday's bread", ago(days=2))
    graph.add_ig_comment(first.id, "Any rye left?", ago(hours=5))
    poll(instagram)
    assert texts(instagram) == ["Any rye left?"]

    # Tuesday's media pushes Monday's out of the recent count.
    graph.add_media(graph.ig_user.id, "Tuesday's bread", ago(hours=1))
    graph.add_ig_comment(first.id, "And tomorrow?", ago(minutes=10))
    interval_passed(instagram)
    poll(instagram)

    assert texts(instagram) == ["And tomorrow?", "Any rye left?"]
    instagram.refresh_from_db()
    assert first.id in instagram.cursor["sweep"]["posts"]


# --- LinkedIn ---------------------------------------------------------------------------------------------


def ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def linkedin(workspace, owner):
    with linkedin_account(workspace, owner) as fake:
        fake.member = fake.add_member("Lee Reader", "lee")
        # The recent poll reads the most recent posts (the workspace's count, 25 by default), whatever
        # their age: these fill them.
        for n in range(25):
            fake.add_post(fake.org, f"This week's post {n}", created_ms=ms(ago(days=1, minutes=n)))
        Channel.objects.filter(pk=fake.channel.pk).update(backfill_status=Channel.Backfill.DONE)
        fake.channel.refresh_from_db()
        yield fake


def test_a_comment_on_an_old_linkedin_post_arrives_through_the_sweep(linkedin):
    old = linkedin.add_post(linkedin.org, "Our 2025 hiring drive", created_ms=ms(ago(days=200)))
    linkedin.add_comment(old, linkedin.member, "Is the role still open?", created_ms=ms(ago(hours=2)))
    linkedin.add_comment(old, linkedin.member, "Years-old chatter", created_ms=ms(ago(days=190)))

    run = poll(linkedin.channel)

    assert run.outcome == "ok"
    assert texts(linkedin.channel) == ["Is the role still open?"]
    assert Conversation.objects.get(channel=linkedin.channel).post_external_id == old


def test_without_the_sweep_the_old_linkedin_post_is_not_read(linkedin, workspace):
    WatchSettings.objects.create(workspace=workspace, sweep_days=0)
    old = linkedin.add_post(linkedin.org, "Our 2025 hiring drive", created_ms=ms(ago(days=200)))
    linkedin.add_comment(old, linkedin.member, "Is the role still open?", created_ms=ms(ago(hours=2)))

    poll(linkedin.channel)

    assert texts(linkedin.channel) == []


def test_the_linkedin_sweep_is_bounded_per_poll_resumes_and_stops_at_its_window(linkedin, workspace):
    WatchSettings.objects.create(workspace=workspace, sweep_posts_per_run=2, sweep_days=100)
    for n in range(5):
        post = linkedin.add_post(linkedin.org, f"Old post {n}", created_ms=ms(ago(days=30 + n)))
        linkedin.add_comment(post, linkedin.member, f"Question {n}", created_ms=ms(ago(hours=1, minutes=n)))
    ancient = linkedin.add_post(linkedin.org, "Ancient", created_ms=ms(ago(days=300)))
    linkedin.add_comment(ancient, linkedin.member, "Beyond the window", created_ms=ms(ago(hours=1)))

    poll(linkedin.channel)
    assert len(texts(linkedin.channel)) == 2
    poll(linkedin.channel)
    assert len(texts(linkedin.channel)) == 4
    poll(linkedin.channel)
    assert texts(linkedin.channel) == [f"Question {n}" for n in range(5)]
    linkedin.channel.refresh_from_db()
    assert "walked" not in linkedin.channel.cursor["sweep"]

    linkedin.add_comment(ancient, linkedin.member, "Still beyond", created_ms=ms(ago(minutes=1)))
    interval_passed(linkedin.channel)
    poll(linkedin.channel)
    assert "Beyond the window" not in texts(linkedin.channel)
    assert "Still beyond" not in texts(linkedin.channel)

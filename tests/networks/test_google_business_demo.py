"""The demo's Google Business Profile: Demo Bakery's shops on the fake, reviews of every rating in French and
English (stars without words, one answered in Google's dashboard), and a reviewer's edit after a while."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from demo import google_business as demo_gbp
from demo.world import FREE_PORTS, DemoAddresses, DemoNetworks
from inbox.models import Conversation, Message
from networks import tasks
from networks.models import Channel, PollRun
from networks.providers.google_business import review_reply_id


@pytest.fixture
def demo():
    networks = DemoNetworks(DemoAddresses(**FREE_PORTS), session="gbp").start()
    yield networks
    networks.stop()


@pytest.fixture
def channel(db, settings, demo) -> Channel:
    settings.CMHUB_DEMO = True
    call_command("seed_demo", stdout=StringIO())
    a = demo.addresses
    ports = {"host": a.host, **{name: getattr(a, name) for name in FREE_PORTS}}
    call_command("seed_demo_channels", stdout=StringIO(), **ports)
    return Channel.objects.get(workspace__slug="demo", network="google_business")


def test_the_demo_shop_has_reviews_of_every_rating_in_two_languages(demo, channel):
    assert channel.external_id == demo_gbp.DEMO_GBP_LOCATION
    assert tasks.poll_once(channel).outcome == PollRun.Outcome.OK

    ratings = set(Conversation.objects.filter(channel=channel).values_list("rating", flat=True))
    assert ratings == {1, 2, 3, 4, 5}
    reviews = Message.objects.filter(channel=channel, kind="review")
    assert reviews.filter(text="").count() >= 2  # stars without words
    texts = " ".join(reviews.values_list("text", flat=True))
    assert "croissants" in texts and "Never again" in texts  # French and English
    answered = list(demo.google_business.reviews)[demo_gbp.DASHBOARD_ANSWERED]
    ours = Message.objects.get(channel=channel, external_id=review_reply_id(answered))
    assert (ours.direction, ours.text) == ("out", demo_gbp.DASHBOARD_REPLY)


def test_the_unhappy_reviewer_edits_their_review_after_a_while(demo, channel):
    tasks.poll_once(channel)
    name = list(demo.google_business.reviews)[demo_gbp.EDITED]
    for _ in range(demo_gbp.EDIT_AFTER_TICKS):
        demo.google_business_feed.tick(demo_gbp.dt.datetime.now(demo_gbp.dt.UTC))
    channel.refresh_from_db()
    tasks.poll_once(channel)

    review = Message.objects.get(channel=channel, external_id=name)
    assert review.text == demo_gbp.EDITED_WORDS["fr"] and review.previous_texts
    assert Message.objects.filter(channel=channel, external_id=name).count() == 1

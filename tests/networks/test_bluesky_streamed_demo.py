"""Bluesky end to end in real time: the demo's Jetstream fake, the production JetstreamSource run by the
stream consumer (networks.streams.SourceRunner), and the post read back through the API into the inbox."""

from __future__ import annotations

import datetime as dt
import time
from io import StringIO

import pytest
from django.core.management import call_command

from core.http import make_client
from demo.world import FREE_PORTS, DemoAddresses, DemoNetworks
from inbox.models import Message
from networks import tasks
from networks.models import Channel, StreamState
from networks.streams import SourceRunner, wanted_sources

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo():
    free = DemoAddresses(**FREE_PORTS)
    networks = DemoNetworks(free, session="streamed").start()
    yield networks
    networks.stop()


def test_a_live_bluesky_mention_reaches_the_inbox_through_the_stream_consumer(demo, settings):
    settings.CMHUB_DEMO = True
    settings.CMHUB_BLUESKY_JETSTREAM_URL = demo.addresses.jetstream_url
    a = demo.addresses
    ports = {"graph_port": a.graph_port, "x_port": a.x_port, "linkedin_port": a.linkedin_port}
    ports["threads_port"] = a.threads_port
    call_command("seed_demo", stdout=StringIO())
    call_command(
        "seed_demo_channels",
        stdout=StringIO(),
        host=a.host,
        bluesky_port=a.bluesky_port,
        jetstream_port=a.jetstream_port,
        **ports,
    )
    channel = Channel.objects.get(workspace__slug="demo", network="bluesky")
    tasks.poll_once(channel)  # the history, as the worker's first poll reads it
    [source] = [s for s in wanted_sources() if s.key == "bluesky:jetstream"]
    runner = SourceRunner(source, http_factory=lambda: make_client(timeout=5))
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while not StreamState.objects.filter(key=source.key, connected_at__isnull=False).exists():
            assert time.monotonic() < deadline, "the stream never connected"
            time.sleep(0.02)
        before = Message.objects.filter(channel=channel).count()
        demo.bluesky_feed._write("mention", dt.datetime.now(dt.UTC))
        mention = max(demo.bluesky.posts.values(), key=lambda post: post["indexedAt"])
        deadline = time.monotonic() + 5
        while not Message.objects.filter(channel=channel, external_id=mention["uri"]).exists():
            assert time.monotonic() < deadline, "the mention never reached the inbox"
            time.sleep(0.02)
    finally:
        runner.stop()
        runner.join(timeout=10)

    stored = Message.objects.get(channel=channel, external_id=mention["uri"])
    assert stored.kind == "mention" and stored.text == mention["record"]["text"]
    assert Message.objects.filter(channel=channel).count() == before + 1
    assert StreamState.objects.get(key=source.key).cursor["time_us"] > 0

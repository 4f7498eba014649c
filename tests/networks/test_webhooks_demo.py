"""The demo end to end, without a browser: the demo fakes push their live engagement to the product's
webhook URL on a live server (signed as Meta and LinkedIn sign it, after their handshakes), the deliveries
are processed as the worker would, and the poll of the same fakes adds no second copy."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from demo.world import FREE_PORTS, DemoAddresses, DemoNetworks
from inbox.models import Conversation, Message
from networks import tasks, webhooks
from networks.models import Channel, ChannelWebhookState, WebhookDelivery


@pytest.fixture
def demo(live_server):
    networks = DemoNetworks(
        DemoAddresses(**FREE_PORTS),
        session="webhooks",
        webhook_base=live_server.url,
    ).start()
    yield networks
    networks.stop()


@pytest.fixture
def demo_channels(transactional_db, settings, demo, broker):
    settings.CMHUB_DEMO = True
    a = demo.addresses
    ports = {"host": a.host, "graph_port": a.graph_port, "x_port": a.x_port, "linkedin_port": a.linkedin_port}
    ports |= {
        "bluesky_port": a.bluesky_port,
        "jetstream_port": a.jetstream_port,
        "threads_port": a.threads_port,
    }
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo_channels", stdout=StringIO(), **ports)
    return {c.network: c for c in Channel.objects.filter(workspace__slug="demo")}


def test_the_demo_fakes_push_webhooks_that_land_once_in_the_inbox(demo, demo_channels, broker):
    for channel in demo_channels.values():  # the seeded history first, as the worker would on start
        tasks.poll_once(channel)
    before = Message.objects.count()
    pushed = {"facebook": 0, "instagram": 0, "linkedin": 0, "threads": 0}
    for _ in range(60):
        counts = demo.tick()
        for network in pushed:
            pushed[network] += counts.get(network, 0)
        if all(pushed.values()):
            break
    assert all(pushed.values()), pushed
    outboxes = (demo.graph.webhooks, demo.linkedin.webhooks, demo.threads.webhooks)
    assert all(outbox.drain(30) for outbox in outboxes)
    assert {sent.status for outbox in outboxes for sent in outbox.sent} == {200}

    queued = broker.ids("networks.process_webhook")
    assert queued
    for delivery_id in queued:
        webhooks.webhook_delivery_process(delivery_id)
    deliveries = WebhookDelivery.objects.all()
    assert {d.network for d in deliveries} == {"facebook", "instagram", "linkedin", "threads"}
    assert not deliveries.exclude(status="processed").exists()
    from_webhooks = Message.objects.count() - before
    assert from_webhooks > 0
    for network in ("facebook", "instagram", "linkedin", "threads"):
        state = ChannelWebhookState.objects.get(channel=demo_channels[network])
        assert state.deliveries > 0 and state.refused == 0

    for channel in demo_channels.values():
        tasks.poll_once(channel)
    # One copy of everything: every conversation counts exactly the messages it holds.
    for channel in demo_channels.values():
        counted = Conversation.objects.filter(channel=channel).aggregate(n=Sum("message_count"))["n"] or 0
        assert counted == Message.objects.filter(channel=channel).count(), channel

"""A Threads profile in the inbox, end to end without a browser: connected through the views and the fake's
consent page, polled by the production task, answered through the send pipeline once, replies hidden through
the moderation queue, a signed webhook making the channel due."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.utils import timezone

from inbox import moderation, replies
from inbox.models import Conversation, Message, ModerationAction
from networks import tasks as network_tasks
from networks import webhooks
from networks.fakes.threads import ThreadsFake
from networks.models import Channel, NetworkApp
from tests.networks.connecting import approve, consent_url

S = Message.SendStatus
A = ModerationAction.Action


@dataclass
class World:
    fake: ThreadsFake
    channel: Channel
    brand: str
    ada: str
    post: str


@pytest.fixture
def world(owner_client, workspace) -> Iterator[World]:
    with ThreadsFake() as fake:
        brand = fake.add_user("acmebakery", "Acme Bakery")
        ada = fake.add_user("ada", "Ada")
        NetworkApp.objects.create(
            network="threads",
            client_id=fake.client_id,
            client_secret=fake.client_secret,
            api_base_url=fake.base_url,
            oauth_base_url=fake.base_url,
            webhook_verify_token="verify-me",
        )
        callback = owner_client.get(approve(consent_url(owner_client, "acme", "threads")))
        assert callback.status_code == 302, callback
        assert "Acme Bakery" in owner_client.get(callback.url).content.decode()
        assert owner_client.post(callback.url, {"account": [brand], "backfill_days": "7"}).status_code == 302
        channel = Channel.objects.get(workspace=workspace, network="threads")
        post = fake.add_post(brand, "Croissants tout chauds !", ago=3600)
        yield World(fake, channel, brand, ada, post)


def test_connecting_stores_a_long_lived_token_renewed_before_it_runs_out(world):
    channel = world.channel
    assert (channel.external_id, channel.handle) == (world.brand, "acmebakery")
    assert channel.token_expires_at is not None
    assert (channel.token_expires_at - timezone.now()).days >= 59
    assert world.fake.world.tokens[channel.access_token].long_lived


def test_replies_land_in_one_conversation_per_reply_to_our_post(world):
    fake = world.fake
    top = fake.add_reply(world.post, world.ada, "Vous ouvrez dimanche ?", ago=600)
    ours = fake.add_reply(top, world.brand, "Oui, de 8 h à 13 h.", ago=500)
    fake.add_reply(ours, world.ada, "Super, merci !", ago=400)
    fake.add_reply(world.post, world.ada, "Do you deliver?", ago=300)
    network_tasks.poll_once(world.channel)
    conversations = Conversation.objects.filter(channel=world.channel)
    assert conversations.count() == 2
    first = Message.objects.get(channel=world.channel, external_id=top).conversation
    texts = list(first.messages.order_by("created_at").values_list("text", "direction"))
    assert texts == [
        ("Vous ouvrez dimanche ?", "in"),
        ("Oui, de 8 h à 13 h.", "out"),
        ("Super, merci !", "in"),
    ]


def test_a_hidden_reply_is_stored_hidden(world):
    hidden = world.fake.add_reply(world.post, world.ada, "Achetez mes followers", hidden=True)
    network_tasks.poll_once(world.channel)
    assert Message.objects.get(channel=world.channel, external_id=hidden).hidden


def test_an_answer_is_published_once_under_the_reply(world, agent, broker):
    reply = world.fake.add_reply(world.post, world.ada, "Vous livrez ?")
    network_tasks.poll_once(world.channel)
    conversation = Message.objects.get(external_id=reply).conversation
    version = conversation.messages.order_by("-pk").values_list("pk", flat=True)[0]
    message = replies.reply_create(
        conversation=conversation,
        author=agent.memberships.get(),
        text="Oui, à vélo 🚲",
        thread_version=version,
    )
    assert replies.reply_send(message.pk).status == S.SENT
    assert replies.reply_send(message.pk) is None  # sent: nothing more happens
    [published] = world.fake.published(world.brand)
    message.refresh_from_db()
    assert message.external_id == published.id and published.replied_to == reply
    network_tasks.poll_once(world.channel)  # our answer comes back from the network: no second message
    assert Message.objects.filter(channel=world.channel, external_id=published.id).count() == 1


def test_a_reply_is_hidden_through_the_moderation_queue(world, agent, broker):
    reply = world.fake.add_reply(world.post, world.ada, "Spam spam spam")
    network_tasks.poll_once(world.channel)
    message = Message.objects.get(external_id=reply)
    row = moderation.moderation_request(message=message, by=agent.memberships.get(), action=A.HIDE)
    assert moderation.moderation_process(row.pk) == ModerationAction.State.DONE
    assert world.fake.world.media[reply].hide_status == "HIDDEN"
    message.refresh_from_db()
    assert message.hidden


def test_a_signed_replies_webhook_makes_the_channel_due(
    world, client, broker, django_capture_on_commit_callbacks
):
    Channel.objects.filter(pk=world.channel.pk).update(
        next_poll_at=timezone.now() + timezone.timedelta(minutes=5)
    )
    body = json.dumps(
        {
            "app_id": world.fake.client_id,
            "topic": "moderate",
            "target_id": world.brand,
            "time": int(time.time()),
            "subscription_id": "1",
            "has_uid_field": False,
            "values": {
                "field": "replies",
                "value": {"id": "1", "root_post": {"id": world.post, "owner_id": world.brand}},
            },
        }
    ).encode()
    # Written from Meta's documentation: HMAC-SHA256 of the raw body with the app secret.
    signature = "sha256=" + hmac.new(world.fake.client_secret.encode(), body, hashlib.sha256).hexdigest()
    with django_capture_on_commit_callbacks(execute=True):
        forged = client.post(
            "/webhooks/threads/",
            data=body,
            content_type="application/json",
            headers={"X-Hub-Signature-256": "sha256=00"},
        )
        answer = client.post(
            "/webhooks/threads/",
            data=body,
            content_type="application/json",
            headers={"X-Hub-Signature-256": signature},
        )
    assert forged.status_code == 403 and answer.status_code == 200
    for delivery_id in broker.ids("networks.process_webhook"):
        webhooks.webhook_delivery_process(delivery_id)
    world.channel.refresh_from_db()
    assert world.channel.next_poll_at <= timezone.now()


def test_the_webhook_handshake_echoes_the_challenge(world, client):
    query = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
    answer = client.get("/webhooks/threads/", query)
    assert answer.status_code == 200 and answer.content == b"1158201444"
    assert client.get("/webhooks/threads/", {**query, "hub.verify_token": "nope"}).status_code == 403


def test_the_channels_page_says_threads_has_no_direct_messages(owner_client, workspace):
    page = owner_client.get("/w/acme/settings/channels/").content.decode()
    card = page.split('network-threads">Threads</span>', 1)[1].split('<div class="card">', 1)[0]
    assert "No direct messages: the Threads API" in card
    x_card = page.split('network-x">X</span>', 1)[1].split('<div class="card">', 1)[0]
    assert "No direct messages" not in x_card  # X answers them


def test_a_reply_to_a_reply_cannot_be_hidden_on_its_own_and_says_why(world, agent):
    top = world.fake.add_reply(world.post, world.ada, "Question", ago=60)
    under = world.fake.add_reply(top, world.ada, "Spam under it")
    network_tasks.poll_once(world.channel)
    member = agent.memberships.get()
    nested = Message.objects.get(external_id=under)
    assert not moderation.describe(nested, member=member).can_hide
    assert "Threads hides only replies made to the post itself" in moderation.refusal(
        message=nested, action=A.HIDE, by=member
    )
    assert moderation.describe(Message.objects.get(external_id=top), member=member).can_hide


def test_a_token_near_its_60_days_is_renewed_by_the_next_poll(world):
    channel = world.channel
    old = world.fake.world.tokens[channel.access_token]
    old.issued -= timezone.timedelta(days=55)  # Threads renews a token once it is a day old
    credentials = {**channel.credentials, "extra": {"issued_at": old.issued.isoformat()}}
    Channel.objects.filter(pk=channel.pk).update(
        credentials=credentials, token_expires_at=timezone.now() + timezone.timedelta(days=5)
    )
    channel.refresh_from_db()
    before = channel.access_token
    network_tasks.poll_once(channel)
    channel.refresh_from_db()
    assert channel.access_token != before
    assert (channel.token_expires_at - timezone.now()).days >= 59

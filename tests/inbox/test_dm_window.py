"""The messaging window of Instagram (and Messenger) DMs: shown in the composer, enforced before a reply
is queued; X has none."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from inbox import dm_window, replies
from inbox.ingest import message_ingest_batch
from inbox.models import Conversation, Message
from networks.models import Channel
from networks.providers import base as p


def dm_conversation(workspace, network: str, *, wrote_ago: dt.timedelta) -> Conversation:
    channel = Channel.objects.create(
        workspace=workspace,
        network=network,
        external_id="ME",
        name=network,
        api_base_url="http://127.0.0.1:9",
    )
    item = p.EngagementItem(
        network=p.Network(network),
        external_id="m1",
        kind=p.ItemKind.DIRECT_MESSAGE,
        text="Are you open today?",
        created_at=timezone.now() - wrote_ago,
        author=p.Author("5301", handle="dana"),
        thread_root_external_id="thread-1",
    )
    message_ingest_batch(channel=channel, items=[item])
    return Conversation.objects.select_related("channel").get(channel=channel)


def write(conversation, user, text="Yes, until 7pm"):
    version = (
        Message.objects.filter(conversation=conversation).order_by("-pk").values_list("pk", flat=True)[0]
    )
    return replies.reply_create(
        conversation=conversation, author=user.memberships.get(), text=text, thread_version=version
    )


@pytest.mark.parametrize("network", ["instagram", "facebook"])
def test_an_answer_inside_the_window_is_queued(workspace, agent, broker, network):
    conversation = dm_conversation(workspace, network, wrote_ago=dt.timedelta(hours=23))

    message = write(conversation, agent)

    assert message.send_status == Message.SendStatus.QUEUED
    window = dm_window.reply_window(conversation)
    assert window is not None and not window.closed(timezone.now())


@pytest.mark.parametrize("network", ["instagram", "facebook"])
def test_an_answer_after_the_window_is_refused_before_it_is_queued(workspace, agent, broker, network):
    conversation = dm_conversation(workspace, network, wrote_ago=dt.timedelta(hours=25))

    with pytest.raises(replies.ReplyError, match="24 hours"):
        write(conversation, agent)

    assert not Message.objects.filter(direction=Message.Direction.OUT).exists()
    assert broker.ids("inbox.send_reply") == []


def test_the_refusal_is_said_in_french_too(workspace, agent):
    conversation = dm_conversation(workspace, "instagram", wrote_ago=dt.timedelta(days=3))
    with translation.override("fr"):
        problems = dm_window.window_problems(conversation=conversation)
    assert "24 heures" in problems[0]


def test_x_direct_messages_have_no_window(workspace, agent, broker):
    conversation = dm_conversation(workspace, "x", wrote_ago=dt.timedelta(days=20))
    assert dm_window.reply_window(conversation) is None
    assert write(conversation, agent).send_status == Message.SendStatus.QUEUED


def test_the_composer_says_when_the_window_closes(workspace, agent, client):
    conversation = dm_conversation(workspace, "instagram", wrote_ago=dt.timedelta(hours=2))
    client.force_login(agent)
    html = client.get(f"/w/{workspace.slug}/inbox/{conversation.pk}/reply/").content.decode()
    assert "window closes" in html


def test_the_composer_says_the_window_is_closed(workspace, agent, client):
    conversation = dm_conversation(workspace, "instagram", wrote_ago=dt.timedelta(hours=30))
    client.force_login(agent)
    html = client.get(f"/w/{workspace.slug}/inbox/{conversation.pk}/reply/").content.decode()
    assert "window closed" in html

"""reply.sent and reply.failed, from a reply sent through the real pipeline to the X fake, to a receiver
that verifies the signature: the path a bot takes to hear that a reply a manager approved went out."""

from __future__ import annotations

import datetime as dt

import pytest

from hooks import events
from hooks.models import OutgoingWebhook
from inbox import replies
from inbox.models import Conversation, Message
from networks import services
from networks import tasks as network_tasks
from networks.fakes.x import XFake
from networks.providers import base as p
from tests.hooks.conftest import deliver_waiting

pytestmark = pytest.mark.django_db
S = OutgoingWebhook.Status


@pytest.fixture
def x_conversation(workspace, owner):
    with XFake() as fake:
        fake._clock = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        brand = fake.add_user("acmebakery", "Acme Bakery")
        fan = fake.add_user("lea", "Léa Martin")
        token = fake.issue_token(brand, scopes=("tweet.read", "users.read", "tweet.write"))
        channel = services.channel_connect(
            workspace=workspace,
            network="x",
            external_id=brand,
            name="Acme on X",
            handle="acmebakery",
            api_base_url=fake.base_url,
            credentials=p.Credentials(access_token=token["access_token"]),
            by=owner,
        )
        fake.add_mention(brand, fan, "@acmebakery open on Sunday?")
        network_tasks.poll_once(channel)
        yield fake, Conversation.objects.get(channel=channel)


def _reply(conversation: Conversation, user, text: str = "Yes, 8 to 12!") -> Message:
    version = (
        Message.objects.filter(conversation=conversation).order_by("-pk").values_list("pk", flat=True)[0]
    )
    conversation = Conversation.objects.select_related("channel").get(pk=conversation.pk)
    return replies.reply_create(
        conversation=conversation, author=user.memberships.get(), text=text, thread_version=version
    )


def test_a_sent_reply_is_announced_with_its_network_link(
    x_conversation, agent, receiver, endpoint_for, broker
):
    _fake, conversation = x_conversation
    endpoint_for([events.REPLY_SENT, events.REPLY_FAILED])
    message = _reply(conversation, agent)
    assert not OutgoingWebhook.objects.exists()  # queued is not sent

    replies.reply_send(message.pk)

    assert deliver_waiting() == [S.DELIVERED]
    [got] = receiver.got
    assert got.verified
    body = got.json()
    assert body["type"] == "reply.sent"
    reply = body["data"]["reply"]
    message.refresh_from_db()
    assert (reply["id"], reply["status"], reply["text"]) == (message.pk, "sent", "Yes, 8 to 12!")
    assert reply["permalink"] == message.permalink and reply["author"] == agent.email
    assert reply["conversation_id"] == conversation.pk


def test_a_reply_refused_for_a_dead_token_is_announced_with_the_lost_channel(
    x_conversation, agent, receiver, endpoint_for, broker
):
    fake, conversation = x_conversation
    endpoint_for([events.REPLY_FAILED, events.CHANNEL_NEEDS_RECONNECT])
    fake.unauthorized("/2/tweets$")
    message = _reply(conversation, agent)

    assert replies.reply_send(message.pk).status == Message.SendStatus.FAILED

    assert deliver_waiting() == [S.DELIVERED, S.DELIVERED]
    assert sorted(receiver.types()) == ["channel.needs_reconnect", "reply.failed"]
    failed = next(g.json() for g in receiver.got if g.json()["type"] == "reply.failed")
    assert failed["data"]["reply"]["status"] == "failed"
    assert "reconnect" in failed["data"]["reply"]["error"]


def test_the_readme_chain_a_bot_drafts_by_api_a_manager_approves_and_the_bot_hears_reply_sent(
    x_conversation, agent, manager, workspace, receiver, endpoint_for, broker
):
    """Issue 16's done-when: a workspace token (a bot, with an agent's role) lists conversations and drafts
    a reply; a manager approves it; the reply goes out to the network and the bot's endpoint receives a
    signed `reply.sent`."""
    from api.tokens import api_token_create
    from inbox.replies.writing import reply_approve
    from tests.api.conftest import Api

    _fake, conversation = x_conversation
    endpoint_for([events.REPLY_SENT])
    assert conversation.status == Conversation.Status.OPEN
    admin_member = workspace.memberships.get(role="admin")
    _token, secret = api_token_create(
        by=admin_member, name="bot", scopes=["conversations:write"], kind="workspace", role="agent"
    )
    bot = Api(secret)
    [listed] = bot.get("/conversations").json()["items"]
    assert listed["id"] == conversation.pk
    draft = bot.post(f"/conversations/{listed['id']}/replies", {"text": "Yes, 8 to 12!", "draft": True})
    assert draft.status_code == 201 and draft.json()["send_status"] == "pending_approval"
    message = Message.objects.get(pk=draft.json()["id"])

    reply_approve(message=message, by=manager.memberships.get())
    replies.reply_send(message.pk)

    assert deliver_waiting() == [S.DELIVERED]
    [got] = receiver.got
    assert got.verified and got.json()["type"] == "reply.sent"
    assert got.json()["data"]["reply"]["id"] == message.pk

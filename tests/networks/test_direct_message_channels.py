"""Instagram and X direct messages through the Django layer: polled into DM conversations, a missing
messaging permission shown on the health page, the connect flow asking for what DMs need."""

from __future__ import annotations

import datetime as dt

import pytest

from inbox.models import Conversation, Message
from networks import services, tasks
from networks.fakes.graph_state import GRANTED_BY_DEFAULT
from networks.models import PollRun
from networks.providers import base as p
from networks.registry import SPECS


@pytest.fixture
def instagram_channel(workspace, graph_fake, graph_apps, owner):
    page = graph_fake.add_page("Demo Bakery")
    ig_user = graph_fake.add_ig_user("demo.bakery", page_id=page.id)
    channel = services.channel_connect(
        workspace=workspace,
        network="instagram",
        external_id=ig_user.id,
        name="Demo Bakery IG",
        handle="demo.bakery",
        api_base_url=graph_fake.base_url,
        credentials=p.Credentials(access_token=page.token),
        by=owner,
    )
    channel.fake_ig_user, channel.fake_page = ig_user, page
    return channel


def test_instagram_dms_and_tags_become_conversations_of_their_kind(instagram_channel, graph_fake):
    ig_user = instagram_channel.fake_ig_user
    dana = {"id": "7125430297466732", "username": "dana.eats"}
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    graph_fake.add_ig_message(ig_user.id, dana, "Hello?", earlier)
    graph_fake.add_ig_message(
        ig_user.id, dana, "Hi Dana!", earlier + dt.timedelta(minutes=5), from_business=True
    )
    graph_fake.add_ig_message(ig_user.id, dana, "Open today?", earlier + dt.timedelta(minutes=9))
    graph_fake.add_ig_tag(ig_user.id, "Brunch @demo.bakery", username="ada_eats")

    run = tasks.poll_once(instagram_channel)

    assert (run.outcome, run.fetched) == (PollRun.Outcome.OK, 4)
    dm = Conversation.objects.get(channel=instagram_channel, kind=Conversation.Kind.DIRECT_MESSAGE)
    assert dm.message_count == 3 and dm.contact.handle == "dana.eats" and dm.preview == "Open today?"
    directions = list(dm.messages.order_by("created_at").values_list("direction", flat=True))
    assert directions == [Message.Direction.IN, Message.Direction.OUT, Message.Direction.IN]
    mention = Conversation.objects.get(channel=instagram_channel, kind=Conversation.Kind.MENTION)
    assert mention.contact.handle == "ada_eats" and mention.preview == "Brunch @demo.bakery"


def test_a_missing_instagram_messaging_permission_shows_on_the_health_page(
    instagram_channel, graph_fake, owner_client
):
    page = instagram_channel.fake_page
    graph_fake.set_permissions(page.token, sorted(GRANTED_BY_DEFAULT - {"instagram_manage_messages"}))

    run = tasks.poll_once(instagram_channel)

    assert run.outcome == PollRun.Outcome.PERMISSION
    html = owner_client.get("/w/acme/channels/").content.decode()
    assert "instagram_manage_messages" in html


def test_the_connect_flows_ask_for_what_direct_messages_need():
    assert "instagram_manage_messages" in SPECS["instagram"].scopes
    assert {"dm.read", "dm.write"} <= set(SPECS["x"].scopes)


def test_x_dms_are_stored_as_one_conversation_per_person(x_channel, x_fake):
    lea = x_fake.add_user("lea", "Léa")
    x_fake.add_dm(lea, x_channel.fake_brand, "Where is my order?")
    x_fake.add_dm(lea, x_channel.fake_brand, "It is 1234")

    run = tasks.poll_once(x_channel)

    assert run.outcome == PollRun.Outcome.OK
    dm = Conversation.objects.get(channel=x_channel, kind=Conversation.Kind.DIRECT_MESSAGE)
    assert dm.message_count == 2 and dm.contact.handle == "lea"

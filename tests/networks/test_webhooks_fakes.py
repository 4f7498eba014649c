"""Deliveries pushed by the Graph fake (signed as Meta signs them) into our webhook URL, and the poll of the
same fake: one message however the two meet, threaded as the poll threads it."""

from __future__ import annotations

import pytest

from inbox.models import Conversation, Message
from networks import tasks, webhooks
from networks.fakes.graph_state import GRANTED_BY_DEFAULT
from networks.models import Channel, ChannelWebhookState, NetworkApp, WebhookDelivery
from tests.contracts.webhook_receiver import Receiver

VERIFY = "verify-me"
APP = "1234567890"


@pytest.fixture
def receiver():
    with Receiver(verify_token=VERIFY) as found:
        yield found


@pytest.fixture
def page(workspace, graph_fake, graph_apps, receiver):
    NetworkApp.objects.update(webhook_verify_token=VERIFY)
    fb_page = graph_fake.add_page("Acme Bakery", page_id="104525875432211")
    graph_fake.subscribe_app(APP, "page", receiver.url, ["feed", "messages"], VERIFY)
    graph_fake.install_app(fb_page.id, APP, ["feed", "messages"])
    return Channel.objects.create(
        workspace=workspace,
        network="facebook",
        external_id=fb_page.id,
        name="Acme Bakery",
        api_base_url=graph_fake.base_url,
        credentials={"access_token": fb_page.token},
    )


def forward(client, graph_fake, receiver, broker, capture, network="facebook") -> None:
    """What the fake pushed, POSTed as it came (body and headers) to our URL; then processed."""
    assert graph_fake.webhooks.drain(10)
    for received in receiver.posts:
        with capture(execute=True):
            response = client.post(
                f"/webhooks/{network}/",
                data=received.body,
                content_type="application/json",
                headers={"X-Hub-Signature-256": received.headers["x-hub-signature-256"]},
            )
        assert response.status_code == 200
    receiver.posts.clear()
    for delivery_id in broker.ids("networks.process_webhook"):
        webhooks.webhook_delivery_process(delivery_id)
    broker.messages.clear()


def instagram_channel(graph_fake, receiver, page, workspace, *, field: str) -> Channel:
    """The Page's linked Instagram account, connected, with the app subscribed to `field`."""
    user = graph_fake.add_ig_user("acme.bakery", page_id=page.external_id)
    graph_fake.subscribe_app(APP, "instagram", receiver.url, [field], VERIFY)
    return Channel.objects.create(
        workspace=workspace,
        network="instagram",
        external_id=user.id,
        name="acme.bakery",
        api_base_url=graph_fake.base_url,
        credentials={"access_token": page.access_token},
    )


@pytest.mark.parametrize("webhook_first", [True, False])
def test_a_comment_pushed_and_polled_is_one_message(
    client, graph_fake, receiver, page, broker, django_capture_on_commit_callbacks, webhook_first
):
    post = graph_fake.add_post(page.external_id, "New sourdough")
    comment = graph_fake.add_comment(post.id, "Is it vegan?", author={"id": "5550001", "name": "Sam Vegan"})
    if webhook_first:
        forward(client, graph_fake, receiver, broker, django_capture_on_commit_callbacks)
        assert Message.objects.filter(external_id=comment.id).exists()
    tasks.poll_once(page)
    if not webhook_first:
        forward(client, graph_fake, receiver, broker, django_capture_on_commit_callbacks)
        # Handed to the inbox, which already had it: the unique constraint keeps one.
        assert WebhookDelivery.objects.get(status="processed").stored == 1
    message = Message.objects.get()
    assert (message.external_id, message.text) == (comment.id, "Is it vegan?")
    conversation = Conversation.objects.get()
    assert conversation.root_external_id == comment.id
    assert message.author_contact.name == "Sam Vegan"
    # The post beside the thread, whichever copy came first.
    assert conversation.post_text == "New sourdough"
    assert conversation.post_permalink.endswith(post.id.split("_")[1])


def test_a_reply_pushed_joins_the_thread_the_poll_started(
    client, graph_fake, receiver, page, broker, django_capture_on_commit_callbacks
):
    post = graph_fake.add_post(page.external_id, "New sourdough")
    top = graph_fake.add_comment(post.id, "Is it vegan?")
    receiver.posts.clear()
    graph_fake.webhooks.drain(10)
    receiver.posts.clear()
    tasks.poll_once(page)
    graph_fake.add_comment(post.id, "Yes please tell us", parent_id=top.id)
    forward(client, graph_fake, receiver, broker, django_capture_on_commit_callbacks)
    conversation = Conversation.objects.get()
    assert conversation.message_count == 2
    assert conversation.root_external_id == top.id


def test_a_messenger_dm_pushed_lands_in_the_conversation_the_poll_reads(
    client, graph_fake, receiver, page, broker, django_capture_on_commit_callbacks
):
    customer = {"id": "2449874838325621", "name": "Dominique Customer"}
    message = graph_fake.add_conversation_message(page.external_id, customer, "Are you open on Sunday?")
    forward(client, graph_fake, receiver, broker, django_capture_on_commit_callbacks)
    stored = Message.objects.get()
    assert stored.external_id == message.id
    assert stored.conversation.kind == Conversation.Kind.DIRECT_MESSAGE
    assert stored.conversation.root_external_id == message.conversation_id
    assert stored.author_contact.name == "Dominique Customer"
    graph_fake.add_conversation_message(page.external_id, customer, "Hello?")
    graph_fake.webhooks.drain(10)
    receiver.posts.clear()  # this one only the poll sees
    tasks.poll_once(page)
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 2


def test_a_messenger_dm_edited_after_it_arrived_shows_the_new_words_and_keeps_the_old(
    client, graph_fake, receiver, page, broker, django_capture_on_commit_callbacks
):
    """No poll sees an edit (the walk stops at what it delivered): the `message_edits` push is the only
    way the inbox learns of it."""
    graph_fake.subscribe_app(APP, "page", receiver.url, ["feed", "messages", "message_edits"], VERIFY)
    graph_fake.install_app(page.external_id, APP, ["feed", "messages", "message_edits"])
    customer = {"id": "2449874838325621", "name": "Dominique Customer"}
    message = graph_fake.add_conversation_message(page.external_id, customer, "Open on Sunday?")
    forward(client, graph_fake, receiver, broker, django_capture_on_commit_callbacks)
    graph_fake.edit_conversation_message(message.id, "Open on Sunday morning?")
    forward(client, graph_fake, receiver, broker, django_capture_on_commit_callbacks)
    stored = Message.objects.get()
    assert stored.text == "Open on Sunday morning?"
    assert [v["text"] for v in stored.previous_texts] == ["Open on Sunday?"]
    assert stored.edited_at is not None
    assert stored.conversation.preview == "Open on Sunday morning?"
    assert stored.conversation.message_count == 1  # an edit is not a new message


def test_an_edit_of_a_message_we_never_stored_stores_nothing(
    client, graph_fake, receiver, page, broker, django_capture_on_commit_callbacks
):
    graph_fake.subscribe_app(APP, "page", receiver.url, ["message_edits"], VERIFY)
    graph_fake.install_app(page.external_id, APP, ["message_edits"])
    message = graph_fake.add_conversation_message(page.external_id, {"id": "42", "name": "D"}, "Hi")
    graph_fake.edit_conversation_message(message.id, "Hi there")
    forward(client, graph_fake, receiver, broker, django_capture_on_commit_callbacks)
    assert not Message.objects.exists()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.events, delivery.stored) == ("processed", 1, 0)


def test_a_dm_whose_conversation_cannot_be_read_is_left_to_the_poll(
    client, graph_fake, receiver, page, broker, django_capture_on_commit_callbacks
):
    graph_fake.set_permissions(page.access_token, sorted(GRANTED_BY_DEFAULT - {"pages_messaging"}))
    graph_fake.add_conversation_message(page.external_id, {"id": "42", "name": "D"}, "Hi")
    forward(client, graph_fake, receiver, broker, django_capture_on_commit_callbacks)
    assert not Message.objects.exists()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.events, delivery.stored) == ("processed", 1, 0)
    page.refresh_from_db()
    assert page.next_poll_at is not None


def test_subscribing_a_page_installs_the_app_for_feed_messages_and_their_edits(graph_fake, page):
    graph_fake.installed_apps.clear()
    assert webhooks.channel_webhooks_subscribe(channel=page)
    assert graph_fake.installed_apps[page.external_id][APP] == {"feed", "messages", "message_edits"}
    state = ChannelWebhookState.objects.get(channel=page)
    assert state.subscribed_at is not None and state.subscribe_error == ""


def test_a_failed_subscription_is_recorded_with_the_networks_words(graph_fake, page):
    graph_fake.set_permissions(page.access_token, sorted(GRANTED_BY_DEFAULT - {"pages_manage_metadata"}))
    assert not webhooks.channel_webhooks_subscribe(channel=page)
    state = ChannelWebhookState.objects.get(channel=page)
    assert state.subscribed_at is None
    assert "pages_manage_metadata" in state.subscribe_error


def test_connecting_a_facebook_page_asks_for_its_webhooks(
    owner_client, workspace, graph_fake, graph_apps, broker, django_capture_on_commit_callbacks
):
    from tests.networks.connecting import approve, consent_url

    user = graph_fake.add_user("Camille Manager")
    bakery = graph_fake.add_page("Demo Bakery", user_id=user.id)
    callback = owner_client.get(approve(consent_url(owner_client, workspace.slug, "facebook")))
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(callback.url, {"account": [bakery.id]})
    channel = Channel.objects.get(workspace=workspace)
    assert broker.ids("networks.subscribe_webhooks") == [channel.pk]
    tasks.subscribe_webhooks(channel.pk)
    assert APP in graph_fake.installed_apps[bakery.id]


def test_an_instagram_comment_pushed_comes_with_its_media_and_joins_the_poll(
    client, graph_fake, receiver, page, workspace, broker, django_capture_on_commit_callbacks
):
    channel = instagram_channel(graph_fake, receiver, page, workspace, field="comments")
    user_id = channel.external_id
    media = graph_fake.add_media(user_id, "Croissants, fresh at 7")
    comment = graph_fake.add_ig_comment(media.id, "Still some left?", username="lea")
    forward(client, graph_fake, receiver, broker, django_capture_on_commit_callbacks, network="instagram")
    stored = Message.objects.get(channel=channel)
    assert stored.external_id == comment.id
    assert stored.conversation.post_text == "Croissants, fresh at 7"
    assert stored.conversation.post_permalink.startswith("https://www.instagram.com/p/")
    assert stored.permalink == stored.conversation.post_permalink
    tasks.poll_once(channel)
    assert Message.objects.filter(channel=channel).count() == 1


def test_an_instagram_mention_pushed_by_ids_is_read_and_stored(
    client, graph_fake, receiver, page, workspace, broker, django_capture_on_commit_callbacks
):
    """No edge lists @mentions, so the poll never finds them: the `mentions` delivery (ids only) is read
    by those ids and stored. Before, it only made the channel due, and the mention was lost."""
    channel = instagram_channel(graph_fake, receiver, page, workspace, field="mentions")
    user_id = channel.external_id
    comment = graph_fake.add_ig_mention_comment(
        user_id, text="@acme.bakery best croissant", username="ada_eats"
    )
    forward(client, graph_fake, receiver, broker, django_capture_on_commit_callbacks, network="instagram")
    stored = Message.objects.get(channel=channel)
    assert (stored.external_id, stored.kind, stored.text) == (
        comment.id,
        "mention",
        "@acme.bakery best croissant",
    )
    tasks.poll_once(channel)
    assert Message.objects.filter(channel=channel).count() == 1


def test_an_instagram_dm_pushed_lands_in_the_thread_the_poll_reads_with_the_persons_username(
    client, graph_fake, receiver, page, workspace, broker, django_capture_on_commit_callbacks
):
    """Before, a pushed Instagram DM only made the channel due; now it is stored at once, filed under the
    thread the poll files it under, so the poll's copy is the same message."""
    channel = instagram_channel(graph_fake, receiver, page, workspace, field="messages")
    person = {"id": "6543210987654321", "username": "dana.customer"}
    message = graph_fake.add_ig_message(channel.external_id, person, "Do you deliver on Sundays?")
    forward(client, graph_fake, receiver, broker, django_capture_on_commit_callbacks, network="instagram")
    stored = Message.objects.get(channel=channel)
    assert (stored.external_id, stored.text) == (message.id, "Do you deliver on Sundays?")
    assert stored.conversation.kind == Conversation.Kind.DIRECT_MESSAGE
    assert stored.conversation.root_external_id == message.thread_id
    assert stored.author_contact.handle == "dana.customer"
    graph_fake.add_ig_message(channel.external_id, person, "Yes, from 8am!", from_business=True)
    forward(client, graph_fake, receiver, broker, django_capture_on_commit_callbacks, network="instagram")
    tasks.poll_once(channel)
    assert Conversation.objects.filter(channel=channel).count() == 1
    assert Message.objects.filter(channel=channel).count() == 2
    assert Message.objects.get(channel=channel, text="Yes, from 8am!").direction == Message.Direction.OUT


def test_subscribing_an_instagram_account_installs_the_app_on_its_page(graph_fake, page, workspace):
    user = graph_fake.add_ig_user("acme.bakery", page_id=page.external_id)
    graph_fake.installed_apps.clear()
    channel = Channel.objects.create(
        workspace=workspace,
        network="instagram",
        external_id=user.id,
        name="acme.bakery",
        api_base_url=graph_fake.base_url,
        credentials={"access_token": page.access_token},  # Facebook Login: the Page's token
    )
    assert webhooks.channel_webhooks_subscribe(channel=channel)
    assert APP in graph_fake.installed_apps[page.external_id]
    assert ChannelWebhookState.objects.get(channel=channel).subscribed_at is not None


def test_an_instagram_login_account_subscribes_itself(graph_fake, graph_apps, workspace):
    user = graph_fake.add_ig_user("solo.shop")  # no Page: an Instagram Login token of its own
    channel = Channel.objects.create(
        workspace=workspace,
        network="instagram",
        external_id=user.id,
        name="solo.shop",
        api_base_url=graph_fake.base_url,
        credentials={"access_token": user.token},
    )
    assert webhooks.channel_webhooks_subscribe(channel=channel)
    assert graph_fake.installed_apps[user.id][APP] == {"comments", "messages"}

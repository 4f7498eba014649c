"""LinkedIn social-action notifications pushed by the LinkedIn fake (signed as LinkedIn signs them) into
our webhook URL: a member's comment on a post of any age is read by its ids and stored at once, and the
poll that follows stores nothing twice."""

from __future__ import annotations

import datetime as dt

import pytest

from inbox.models import Message
from networks import tasks, webhooks
from networks.fakes.linkedin import LinkedInFake
from networks.models import Channel, NetworkApp
from tests.contracts.webhook_receiver import Receiver
from tests.publishing_fakes import linkedin_channel

SECRET = "li-client-secret"


def ms(days: float = 0, hours: float = 0) -> int:
    return int((dt.datetime.now(dt.UTC) - dt.timedelta(days=days, hours=hours)).timestamp() * 1000)


@pytest.fixture
def linkedin(workspace, owner):
    NetworkApp.objects.create(network="linkedin", client_id="li-client", client_secret=SECRET)
    with Receiver(linkedin_secret=SECRET) as receiver:
        fake = LinkedInFake(client_secret=SECRET)
        admin = fake.add_member("Ana Admin", "ana")
        fake.org = fake.add_organization("Acme Bakery", admins=[admin])
        fake.member = fake.add_member("Lee Reader", "lee")
        with fake:
            fake.channel = linkedin_channel(fake, admin, workspace, owner)
            # The recent poll reads the 25 most recent posts: these fill them.
            for n in range(25):
                fake.add_post(fake.org, f"This week's post {n}", created_ms=ms(days=1, hours=n / 10))
            fake.receiver = receiver
            yield fake


def forward(client, fake, broker, capture) -> int:
    """What the fake pushed, POSTed as it came to our URL, then processed; how many were accepted."""
    assert fake.webhooks.drain(10)
    accepted = 0
    for received in fake.receiver.posts:
        with capture(execute=True):
            response = client.post(
                "/webhooks/linkedin/",
                data=received.body,
                content_type="application/json",
                headers={"X-LI-Signature": received.headers["x-li-signature"]},
            )
        accepted += response.status_code == 200
    fake.receiver.posts.clear()
    for delivery_id in broker.ids("networks.process_webhook"):
        webhooks.webhook_delivery_process(delivery_id)
    broker.messages.clear()
    return accepted


def test_a_comment_on_a_year_old_post_is_stored_from_the_notification(
    client, linkedin, broker, django_capture_on_commit_callbacks
):
    tasks.poll_once(linkedin.channel)  # the first poll: the sweep's pass is done, the next is hours away
    old = linkedin.add_post(linkedin.org, "Our 2025 hiring drive", created_ms=ms(days=360))
    linkedin.subscribe_webhook(linkedin.receiver.url)
    comment = linkedin.add_comment(old, linkedin.member, "Is the role still open?", created_ms=ms(hours=1))

    assert forward(client, linkedin, broker, django_capture_on_commit_callbacks) == 1

    stored = Message.objects.get(channel=linkedin.channel)
    assert (stored.external_id, stored.text) == (comment, "Is the role still open?")
    assert stored.conversation.post_external_id == old
    assert stored.conversation.post_text == "Our 2025 hiring drive"
    linkedin.channel.refresh_from_db()
    tasks.poll_once(linkedin.channel)
    assert Message.objects.filter(channel=linkedin.channel).count() == 1


def test_a_reply_under_a_comment_is_found_under_its_parent(
    client, linkedin, broker, django_capture_on_commit_callbacks
):
    old = linkedin.add_post(linkedin.org, "Our 2025 hiring drive", created_ms=ms(days=360))
    top = linkedin.add_comment(old, linkedin.member, "Is the role still open?", created_ms=ms(days=300))
    tasks.poll_once(linkedin.channel)
    linkedin.subscribe_webhook(linkedin.receiver.url)
    reply = linkedin.add_comment(old, linkedin.member, "Any news?", parent=top, created_ms=ms(hours=1))

    forward(client, linkedin, broker, django_capture_on_commit_callbacks)

    stored = Message.objects.get(channel=linkedin.channel, external_id=reply)
    assert (stored.text, stored.parent_external_id) == ("Any news?", top)


def test_a_notification_for_a_comment_already_gone_stores_nothing_and_makes_the_channel_due(
    client, linkedin, broker, django_capture_on_commit_callbacks
):
    tasks.poll_once(linkedin.channel)
    old = linkedin.add_post(linkedin.org, "Our 2025 hiring drive", created_ms=ms(days=360))
    linkedin.subscribe_webhook(linkedin.receiver.url)
    comment = linkedin.add_comment(old, linkedin.member, "Oops", created_ms=ms(hours=1))
    linkedin.delete_comment(comment)
    Channel.objects.filter(pk=linkedin.channel.pk).update(
        next_poll_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    )

    forward(client, linkedin, broker, django_capture_on_commit_callbacks)

    assert not Message.objects.filter(channel=linkedin.channel).exists()
    linkedin.channel.refresh_from_db()
    assert linkedin.channel.next_poll_at <= dt.datetime.now(dt.UTC)

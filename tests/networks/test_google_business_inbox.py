"""Google Business Profile through the whole pipeline against the fake over HTTP: a location connected as a
channel, its reviews polled into the inbox as rated review threads, a reviewer's edit stored as an edit
(never a second message), a reply written in Google's dashboard shown as ours, and a reply sent exactly
once through the delivery engine, a lost answer settled by reading the review back."""

from __future__ import annotations

import datetime as dt

import pytest

from inbox import replies
from inbox.models import Conversation, Message
from networks import services
from networks import tasks as network_tasks
from networks.fakes.google_business import SCOPE, GoogleBusinessFake
from networks.models import Channel, PollRun
from networks.providers import base as p
from networks.providers.google_business import review_reply_id
from tests.networks.connecting import wire_app

LOCATION = "accounts/111/locations/2001"
S = Message.SendStatus


@pytest.fixture
def gbp(db):
    with GoogleBusinessFake() as fake:
        fake.add_account("111", "Garage Martin")
        fake.add_location("111", "2001", "Garage Martin, Nantes")
        wire_app(
            "google_business", fake, client_id=fake.google_client_id, client_secret=fake.google_client_secret
        )
        yield fake


@pytest.fixture
def channel(gbp, workspace, owner) -> Channel:
    token = gbp.google_issue((SCOPE,))
    return services.channel_connect(
        workspace=workspace,
        network="google_business",
        external_id=LOCATION,
        name="Garage Martin, Nantes",
        api_base_url=gbp.base_url,
        credentials=p.Credentials(
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
            scopes=(SCOPE,),
        ),
        by=owner,
    )


def ago(**kwargs) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(**kwargs)).isoformat()


def test_reviews_become_rated_review_threads_and_a_dashboard_reply_is_ours(gbp, channel):
    angry = gbp.add_review(
        LOCATION, stars=1, comment="Vidange ratée, fuite d'huile.", reviewer="Paul", at=ago(days=2)
    )
    gbp.add_review(LOCATION, stars=5, at=ago(days=1))  # stars without words
    gbp.dashboard_reply(angry, "Bonjour Paul, passez au garage, nous reprenons la vidange.")

    run = network_tasks.poll_once(channel)

    assert run.outcome == PollRun.Outcome.OK
    threads = Conversation.objects.filter(channel=channel).order_by("rating")
    assert [(t.kind, t.rating) for t in threads] == [("review", 1), ("review", 5)]
    review = Message.objects.get(channel=channel, external_id=angry)
    assert (review.direction, review.rating, review.kind) == ("in", 1, "review")
    assert review.author_contact is not None and review.author_contact.name == "Paul"
    ours = Message.objects.get(channel=channel, external_id=review_reply_id(angry))
    assert (ours.direction, ours.send_status, ours.conversation_id) == ("out", S.SENT, review.conversation_id)
    silent = Message.objects.get(channel=channel, rating=5)
    assert silent.text == ""
    channel.refresh_from_db()
    assert channel.server_limits["total_review_count"] == 2 and channel.server_limits["average_rating"] == 3


def test_a_reviewers_edit_is_an_edit_of_the_message_not_a_new_one(gbp, channel):
    name = gbp.add_review(LOCATION, stars=2, comment="Long à réparer.", reviewer="Inès", at=ago(hours=5))
    network_tasks.poll_once(channel)
    channel.refresh_from_db()

    gbp.edit_review(name, comment="Long, mais réparé proprement. Merci.", stars=4)
    network_tasks.poll_once(channel)

    [message] = Message.objects.filter(channel=channel)
    assert message.text == "Long, mais réparé proprement. Merci."
    assert [v["text"] for v in message.previous_texts] == ["Long à réparer."]
    assert message.edited_at is not None
    assert Conversation.objects.get(channel=channel).message_count == 1


def test_a_reply_goes_out_once_and_a_lost_answer_is_found_by_reading_the_review_back(gbp, channel, agent):
    name = gbp.add_review(LOCATION, stars=1, comment="Accueil désagréable.", at=ago(hours=2))
    network_tasks.poll_once(channel)
    conversation = Conversation.objects.select_related("channel").get(channel=channel)
    version = (
        Message.objects.filter(conversation=conversation).order_by("-pk").values_list("pk", flat=True)[0]
    )
    message = replies.reply_create(
        conversation=conversation,
        author=agent.memberships.get(),
        text="Nous sommes désolés : appelez-nous au garage.",
        thread_version=version,
    )
    from networks.fakes.base import Fault

    gbp.inject(Fault(r"/reply$", kind="drop_after", method="PUT"))

    outcome = replies.reply_send(message.pk)

    assert outcome is not None and outcome.status == S.UNKNOWN
    Message.objects.filter(pk=message.pk).update(next_step_at=dt.datetime.now(dt.UTC))
    assert replies.reply_process(message.pk).status == S.SENT
    message.refresh_from_db()
    assert message.external_id == review_reply_id(name)
    assert [put["comment"] for put in gbp.replies_to(name)] == [
        "Nous sommes désolés : appelez-nous au garage."
    ]
    # The echo of our reply in the next poll is the same message, not a second one.
    network_tasks.poll_once(channel)
    assert Message.objects.filter(channel=channel, direction="out").count() == 1

"""YouTube through the whole pipeline: a poll stores held comments hidden, the thread offers "Approve" and
"Hold for review" (YouTube's words), approving goes out once, moderation done on YouTube itself is
followed, and a YouTube channel is not offered to the composer."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from inbox import moderation
from inbox.models import Message, ModerationAction
from networks import services, tasks
from networks.fakes.youtube import YouTubeFake
from networks.providers import base as p
from networks.providers import youtube_wire as wire
from tests.networks.connecting import wire_app

BRAND = "UCbrandAAAAAAAAAAAAAAAAA"
FAN = "UCfanAAAAAAAAAAAAAAAAAAA"
A = ModerationAction.Action
S = ModerationAction.State


@pytest.fixture
def fake():
    with YouTubeFake() as yt:
        yt.add_channel(BRAND, "Acme Bakery", handle="acmebakery")
        yt.add_video("vid00000001", BRAND, "Croissants")
        yield yt


@pytest.fixture
def channel(db, workspace, fake):
    wire_app("youtube", fake, client_id=fake.google_client_id, client_secret=fake.google_client_secret)
    answer = fake.issue_token()
    credentials = p.Credentials(
        answer["access_token"],
        answer["refresh_token"],
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
        scopes=(wire.SCOPE,),
    )
    return services.channel_connect(
        workspace=workspace,
        network="youtube",
        external_id=BRAND,
        name="Acme Bakery",
        api_base_url=fake.base_url,
        credentials=credentials,
        by=None,
    )


def _poll(channel):
    with httpx.Client() as http:
        run = tasks.poll_once(channel, http=http)
    assert run.outcome == "ok", run.error
    channel.refresh_from_db()


def test_a_held_comment_is_stored_hidden_and_approved_once(channel, fake, owner, client):
    held = fake.add_comment(
        "vid00000001", FAN, "Première visite, c'est ouvert dimanche ?", status="heldForReview"
    )
    fake.add_comment("vid00000001", FAN, "Buy cheap followers", status="likelySpam")
    fake.add_comment("vid00000001", FAN, "Bravo !")
    _poll(channel)
    messages = {m.text: m for m in Message.objects.filter(channel=channel)}
    assert messages["Première visite, c'est ouvert dimanche ?"].hidden
    assert messages["Buy cheap followers"].hidden
    assert not messages["Bravo !"].hidden
    message = messages["Première visite, c'est ouvert dimanche ?"]
    member = owner.memberships.get()
    shown = moderation.describe(message, member=member)
    assert shown.can_unhide and shown.words is not None and shown.words.unhide == "Approve"

    client.force_login(owner)
    page = client.get(f"/w/{channel.workspace.slug}/inbox/{message.conversation_id}/").content.decode()
    assert "Approve" in page and "Held for review" in page
    assert "Show again on YouTube" not in page and "Hidden on the network" not in page

    row = moderation.moderation_request(message=message, by=member, action=A.UNHIDE)
    assert moderation.moderation_process(row.pk) == S.DONE
    assert moderation.moderation_process(row.pk) == S.DONE  # a second delivery writes nothing
    assert fake.moderations == [{"id": held, "moderationStatus": "published", "banAuthor": "false"}]
    message.refresh_from_db()
    assert not message.hidden
    assert moderation.describe(message, member=member).words.hide == "Hold for review"  # type: ignore[union-attr]

    _poll(channel)  # published on YouTube too: the next poll agrees
    message.refresh_from_db()
    assert not message.hidden


def test_moderation_done_on_youtube_itself_is_followed(channel, fake):
    held = fake.add_comment("vid00000001", FAN, "En attente", status="heldForReview")
    published = fake.add_comment("vid00000001", FAN, "Publié")
    _poll(channel)
    fake.moderate_on_youtube(held, "published")
    fake.moderate_on_youtube(published, "heldForReview")
    _poll(channel)
    assert not Message.objects.get(external_id=held).hidden
    assert Message.objects.get(external_id=published).hidden
    fake.moderate_on_youtube(published, "rejected")
    _poll(channel)
    assert Message.objects.get(external_id=published).deleted_at is not None


def test_an_unclear_approval_is_read_back_before_anything_is_sent_again(channel, fake, owner):
    from networks.fakes.base import Fault

    held = fake.add_comment("vid00000001", FAN, "En attente", status="heldForReview")
    _poll(channel)
    message = Message.objects.get(external_id=held)
    row = moderation.moderation_request(message=message, by=owner.memberships.get(), action=A.UNHIDE)
    fake.inject(Fault(r"/comments/setModerationStatus$", kind="drop_after", method="POST"))
    assert moderation.moderation_process(row.pk) == S.UNKNOWN
    ModerationAction.objects.filter(pk=row.pk).update(next_step_at=dt.datetime.now(dt.UTC))
    assert moderation.moderation_process(row.pk) == S.DONE  # comments.list?id= says published
    assert len(fake.moderations) == 1


def test_banning_rejects_the_comment_with_ban_author(channel, fake, owner):
    rude = fake.add_comment("vid00000001", FAN, "spam spam")
    _poll(channel)
    message = Message.objects.get(external_id=rude)
    row = moderation.moderation_request(message=message, by=owner.memberships.get(), action=A.BLOCK)
    assert moderation.moderation_process(row.pk) == S.DONE
    assert fake.moderations == [{"id": rude, "moderationStatus": "rejected", "banAuthor": "true"}]


def test_the_composer_does_not_offer_youtube_and_says_why(channel, owner, client):
    client.force_login(owner)
    page = client.get(f"/w/{channel.workspace.slug}/posts/new/").content.decode()
    assert f'value="{channel.pk}"' not in page
    assert "community posts" in page


def test_the_health_page_shows_the_days_budget(channel, fake, owner, client, settings):
    from networks.models import QuotaLedger
    from networks.quota import PACIFIC

    settings.CMHUB_YOUTUBE_DAILY_QUOTA = 10_000
    settings.CMHUB_YOUTUBE_QUOTA_RESERVE = 1_000
    _poll(channel)
    row = QuotaLedger.objects.get()
    assert row.spent == fake.quota_spent() >= 3 and row.polls == 1
    QuotaLedger.objects.filter(pk=row.pk).update(spent=4_150, poll_units=4_000, write_units=150, polls=1_000)
    client.force_login(owner)
    page = client.get(f"/w/{channel.workspace.slug}/channels/").content.decode()
    assert "YouTube daily quota" in page
    assert "4150 of 10000 units spent today." in page
    assert "850 kept for replies and moderation, 5000 left for polls." in page
    assert "midnight, Pacific time" in page
    assert "each of the 1 channels sharing this quota is polled about every" in page
    assert dt.datetime.now(PACIFIC).date() == row.day


def test_only_a_network_that_says_the_moderation_status_moves_the_stored_hidden(channel, fake):
    """A hide made from CM Hub on a network that does not report it (Facebook's comments carry no such
    state in every read) must survive a re-read; YouTube's word on it is followed."""
    from dataclasses import replace

    from inbox.edits import message_edits_apply

    cid = fake.add_comment("vid00000001", FAN, "Publié")
    _poll(channel)
    message = Message.objects.get(external_id=cid)
    Message.objects.filter(pk=message.pk).update(hidden=True)
    with httpx.Client() as http:
        read = tasks.registry.build_provider(channel, http=http).poll(cursor={}).items
    item = next(i for i in read if i.external_id == cid)
    message_edits_apply(channel=channel, items=[replace(item, moderation_known=False)])
    assert Message.objects.get(pk=message.pk).hidden  # not this network's word: the hide stands
    message_edits_apply(channel=channel, items=[item])
    assert not Message.objects.get(pk=message.pk).hidden  # YouTube says published


def test_a_post_for_a_youtube_channel_is_refused_in_plain_words(channel, owner):
    from posts.services import PostError, post_create

    with pytest.raises(PostError, match="no community posts"):
        post_create(author=owner.memberships.get(), channels=[channel], text="Hello")

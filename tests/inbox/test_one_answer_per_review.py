"""One answer per review (issue 18): where answering again replaces the first answer on the network, under
the same id (`Provider.one_reply_per_thread`), the composer says so, one answer is on its way at a time,
the earlier answer is kept and marked replaced once the new one is sent, each written exactly once, and
our current answer can be deleted where the network allows it.

Over real HTTP to a stand-in review network (tests/review_network.py): the fake records every write."""

from __future__ import annotations

import pytest
from django.utils import timezone

from inbox import moderation, replies
from inbox.models import Conversation, Message, ModerationAction
from inbox.replies import single
from networks import services
from networks import tasks as network_tasks
from networks.fakes.base import Fault, Response
from networks.models import Channel
from networks.providers import base as p
from tests.review_network import ReviewFake, reply_id, use_review_provider

S = Message.SendStatus
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def fake():
    with ReviewFake() as server:
        yield server


@pytest.fixture
def review(fake, workspace, owner, monkeypatch) -> Conversation:
    """A 2-star review polled from the stand-in network into the inbox."""
    use_review_provider(monkeypatch)
    fake.name = fake.add_review("r1", "Trop d'attente, personne au téléphone.", 2)
    channel = services.channel_connect(
        workspace=workspace,
        network="facebook",
        external_id="LOC9",
        name="Garage Martin",
        api_base_url=fake.base_url,
        credentials=p.Credentials(access_token="token"),
        by=owner,
    )
    network_tasks.poll_once(channel)
    return Conversation.objects.select_related("channel").get(channel=channel)


def answer(conversation: Conversation, user, text: str) -> Message:
    conversation = Conversation.objects.select_related("channel").get(pk=conversation.pk)
    return replies.reply_create(
        conversation=conversation,
        author=user.memberships.get(),
        text=text,
        thread_version=Message.objects.filter(conversation=conversation)
        .order_by("-pk")
        .values_list("pk", flat=True)[0],
    )


def sent(conversation: Conversation, user, text: str) -> Message:
    message = answer(conversation, user, text)
    assert replies.reply_send(message.pk) == replies.SendOutcome(S.SENT)
    message.refresh_from_db()
    return message


def test_the_review_arrives_as_a_review_thread_with_its_stars(review):
    assert review.kind == Conversation.Kind.REVIEW and review.rating == 2
    assert single.one_answer(review.channel)


def test_answering_again_replaces_the_first_answer_and_keeps_it_in_the_thread(review, fake, agent):
    first = sent(review, agent, "Désolés pour l'attente, appelez-nous au 01 23 45 67 89.")
    assert first.external_id == reply_id(fake.name)
    second = sent(review, agent, "Désolés : écrivez-nous à contact@garage.example, nous vous rappelons.")
    # Each answer was written once; the network shows the second.
    assert [r.json()["comment"] for r in fake.writes()] == [first.text, second.text]
    assert fake.reply_of("r1") == second.text
    first.refresh_from_db()
    # The first stays in the thread, marked replaced; its id (the review's one answer id) went to the second.
    assert first.send_status == S.SENT and first.replaced_at is not None and first.external_id is None
    assert second.external_id == reply_id(fake.name) and second.replaced_at is None
    assert single.current_answer(review) == second
    assert Message.objects.filter(conversation=review).count() == 3


def test_the_next_poll_stores_no_echo_of_either_answer(review, fake, agent):
    sent(review, agent, "Merci pour votre retour.")
    sent(review, agent, "Merci pour votre retour, nous vous rappelons.")
    network_tasks.poll_once(Channel.objects.get(pk=review.channel_id))
    assert Message.objects.filter(conversation=review).count() == 3
    assert Message.objects.filter(conversation=review, replaced_at__isnull=True, direction="out").count() == 1


def test_an_answer_written_on_the_network_itself_is_replaced_too_not_merged_away(review, fake, agent):
    # Someone answered on the network directly; the poll stores it as ours, sent.
    fake.reviews["r1"]["reviewReply"] = {
        "comment": "Réponse écrite sur place.",
        "updateTime": "2026-11-20T10:00:00Z",
    }
    network_tasks.poll_once(Channel.objects.get(pk=review.channel_id))
    there = Message.objects.get(conversation=review, direction="out")
    assert there.external_id == reply_id(fake.name) and there.author_user_id is None
    ours = sent(review, agent, "Nous sommes désolés, appelez-nous.")
    there.refresh_from_db()
    assert there.replaced_at is not None and there.text == "Réponse écrite sur place."
    assert ours.external_id == reply_id(fake.name)


def test_an_answer_on_its_way_blocks_another_and_says_why(review, fake, agent, manager):
    first = answer(review, agent, "Désolés, appelez-nous.")
    assert first.send_status == S.QUEUED
    with pytest.raises(replies.ReplyError, match="already on its way"):
        answer(review, manager, "Une autre réponse.")
    Message.objects.filter(pk=first.pk).update(send_status=S.SENDING)
    with pytest.raises(replies.ReplyError, match="already on its way"):
        answer(review, manager, "Une autre réponse.")
    Message.objects.filter(pk=first.pk).update(send_status=S.UNKNOWN)
    with pytest.raises(replies.ReplyError, match="already on its way"):
        answer(review, manager, "Une autre réponse.")
    assert fake.writes() == [] and Message.objects.filter(direction="out").count() == 1


def test_an_answer_waiting_for_approval_blocks_another(review, agent, manager):
    Conversation.objects.filter(pk=review.pk).update(sensitive=True)
    answer(review, agent, "Désolés.")
    with pytest.raises(replies.ReplyError, match="waiting for a manager"):
        answer(review, manager, "Autre chose.")


def test_a_failed_answer_does_not_block_and_its_retry_waits_for_the_one_on_its_way(review, fake, agent):
    fake.inject(Fault(r".*/reply", response=Response(400, {"error": {"code": 400, "message": "bad"}})))
    failed = answer(review, agent, "Première.")
    assert replies.reply_send(failed.pk).status == S.FAILED
    second = answer(review, agent, "Deuxième.")  # a failed answer is settled: another may go
    failed.refresh_from_db()
    with pytest.raises(replies.ReplyError, match="already on its way"):
        replies.reply_retry(message=failed, by=agent.memberships.get())
    assert replies.reply_send(second.pk).status == S.SENT
    replies.reply_retry(message=failed, by=agent.memberships.get())  # now it may (and replaces the second)
    assert replies.reply_send(failed.pk).status == S.SENT
    second.refresh_from_db()
    assert second.replaced_at is not None and fake.reply_of("r1") == "Première."


def test_approving_an_answer_waits_for_the_one_on_its_way(review, agent, manager, owner):
    Conversation.objects.filter(pk=review.pk).update(sensitive=True)
    waiting = answer(review, agent, "En attente.")
    # An answer from before (say, written when the rule was not there) is on its way.
    Message.objects.create(
        workspace_id=review.workspace_id,
        conversation=review,
        channel_id=review.channel_id,
        direction="out",
        kind="reply",
        text="Déjà en route.",
        send_status=S.QUEUED,
        next_step_at=timezone.now(),
    )
    waiting = Message.objects.select_related("conversation__channel").get(pk=waiting.pk)
    with pytest.raises(replies.ReplyError, match="already on its way"):
        replies.reply_approve(message=waiting, by=manager.memberships.get())
    assert Message.objects.get(pk=waiting.pk).send_status == S.PENDING_APPROVAL


def test_an_unclear_second_answer_is_read_back_and_never_written_twice(review, fake, agent):
    sent(review, agent, "Première réponse.")
    second = answer(review, agent, "Seconde réponse.")
    # The write lands, but its answer is lost on the way back.
    fake.inject(Fault(r".*/reply", kind="drop_after", method="PUT"))
    assert replies.reply_send(second.pk).status == S.UNKNOWN
    assert fake.reply_of("r1") == "Seconde réponse."
    # Reading back finds our words there (the id every answer here has is no reason to look past them).
    Message.objects.filter(pk=second.pk).update(next_step_at=timezone.now())
    assert replies.reply_process(second.pk).status == S.SENT
    assert [r.json()["comment"] for r in fake.writes() if r.method == "PUT"] == [
        "Première réponse.",
        "Seconde réponse.",
    ]
    second.refresh_from_db()
    assert second.external_id == reply_id(fake.name)
    assert Message.objects.get(text="Première réponse.").replaced_at is not None


def test_an_unclear_answer_that_did_not_land_is_sent_after_reading_back(review, fake, agent):
    sent(review, agent, "Première réponse.")
    second = answer(review, agent, "Seconde réponse.")
    Message.objects.filter(pk=second.pk).update(send_status=S.UNKNOWN, next_step_at=timezone.now())
    # The network shows the first answer: the second did not land, so it is sent (once).
    assert replies.reply_process(second.pk).status == S.SENT
    assert [r.json()["comment"] for r in fake.writes()] == ["Première réponse.", "Seconde réponse."]
    assert fake.reply_of("r1") == "Seconde réponse."


def test_the_composer_says_an_answer_replaces_the_current_one(review, agent, agent_client):
    url = f"/w/acme/inbox/{review.pk}/reply/"
    html = agent_client.get(url, **HTMX).content.decode()
    assert 'id="reply-replaces"' not in html  # nothing to replace yet
    sent(review, agent, "Merci pour votre avis.")
    html = agent_client.get(url, **HTMX).content.decode()
    notice = html[html.index('id="reply-replaces"') :]
    notice = notice[: notice.index("</p>")]
    assert "Your answer replaces the current one" in notice and "Merci pour votre avis." in notice


def test_the_composer_says_why_another_answer_cannot_go_yet(review, agent, agent_client):
    answer(review, agent, "En route.")
    html = agent_client.get(f"/w/acme/inbox/{review.pk}/reply/", **HTMX).content.decode()
    assert 'id="reply-one-at-a-time"' in html and "already on its way" in html
    response = agent_client.post(
        f"/w/acme/inbox/{review.pk}/reply/send/",
        {"text": "Encore une.", "thread_version": "999999"},
        **HTMX,
    )
    assert "already on its way" in response.content.decode()
    assert Message.objects.filter(direction="out").count() == 1


def test_the_thread_shows_the_replaced_answer_struck_with_its_date(review, agent, agent_client):
    first = sent(review, agent, "Ancienne réponse.")
    sent(review, agent, "Nouvelle réponse.")
    html = agent_client.get(f"/w/acme/inbox/{review.pk}/").content.decode()
    item = html[html.index(f'id="message-{first.pk}"') :]
    item = item[: item.index("</li>")]
    assert "is-replaced" in item and "Replaced on" in item and "Ancienne réponse." in item


def test_other_networks_keep_every_answer(channels, workspace, agent):
    """A network without the flag (Facebook, X): nothing is replaced, nothing blocks."""
    assert not single.one_answer(channels[0]) and not single.one_answer(channels[1])


def test_a_manager_deletes_our_current_answer_through_moderation(review, fake, agent, manager):
    current = sent(review, agent, "Réponse à retirer.")
    member = manager.memberships.get()
    current = Message.objects.select_related("channel", "conversation").get(pk=current.pk)
    [described] = moderation.attach([current], member=member)
    assert described.moderation.can_delete
    # An agent may not (a deletion cannot be undone).
    assert moderation.refusal(
        message=current, action=ModerationAction.Action.DELETE, by=agent.memberships.get()
    )
    action = moderation.moderation_request(message=current, by=member, action=ModerationAction.Action.DELETE)
    assert moderation.moderation_process(action.pk) == ModerationAction.State.DONE
    assert fake.reply_of("r1") is None
    assert [r.method for r in fake.writes()] == ["PUT", "DELETE"]
    assert single.current_answer(review) is None
    # A new answer after the deletion is an answer again, with the review's one id.
    again = sent(review, agent, "Nouvelle réponse.")
    assert again.external_id == reply_id(fake.name) and fake.reply_of("r1") == "Nouvelle réponse."


def test_a_replaced_answer_cannot_be_deleted_and_says_why(review, agent, manager):
    first = sent(review, agent, "Ancienne.")
    sent(review, agent, "Nouvelle.")
    first = Message.objects.select_related("channel", "conversation").get(pk=first.pk)
    reason = moderation.refusal(
        message=first, action=ModerationAction.Action.DELETE, by=manager.memberships.get()
    )
    assert "replaced" in reason


def test_our_answer_replaced_on_the_network_itself_is_kept_and_theirs_stored(review, fake, agent):
    ours = sent(review, agent, "Merci pour votre avis.")
    # Someone edits the answer on the network directly: the next poll reads it under our answer's id.
    fake.reviews["r1"]["reviewReply"] = {
        "comment": "Réponse modifiée sur place.",
        "updateTime": "2026-11-21T10:00:00Z",
    }
    network_tasks.poll_once(Channel.objects.get(pk=review.channel_id))
    ours.refresh_from_db()
    assert ours.replaced_at is not None and ours.external_id is None and ours.text == "Merci pour votre avis."
    theirs = Message.objects.get(conversation=review, direction="out", replaced_at__isnull=True)
    assert theirs.text == "Réponse modifiée sur place." and theirs.external_id == reply_id(fake.name)
    assert theirs.send_status == S.SENT and theirs.author_user_id is None
    assert single.current_answer(review) == theirs
    # Read again unchanged: nothing more moves.
    network_tasks.poll_once(Channel.objects.get(pk=review.channel_id))
    assert Message.objects.filter(conversation=review).count() == 3


def test_our_answer_read_back_with_the_same_words_stays_ours(review, fake, agent):
    ours = sent(review, agent, "Merci pour votre avis.")
    fake.reviews["r1"]["reviewReply"]["comment"] = "  Merci pour votre avis.\r\n"  # the network's spacing
    network_tasks.poll_once(Channel.objects.get(pk=review.channel_id))
    ours.refresh_from_db()
    assert ours.replaced_at is None and ours.external_id == reply_id(fake.name)
    assert Message.objects.filter(conversation=review).count() == 2


@pytest.mark.django_db(transaction=True)
def test_four_people_answering_at_the_same_instant_queue_one_answer(review, agent, broker):
    """The check runs under the channel's lock: the others wait for it, then see the answer on its way."""
    from django.db import connection

    from tests.threads import at_once

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises every writer: four people cannot race there")

    def write():
        try:
            return answer(review, agent, "Désolés, appelez-nous.").pk
        except replies.ReplyError as exc:
            return exc.message

    outcomes = at_once(write, times=4)
    created = [o for o in outcomes if isinstance(o, int)]
    assert len(created) == 1 and len(outcomes) == 4
    assert all("already on its way" in o for o in outcomes if isinstance(o, str))
    assert Message.objects.filter(direction="out").count() == 1


def test_the_thread_offers_managers_a_delete_button_on_our_current_answer_only(review, agent, manager_client):
    first = sent(review, agent, "Ancienne.")
    second = sent(review, agent, "Nouvelle.")
    html = manager_client.get(f"/w/acme/inbox/{review.pk}/").content.decode()

    def item(message):
        part = html[html.index(f'id="message-{message.pk}"') :]
        return part[: part.index("</li>")]

    assert 'name="action" value="delete"' in item(second)
    assert 'name="action" value="delete"' not in item(first)  # replaced: nothing of it left to delete
    review_message = Message.objects.get(conversation=review, direction="in")
    assert 'name="action" value="delete"' not in item(review_message)  # a review is not ours to delete

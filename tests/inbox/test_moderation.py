"""Moderation from the inbox through the production providers against the Graph fake over real HTTP: hide,
show again, delete and private replies, each written once; unclear outcomes read back without a second
write; the roles and the networks' rules refused with a sentence; the dispatcher and a dead worker."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from inbox import moderation
from inbox.models import Conversation, Message, ModerationAction
from networks import services
from networks import tasks as network_tasks
from networks.fakes.graph import GraphFake, drop_after_fault, graph_error_fault, server_error_fault
from networks.models import Channel
from networks.providers import base as p
from tests.e2e.browser import connect_x_channel
from tests.publishing_fakes import facebook_channel

A = ModerationAction.Action
S = ModerationAction.State


class World:
    def __init__(self, fake: GraphFake, channel: Channel, comment_id: str):
        self.fake = fake
        self.channel = channel
        self.comment_id = comment_id

    @property
    def message(self) -> Message:
        return Message.objects.select_related("channel", "conversation").get(
            channel=self.channel, external_id=self.comment_id
        )

    def writes(self, method: str = "POST", suffix: str = "") -> list:
        suffix = suffix or f"/{self.comment_id}"
        return [r for r in self.fake.requests if r.method == method and r.path.endswith(suffix)]


@pytest.fixture
def facebook(workspace, owner):
    with GraphFake() as fake:
        page = fake.add_page("Acme Bakery", page_id="777")
        post = fake.add_post(page.id, "New croissants today")
        comment = fake.add_comment(post.id, "Your shop is a scam!!", author={"id": "fan1", "name": "Léa"})
        fake.page = page
        channel = facebook_channel(fake, page, workspace, owner)
        network_tasks.poll_once(channel)
        yield World(fake, channel, comment.id)


@pytest.fixture
def instagram(workspace, owner):
    with GraphFake() as fake:
        page = fake.add_page("Acme Bakery", page_id="888")
        ig_user = fake.add_ig_user("acme.bakery", page_id=page.id)
        media = fake.add_media(ig_user.id, "Sourdough Sunday")
        comment = fake.add_ig_comment(media.id, "Do you deliver?", username="ada_eats")
        channel = services.channel_connect(
            workspace=workspace,
            network="instagram",
            external_id=ig_user.id,
            name="Acme on Instagram",
            handle="acme.bakery",
            api_base_url=fake.base_url,
            credentials=p.Credentials(access_token=page.token),
            by=owner,
        )
        fake.ig_user = ig_user
        network_tasks.poll_once(channel)
        yield World(fake, channel, comment.id)


def ask(world: World, user, action: str, text: str = "") -> ModerationAction:
    return moderation.moderation_request(
        message=world.message, by=user.memberships.get(), action=action, text=text
    )


def make_due(row: ModerationAction) -> None:
    ModerationAction.objects.filter(pk=row.pk).update(next_step_at=timezone.now())


# --- Each action, once -------------------------------------------------------------------------------------


@pytest.mark.parametrize("world_name", ["facebook", "instagram"])
def test_an_agent_hides_a_comment_and_shows_it_again(
    world_name, request, agent, broker, django_capture_on_commit_callbacks
):
    world = request.getfixturevalue(world_name)
    with django_capture_on_commit_callbacks(execute=True):
        hide = ask(world, agent, A.HIDE)
    assert broker.ids("inbox.moderate") == [hide.pk]  # enqueued on commit

    assert moderation.moderation_process(hide.pk) == S.DONE
    assert world.message.hidden
    fake_comment = world.fake.objects[world.comment_id]
    assert fake_comment.hidden
    hide.refresh_from_db()
    assert (hide.state, hide.attempts, hide.requested_by) == (S.DONE, 0, agent)
    assert hide.done_at is not None

    show = ask(world, agent, A.UNHIDE)
    assert moderation.moderation_process(show.pk) == S.DONE
    assert not world.message.hidden and not fake_comment.hidden
    assert len(world.writes()) == 2  # one write each
    assert moderation.moderation_process(show.pk) == S.DONE  # a second delivery of the task writes nothing
    assert len(world.writes()) == 2


@pytest.mark.parametrize("world_name", ["facebook", "instagram"])
def test_a_manager_deletes_a_comment_and_the_thread_says_so(world_name, request, manager, broker):
    world = request.getfixturevalue(world_name)
    row = ask(world, manager, A.DELETE)

    assert moderation.moderation_process(row.pk) == S.DONE
    row.refresh_from_db()
    assert world.comment_id in world.fake.deleted
    shown = moderation.describe(world.message, member=manager.memberships.get())
    assert shown.deleted and not (shown.can_hide or shown.can_delete or shown.can_reply_privately)
    assert shown.last_done == row and row.requested_by == manager  # who deleted it, shown in the thread
    with pytest.raises(moderation.ModerationError, match="deleted"):
        ask(world, manager, A.HIDE)


@pytest.mark.parametrize("world_name", ["facebook", "instagram"])
def test_a_private_reply_is_sent_once_and_a_second_is_refused_before_sending(
    world_name, request, agent, broker
):
    world = request.getfixturevalue(world_name)
    row = ask(world, agent, A.PRIVATE_REPLY, "Hello Léa, we sent you the details here.")

    assert moderation.moderation_process(row.pk) == S.DONE
    row.refresh_from_db()
    assert row.external_id == world.fake.private_replies[world.comment_id]
    with pytest.raises(moderation.ModerationError, match="one private reply"):
        ask(world, agent, A.PRIVATE_REPLY, "Again")
    assert len(world.writes(suffix="/messages")) == 1


def test_a_private_reply_after_seven_days_is_refused_with_a_sentence(facebook, agent, broker):
    Message.objects.filter(pk=facebook.message.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    with pytest.raises(moderation.ModerationError, match="within 7 days"):
        ask(facebook, agent, A.PRIVATE_REPLY, "Sorry for the wait")
    assert ModerationAction.objects.count() == 0


def test_a_private_reply_longer_than_the_network_allows_is_refused(instagram, agent, broker):
    with pytest.raises(moderation.ModerationError, match="allows 1000"):
        ask(instagram, agent, A.PRIVATE_REPLY, "x" * 1001)
    with pytest.raises(moderation.ModerationError, match="Write the private reply"):
        ask(instagram, agent, A.PRIVATE_REPLY, "   ")


# --- Unclear outcomes: read back, never written twice -----------------------------------------------------


@pytest.mark.parametrize(
    ("action", "method", "path"),
    [(A.HIDE, "POST", ""), (A.DELETE, "DELETE", ""), (A.PRIVATE_REPLY, "POST", "/777/messages")],
)
def test_an_action_whose_answer_was_lost_is_read_back_and_never_written_twice(
    facebook, manager, broker, action, method, path
):
    pattern = path or f"/{facebook.comment_id}"
    facebook.fake.inject(drop_after_fault(rf"{pattern}$", method=method))
    row = ask(facebook, manager, action, "Details sent privately" if action == A.PRIVATE_REPLY else "")

    assert moderation.moderation_process(row.pk) == S.UNKNOWN
    assert moderation.moderation_process(row.pk) == S.UNKNOWN  # not due yet: nothing is written on a guess
    make_due(row)
    assert moderation.moderation_process(row.pk) == S.DONE

    assert len(facebook.writes(method, path)) == 1
    if action == A.HIDE:
        assert facebook.message.hidden


def test_an_unknown_hide_that_did_not_land_is_sent_once_more(facebook, agent, broker):
    row = ask(facebook, agent, A.HIDE)
    assert moderation.delivery.claim(moderation.PIPELINE, row.pk, now=timezone.now())
    # The worker died after the claim, before its request left: unknown, and the comment is not hidden.
    ModerationAction.objects.filter(pk=row.pk).update(state=S.UNKNOWN, attempts=1)

    assert moderation.moderation_process(row.pk) == S.DONE
    assert len(facebook.writes()) == 1 and facebook.fake.objects[facebook.comment_id].hidden


def test_an_unclear_instagram_private_reply_asks_a_person_to_look(instagram, agent, broker):
    """Instagram's comment says nothing of its private reply: CM Hub cannot tell, so it does not resend."""
    instagram.fake.inject(drop_after_fault(rf"/{instagram.fake.ig_user.id}/messages$"))
    row = ask(instagram, agent, A.PRIVATE_REPLY, "Check your messages")
    assert moderation.moderation_process(row.pk) == S.UNKNOWN
    make_due(row)

    assert moderation.moderation_process(row.pk) == S.FAILED
    row.refresh_from_db()
    assert "Look at the comment on Instagram" in row.error
    assert len(instagram.writes(suffix="/messages")) == 1


def test_an_action_left_running_by_a_dead_worker_is_swept_and_settled_without_a_second_write(
    facebook, agent, broker
):
    row = ask(facebook, agent, A.HIDE)
    assert moderation.delivery.claim(moderation.PIPELINE, row.pk, now=timezone.now())
    facebook.fake.objects[facebook.comment_id].hidden = True  # its request reached the network

    assert moderation.moderation_dispatch_due() == []  # within the task's time limit: it may be alive
    started = timezone.now() - moderation.PIPELINE.stale_after - dt.timedelta(seconds=1)
    ModerationAction.objects.filter(pk=row.pk).update(next_step_at=started)
    assert moderation.moderation_dispatch_due() == []
    assert ModerationAction.objects.get(pk=row.pk).state == S.UNKNOWN
    later = timezone.now() + moderation.POLICY.reconcile_delay + dt.timedelta(seconds=1)
    assert moderation.moderation_dispatch_due(now=later) == [row.pk]

    make_due(row)
    assert moderation.moderation_process(row.pk) == S.DONE
    assert facebook.writes() == [] and facebook.message.hidden


# --- Failures -------------------------------------------------------------------------------------------


def test_server_errors_are_retried_with_backoff_and_handed_out_by_the_dispatcher(facebook, agent, broker):
    facebook.fake.inject(server_error_fault(rf"/{facebook.comment_id}$", method="POST"))
    row = ask(facebook, agent, A.HIDE)

    assert moderation.moderation_process(row.pk) == S.QUEUED
    row.refresh_from_db()
    assert row.attempts == 1 and row.next_step_at > timezone.now()
    assert moderation.moderation_dispatch_due() == []  # the backoff holds
    assert moderation.moderation_dispatch_due(now=row.next_step_at + dt.timedelta(seconds=1)) == [row.pk]
    make_due(row)
    assert moderation.moderation_process(row.pk) == S.DONE


def test_a_refusal_fails_with_the_networks_words_and_the_button_comes_back(facebook, agent, broker):
    facebook.fake.inject(
        graph_error_fault(
            rf"/{facebook.comment_id}$", code=200, message="(#200) Permissions error", method="POST"
        )
    )
    row = ask(facebook, agent, A.HIDE)

    assert moderation.moderation_process(row.pk) == S.FAILED
    row.refresh_from_db()
    assert "Permissions error" in row.error
    shown = moderation.describe(facebook.message, member=agent.memberships.get())
    assert shown.last_failed == row and shown.can_hide  # a person may try again
    assert ask(facebook, agent, A.HIDE).state == S.QUEUED


# --- Who may, and where ----------------------------------------------------------------------------------


def test_agents_may_not_delete(facebook, agent, broker):
    with pytest.raises(moderation.ModerationError, match="Only managers may delete"):
        ask(facebook, agent, A.DELETE)
    assert not moderation.describe(facebook.message, member=agent.memberships.get()).can_delete
    assert ModerationAction.objects.count() == 0 and broker.messages == []


def test_another_workspace_is_refused(facebook, outsider, broker):
    with pytest.raises(moderation.ModerationError, match="another workspace"):
        ask(facebook, outsider, A.HIDE)


def test_what_the_network_does_not_support_has_no_button_and_is_refused(facebook, agent, broker, monkeypatch):
    from networks.providers.facebook import FacebookProvider

    # The capability set is the provider's declaration, the input of the code under test.
    monkeypatch.setattr(FacebookProvider, "capabilities", frozenset({p.Capability.DIRECT_MESSAGES}))
    shown = moderation.describe(facebook.message, member=agent.memberships.get())
    assert not (shown.can_hide or shown.can_unhide or shown.can_delete or shown.can_reply_privately)
    with pytest.raises(moderation.ModerationError, match="Facebook does not let CM Hub do this"):
        ask(facebook, agent, A.HIDE)


def test_x_hides_but_answers_no_comment_privately_and_linkedin_does_neither():
    from networks.registry import provider_class

    assert provider_class("x").supports(p.Capability.HIDE)
    assert not provider_class("linkedin").supports(p.Capability.HIDE)
    for network in ("x", "linkedin"):
        assert not provider_class(network).supports(p.Capability.PRIVATE_REPLY)


def test_direct_messages_and_our_own_replies_cannot_be_hidden(facebook, agent, broker):
    message = facebook.message
    Conversation.objects.filter(pk=message.conversation_id).update(kind=Conversation.Kind.DIRECT_MESSAGE)
    with pytest.raises(moderation.ModerationError, match="Only comments"):
        ask(facebook, agent, A.HIDE)


def test_two_hides_at_once_are_one_change(facebook, agent, manager, broker):
    first = ask(facebook, agent, A.HIDE)
    with pytest.raises(moderation.ModerationError):
        ask(facebook, manager, A.UNHIDE)  # not hidden yet: refused by the rules
    # Past the rules (a colleague's click in the same instant), the database refuses the second change.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ModerationAction.objects.create(
            workspace_id=first.workspace_id,
            channel_id=first.channel_id,
            message_id=first.message_id,
            action=A.DELETE,
        )


def test_admin_lists_the_actions_filtered_by_action_and_state(facebook, agent, manager, client, broker):
    from tests.factories import UserFactory

    hide = ask(facebook, agent, A.HIDE)
    moderation.moderation_process(hide.pk)
    ask(facebook, manager, A.DELETE)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = "/admin/inbox/moderationaction/"

    hides = client.get(url, {"action__exact": "hide", "state__exact": "done"}).content.decode()
    deletes = client.get(url, {"action__exact": "delete"}).content.decode()

    assert f"/admin/inbox/moderationaction/{hide.pk}/change/" in hides
    assert f"/admin/inbox/moderationaction/{hide.pk}/change/" not in deletes and "Delete #" in deletes
    assert client.get(f"{url}{hide.pk}/change/").status_code == 200


# --- X: only our own replies can be deleted --------------------------------------------------------------


@pytest.fixture
def x_thread(workspace, manager):
    from networks.fakes.x import XFake

    with XFake() as fake:
        channel, brand = connect_x_channel(fake, workspace)
        fan = fake.add_user("lea", "Léa")
        mention = fake.add_mention(brand, fan, "@acmebakery open on Sunday?")
        network_tasks.poll_once(channel)
        conversation = Conversation.objects.get(channel=channel)
        ours = fake.add_tweet(brand, "Yes, 8 to 12!", in_reply_to=mention)
        reply = Message.objects.create(
            workspace=workspace,
            conversation=conversation,
            channel=channel,
            direction=Message.Direction.OUT,
            kind="reply",
            author_user=manager,
            external_id=ours,
            text="Yes, 8 to 12!",
            send_status=Message.SendStatus.SENT,
        )
        fake.ours, fake.mention_id = ours, mention
        yield fake, channel, reply


def test_a_manager_deletes_our_own_reply_on_x_but_never_a_fans_post(x_thread, manager, agent, broker):
    fake, channel, reply = x_thread
    inbound = Message.objects.get(channel=channel, direction=Message.Direction.IN)
    boss = manager.memberships.get()
    assert not moderation.describe(inbound, member=boss).can_delete  # X deletes only the author's posts
    with pytest.raises(moderation.ModerationError, match="X does not let CM Hub do this"):
        moderation.moderation_request(message=inbound, by=boss, action=A.DELETE)
    assert not moderation.describe(reply, member=agent.memberships.get()).can_delete  # agents never

    row = moderation.moderation_request(message=reply, by=boss, action=A.DELETE)
    assert moderation.moderation_process(row.pk) == S.DONE
    assert fake.tweet(fake.ours) is None  # gone on X
    assert moderation.describe(Message.objects.get(pk=reply.pk), member=boss).deleted
    deletes = [r for r in fake.requests if r.method == "DELETE"]
    assert len(deletes) == 1


def test_an_agent_hides_a_fans_reply_to_our_x_post_and_shows_it_again(workspace, agent, broker):
    from networks.fakes.x import XFake

    with XFake() as fake:
        channel, brand = connect_x_channel(fake, workspace)
        fan = fake.add_user("lea", "Léa")
        ours = fake.add_tweet(brand, "Rye bread is back")
        reply = fake.add_tweet(fan, "@acmebakery until when?", in_reply_to=ours)
        mention = fake.add_mention(brand, fan, "@acmebakery is the shop open?")
        network_tasks.poll_once(channel)
        member = agent.memberships.get()
        in_reply = Message.objects.get(channel=channel, external_id=reply)
        alone = Message.objects.get(channel=channel, external_id=mention)
        assert not moderation.describe(alone, member=member).can_hide  # a mention is not under our post

        row = moderation.moderation_request(message=in_reply, by=member, action=A.HIDE)
        assert moderation.moderation_process(row.pk) == S.DONE
        assert fake.tweets[int(reply)]["_hidden"] is True
        assert Message.objects.get(pk=in_reply.pk).hidden
        row = moderation.moderation_request(
            message=Message.objects.get(pk=in_reply.pk), by=member, action=A.UNHIDE
        )
        assert moderation.moderation_process(row.pk) == S.DONE
        assert fake.tweets[int(reply)]["_hidden"] is False
        assert not Message.objects.get(pk=in_reply.pk).hidden


def test_an_x_hide_whose_answer_was_lost_is_simply_sent_again(workspace, agent, broker):
    from networks.fakes.x import XFake

    with XFake() as fake:
        channel, brand = connect_x_channel(fake, workspace)
        fan = fake.add_user("lea", "Léa")
        reply = fake.add_tweet(fan, "@acmebakery meh", in_reply_to=fake.add_tweet(brand, "New cake"))
        network_tasks.poll_once(channel)
        message = Message.objects.get(channel=channel, external_id=reply)
        fake.drop_after(rf"/2/tweets/{reply}/hidden$", method="PUT")
        row = moderation.moderation_request(message=message, by=agent.memberships.get(), action=A.HIDE)

        assert moderation.moderation_process(row.pk) == S.QUEUED  # setting a state twice is harmless
        make_due(row)
        assert moderation.moderation_process(row.pk) == S.DONE
        assert len([r for r in fake.requests if r.method == "PUT"]) == 2


def test_an_unclear_x_deletion_is_read_back_without_a_second_delete(x_thread, manager, broker):
    fake, _channel, reply = x_thread
    fake.drop_after(rf"/2/tweets/{fake.ours}$", method="DELETE")
    row = moderation.moderation_request(message=reply, by=manager.memberships.get(), action=A.DELETE)

    assert moderation.moderation_process(row.pk) == S.UNKNOWN
    make_due(row)
    assert moderation.moderation_process(row.pk) == S.DONE
    assert len([r for r in fake.requests if r.method == "DELETE"]) == 1


@pytest.mark.django_db(transaction=True)
def test_four_workers_given_the_same_hide_write_it_once(facebook, agent, broker):
    from django.db import connection

    from tests.threads import at_once

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises every writer: two threads cannot race for the claim there")
    row = ask(facebook, agent, A.HIDE)

    outcomes = at_once(lambda: moderation.moderation_process(row.pk), times=4)

    assert outcomes.count(S.DONE) >= 1 and len(outcomes) == 4
    assert len(facebook.writes()) == 1  # one claim won; the others saw it running or done


def test_a_comment_its_author_deleted_is_deleted_already_and_cannot_be_hidden(facebook, manager, broker):
    facebook.fake.delete_object(facebook.comment_id)  # the author deleted it before we acted
    hide = ask(facebook, manager, A.HIDE)
    assert moderation.moderation_process(hide.pk) == S.FAILED
    hide.refresh_from_db()
    assert hide.error == "This comment no longer exists on Facebook."

    delete = ask(facebook, manager, A.DELETE)
    assert moderation.moderation_process(delete.pk) == S.DONE  # what was asked is true
    assert moderation.describe(facebook.message, member=manager.memberships.get()).deleted


def test_an_unknown_action_is_refused_with_a_sentence(agent_client, facebook, agent):
    message = facebook.message
    path = f"/w/acme/inbox/{message.conversation_id}/messages/{message.pk}/moderate/"
    response = agent_client.post(path, {"action": "ban_forever"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Choose what to do with this message." in response.content.decode()
    assert agent_client.get(path).status_code == 405
    assert not ModerationAction.objects.exists()


def test_moderation_runs_on_the_send_queue_with_a_dispatcher_on_beat(settings):
    from celery import current_app

    from cmhub.beat import BEAT_SCHEDULE

    router = current_app.amqp.router
    for name in ("inbox.moderate", "inbox.dispatch_moderation"):
        assert router.route({}, name)["queue"].name == "send", name
    assert BEAT_SCHEDULE["dispatch-moderation"]["task"] == "inbox.dispatch_moderation"
    assert BEAT_SCHEDULE["dispatch-moderation"]["options"]["expires"] <= 5


def test_the_thread_says_who_hid_a_comment_and_when(facebook, agent, agent_client, broker):
    hide = ask(facebook, agent, A.HIDE)
    moderation.moderation_process(hide.pk)
    message = facebook.message
    page = agent_client.get(f"/w/acme/inbox/{message.conversation_id}/").content.decode()
    assert "Hidden on the network" in page and f"Hide · {agent.name}" in page
    assert "Show again on Facebook" in page

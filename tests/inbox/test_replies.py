"""Reply rules: who needs approval, who may approve, stale threads, text checks, retries, saved-reply
variables. (Sending itself is in test_send_pipeline.py, against the network fakes.)"""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import Membership
from inbox import replies, saved_replies
from inbox.ingest import message_ingest_batch
from inbox.models import Contact, Conversation, InboxPolicy, Message
from networks.models import Channel
from networks.providers import base as p
from tests.factories import MembershipFactory

S = Message.SendStatus


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run an action in a transaction that commits, so what it enqueues on commit is sent."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def sent(broker) -> list[int]:
    return broker.ids("inbox.send_reply")


@pytest.fixture
def conversation(channel, make_item) -> Conversation:
    first = make_item("Bonjour, vous livrez ?", author="fan-1", external_id="c1")
    message_ingest_batch(channel=channel, items=[first])
    return Conversation.objects.select_related("channel", "contact").get(channel=channel)


def member(user) -> Membership:
    return user.memberships.get()


def version(conversation: Conversation) -> int:
    return Message.objects.filter(conversation=conversation).order_by("-pk").values_list("pk", flat=True)[0]


def write(conversation, user, text="Oui, partout à Lyon.", **kwargs) -> Message:
    kwargs.setdefault("thread_version", version(conversation))
    return replies.reply_create(conversation=conversation, author=member(user), text=text, **kwargs)


# --- Who needs approval ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy_on", "sensitive", "assistant", "role", "expected"),
    [
        (False, False, False, "agent", S.QUEUED),
        (True, False, False, "agent", S.PENDING_APPROVAL),
        (True, False, False, "manager", S.QUEUED),
        (True, False, False, "owner", S.QUEUED),
        (False, True, False, "agent", S.PENDING_APPROVAL),
        (False, True, False, "manager", S.PENDING_APPROVAL),  # sensitive: even a manager's reply waits
        (False, False, True, "manager", S.PENDING_APPROVAL),  # assistant drafts always wait
    ],
)
def test_the_approval_matrix(
    request, conversation, workspace, broker, commit, policy_on, sensitive, assistant, role, expected
):
    InboxPolicy.objects.create(workspace=workspace, agent_replies_need_approval=policy_on)
    Conversation.objects.filter(pk=conversation.pk).update(sensitive=sensitive)
    conversation.refresh_from_db()
    user = request.getfixturevalue(role)

    message = commit(lambda: write(conversation, user, drafted_by_assistant=assistant))

    assert message.send_status == expected
    assert (message.direction, message.author_user, message.external_id) == ("out", user, None)
    assert message.parent_external_id == "c1"  # it answers the latest inbound message
    if expected == S.QUEUED:
        assert message.next_step_at is not None and sent(broker) == [message.pk]
    else:
        assert message.next_step_at is None and sent(broker) == []


def test_without_a_policy_row_agents_send_directly(conversation, agent, broker):
    assert write(conversation, agent).send_status == S.QUEUED


# --- Who approves ---------------------------------------------------------------------------------------


@pytest.fixture
def pending(conversation, workspace, agent) -> Message:
    InboxPolicy.objects.create(workspace=workspace, agent_replies_need_approval=True)
    return write(conversation, agent)


def test_a_manager_approves_an_agents_reply_and_it_is_queued_once(pending, manager, broker, commit):
    approved = commit(lambda: replies.reply_approve(message=pending, by=member(manager)))

    assert (approved.send_status, approved.approved_by) == (S.QUEUED, manager)
    assert approved.next_step_at is not None and sent(broker) == [pending.pk]
    with pytest.raises(replies.ReplyError, match="already reviewed"):
        commit(lambda: replies.reply_approve(message=pending, by=member(manager)))
    assert sent(broker) == [pending.pk]


def test_an_agent_cannot_approve(pending, workspace, broker, commit):
    other_agent = MembershipFactory(workspace=workspace, role=Membership.Role.AGENT)
    with pytest.raises(replies.ReplyError, match="role"):
        commit(lambda: replies.reply_approve(message=pending, by=other_agent))
    assert Message.objects.get(pk=pending.pk).send_status == S.PENDING_APPROVAL and sent(broker) == []


def test_nobody_approves_their_own_reply(conversation, manager, workspace, broker, commit):
    Conversation.objects.filter(pk=conversation.pk).update(sensitive=True)
    conversation.refresh_from_db()
    own = write(conversation, manager)

    for review in (
        lambda: replies.reply_approve(message=own, by=member(manager)),
        lambda: replies.reply_edit_and_approve(message=own, by=member(manager), text="Better"),
        lambda: replies.reply_reject(message=own, by=member(manager), comment="Meh"),
    ):
        with pytest.raises(replies.ReplyError, match="Someone else"):
            review()
    assert Message.objects.get(pk=own.pk).send_status == S.PENDING_APPROVAL

    colleague = MembershipFactory(workspace=workspace, role=Membership.Role.MANAGER)
    assert commit(lambda: replies.reply_approve(message=own, by=colleague)).send_status == S.QUEUED
    assert sent(broker) == [own.pk]


def test_an_outsider_cannot_review(pending, outsider):
    with pytest.raises(replies.ReplyError, match="another workspace"):
        replies.reply_approve(message=pending, by=member(outsider))


def test_edit_and_approve_replaces_the_text_after_checking_it(pending, manager, broker, commit):
    with pytest.raises(replies.ReplyError):
        replies.reply_edit_and_approve(message=pending, by=member(manager), text="   ")
    edited = commit(
        lambda: replies.reply_edit_and_approve(
            message=pending, by=member(manager), text="  Oui, dès demain.  "
        )
    )
    assert (edited.text, edited.send_status, edited.approved_by) == ("Oui, dès demain.", S.QUEUED, manager)
    assert sent(broker) == [pending.pk]


def test_rejecting_needs_a_comment_the_author_can_read(pending, manager, broker):
    with pytest.raises(replies.ReplyError, match="Say why"):
        replies.reply_reject(message=pending, by=member(manager), comment=" ")
    rejected = replies.reply_reject(
        message=pending, by=member(manager), comment="Too casual for this client."
    )
    assert (rejected.send_status, rejected.review_comment, rejected.approved_by) == (
        S.REJECTED,
        "Too casual for this client.",
        manager,
    )
    assert sent(broker) == []
    with pytest.raises(replies.ReplyError):
        replies.reply_approve(message=pending, by=member(manager))


# --- Stale threads, text checks ---------------------------------------------------------------------------


def test_a_reply_to_a_thread_that_moved_on_is_refused_until_confirmed(
    conversation, channel, agent, make_item, broker
):
    seen = version(conversation)
    message_ingest_batch(channel=channel, items=[make_item("En fait, c'est urgent", root="c1", parent="c1")])

    with pytest.raises(replies.StaleThread) as refused:
        write(conversation, agent, thread_version=seen)
    assert refused.value.newer == 1
    assert not Message.objects.filter(direction="out").exists()

    message = write(conversation, agent, thread_version=seen, confirm_stale=True)
    assert message.send_status == S.QUEUED
    # It answers the newest message, the one the author was warned about.
    assert (
        message.parent_external_id == Message.objects.filter(direction="in").latest("created_at").external_id
    )


def test_a_teammates_reply_makes_the_thread_stale_but_your_own_does_not(conversation, agent, manager, broker):
    seen = version(conversation)
    write(conversation, agent, "First", thread_version=seen)
    write(conversation, agent, "Second", thread_version=seen)  # my own replies: I know about them
    with pytest.raises(replies.StaleThread):
        write(conversation, manager, "Me too", thread_version=seen)


def test_blank_and_too_long_replies_are_refused_in_plain_words(conversation, agent):
    with pytest.raises(replies.ReplyError, match="Write something"):
        write(conversation, agent, " \n ")
    with pytest.raises(replies.ReplyError, match="Facebook allows 63,206"):
        write(conversation, agent, "x" * 63_207)


def _conversation_on(workspace, network: str, kind=Conversation.Kind.COMMENT) -> Conversation:
    channel = Channel.objects.create(
        workspace=workspace,
        network=network,
        external_id=f"{network}-1",
        name=network,
        api_base_url="http://127.0.0.1:9",
    )
    conversation = Conversation.objects.create(
        workspace=workspace,
        channel=channel,
        kind=kind,
        root_external_id="root",
        post_external_id="urn:li:share:1",
    )
    return Conversation.objects.select_related("channel").get(pk=conversation.pk)


def test_each_network_checks_its_own_limits(workspace, agent):
    x = _conversation_on(workspace, "x")
    assert replies.reply_problems(conversation=x, text="a" * 280) == []
    assert "counts 281" in replies.reply_problems(conversation=x, text="a" * 281)[0]
    # X counts a link as 23 and an emoji as 2: 240 letters and a long link fit, 140 emoji do not.
    assert replies.reply_problems(conversation=x, text="a" * 240 + " https://example.com/" + "p" * 100) == []
    assert replies.reply_problems(conversation=x, text="🥐" * 141)
    linkedin = _conversation_on(workspace, "linkedin")
    assert "1,250" in replies.reply_problems(conversation=linkedin, text="a" * 1251)[0]
    instagram_dm = _conversation_on(workspace, "instagram", Conversation.Kind.DIRECT_MESSAGE)
    # Instagram DMs are answered (within their window): the text limit is the Send API's 1,000.
    assert "1,000" in replies.reply_problems(conversation=instagram_dm, text="a" * 1001)[0]
    facebook_dm = _conversation_on(workspace, "facebook", Conversation.Kind.DIRECT_MESSAGE)
    assert "2,000" in replies.reply_problems(conversation=facebook_dm, text="a" * 2001)[0]
    assert replies.reply_limit(x) == p.TextLimit(280, weighted=True)
    assert replies.reply_length(x, "see https://example.com/a/b/c") == 27


def test_no_reply_through_a_channel_that_lost_its_connection(conversation, agent, channel):
    Channel.objects.filter(pk=channel.pk).update(status=Channel.Status.NEEDS_RECONNECT)
    conversation.channel.refresh_from_db()
    with pytest.raises(replies.ReplyError, match="reconnect"):
        write(conversation, agent)


def test_an_outsider_cannot_write_into_another_workspace(conversation, outsider):
    with pytest.raises(replies.ReplyError):
        write(conversation, outsider)


# --- Targets, retries ---------------------------------------------------------------------------------------


def test_the_target_threads_the_reply_under_the_message_it_answers(
    conversation, channel, agent, make_item, broker
):
    message_ingest_batch(
        channel=channel, items=[make_item("Et le dimanche ?", root="c1", parent="c1", external_id="c2")]
    )
    message = write(conversation, agent)

    target = replies.reply_target(message)

    assert target == p.ReplyTarget(
        external_id="c2",
        kind=p.ItemKind.COMMENT,
        post_external_id="PAGE1_POST1",
        parent_external_id="c1",
        thread_root_external_id="c1",
        author_external_id="fan-1",
    )


def test_a_direct_message_is_answered_to_its_sender(channel, make_item, agent, broker):
    # Written an hour ago: inside Messenger's 24-hour window (tests/inbox/test_dm_window.py has the rest).
    dm = make_item(
        "Open today?",
        kind=p.ItemKind.DIRECT_MESSAGE,
        author="psid-7",
        root="t_1",
        external_id="m_1",
        at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
    )
    message_ingest_batch(channel=channel, items=[dm])
    conversation = Conversation.objects.select_related("channel").get(root_external_id="t_1")
    message = write(conversation, agent, "Until 7pm")

    target = replies.reply_target(message)

    assert (target.kind, target.external_id, target.author_external_id) == (
        p.ItemKind.DIRECT_MESSAGE,
        "m_1",
        "psid-7",
    )
    assert message.kind == "direct_message"


def test_only_a_failed_reply_is_retried_and_it_starts_afresh(conversation, agent, broker, commit):
    message = commit(lambda: write(conversation, agent))
    with pytest.raises(replies.ReplyError, match="failed"):
        replies.reply_retry(message=message, by=member(agent))
    Message.objects.filter(pk=message.pk).update(send_status=S.FAILED, send_attempts=5, send_error="Refused")

    retried = commit(lambda: replies.reply_retry(message=message, by=member(agent)))

    assert (retried.send_status, retried.send_attempts, retried.send_error) == (S.QUEUED, 0, "")
    assert sent(broker) == [message.pk, message.pk]


def test_the_inbox_policy_is_for_admins(workspace, manager, owner):
    with pytest.raises(replies.ReplyError):
        replies.inbox_policy_update(
            workspace=workspace,
            by=member(manager),
            agent_replies_need_approval=True,
            first_response_minutes=30,
            business_hours={},
        )
    policy = replies.inbox_policy_update(
        workspace=workspace,
        by=member(owner),
        agent_replies_need_approval=True,
        first_response_minutes=30,
        business_hours={"0": ["09:00", "18:00"]},
    )
    assert InboxPolicy.objects.get(workspace=workspace) == policy and policy.first_response_minutes == 30


# --- Saved reply variables ----------------------------------------------------------------------------------


def test_saved_reply_variables_are_replaced_by_name_and_nothing_else(workspace, agent):
    contact = Contact(workspace=workspace, network="x", external_id="1", handle="lea_m", name="Léa Martin")
    agent.first_name, agent.display_name = "Sam", "Sam Dupont"
    body = (
        "Bonjour {{ contact.name }} (@{{contact.handle}}), ici {{ agent.first_name }} / {{  agent.name }} "
        "de {{ workspace.name }}. {{ 7*7 }} {% load static %}{% now 'Y' %} {{ settings.SECRET_KEY }} "
        "{{ contact.__class__ }} {{ agent.password }} {# comment #}"
    )

    text = saved_replies.saved_reply_render(body, contact=contact, agent=agent, workspace=workspace)

    assert text == (
        "Bonjour Léa Martin (@lea_m), ici Sam / Sam Dupont de Acme Bakery. {{ 7*7 }} {% load static %}"
        "{% now 'Y' %} {{ settings.SECRET_KEY }} {{ contact.__class__ }} {{ agent.password }} {# comment #}"
    )
    assert saved_replies.unknown_variables(body) == [
        "agent.password",
        "contact.__class__",
        "settings.SECRET_KEY",
    ]


def test_saved_reply_values_are_inserted_as_they_are(workspace, agent):
    """A contact's name is untrusted: it is inserted as text (the composer escapes it), never interpreted."""
    contact = Contact(
        workspace=workspace, network="x", external_id="1", handle="", name="{{ agent.name }}<b>x</b>"
    )
    text = saved_replies.saved_reply_render(
        "Hi {{ contact.name }}", contact=contact, agent=agent, workspace=workspace
    )
    assert text == "Hi {{ agent.name }}<b>x</b>"  # one pass: a value is never expanded again
    no_contact = saved_replies.saved_reply_render(
        "Hi {{ contact.name }}!", contact=None, agent=agent, workspace=workspace
    )
    assert no_contact == "Hi !"


def test_saved_replies_are_managed_by_managers_only(workspace, agent, manager):
    with pytest.raises(saved_replies.SavedReplyError):
        saved_replies.saved_reply_create(by=member(agent), title="Hours", body="9 to 5")
    reply = saved_replies.saved_reply_create(
        by=member(manager), title="Hours", body="9 to 5", shortcut="hours"
    )
    with pytest.raises(saved_replies.SavedReplyError, match="shortcut"):
        saved_replies.saved_reply_create(by=member(manager), title="Other", body="x", shortcut="hours")
    saved_replies.saved_reply_delete(reply=reply, by=member(manager))
    assert not workspace.saved_replies.exists()

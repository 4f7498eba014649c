"""Auto-replies: drafts by default, direct sending only past every guard, and the hand-back to humans."""

from __future__ import annotations

import pytest

from assistant import autoreply, engine
from assistant.models import AutoReply, AutoReplyPolicy, FaqEntry, Rule
from demo.faq import faq_load_demo
from inbox.models import Conversation, Message
from tests.assistant.test_rules import COMPLAINT_FR, HOURS_FR, arrive, make_rule
from tests.inbox.conftest import channel, make_item  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.django_db
S = Message.SendStatus
M = AutoReply.Mode


@pytest.fixture
def rule(workspace, manager) -> Rule:
    faq_load_demo(workspace=workspace)
    return make_rule(workspace, manager, actions=[{"type": "auto_reply"}])


@pytest.fixture
def policy(workspace, channel, rule) -> AutoReplyPolicy:  # noqa: F811
    policy = AutoReplyPolicy.objects.create(
        workspace=workspace, enabled=True, min_confidence=0.1, daily_cap=5
    )
    policy.faq_entries.set(FaqEntry.objects.filter(workspace=workspace, group="hours"))
    policy.channels.set([channel])
    return policy


def outcome(message: Message) -> tuple[str, str, Message | None]:
    audit = AutoReply.objects.get(message=message)
    return audit.mode, audit.reason, audit.reply


def test_by_default_an_auto_reply_is_a_draft_awaiting_approval(rule, channel, make_item, manager):  # noqa: F811
    message = arrive(channel, make_item, HOURS_FR)
    mode, reason, reply = outcome(message)
    assert (mode, reason) == (M.DRAFTED, "kill_switch")
    assert reply.send_status == S.PENDING_APPROVAL and reply.raw == {"drafted_by_assistant": True}
    assert reply.text.startswith("Nous sommes ouverts") and reply.author_user == manager


def test_a_whitelisted_confident_answer_goes_out_directly(policy, channel, make_item, workspace):  # noqa: F811
    message = arrive(channel, make_item, HOURS_FR)
    mode, reason, reply = outcome(message)
    assert (mode, reason) == (M.SENT, "")
    assert reply.send_status == S.QUEUED and reply.next_step_at is not None  # the normal send pipeline
    assert reply.raw["auto_sent"] is True


def test_the_kill_switch_stops_direct_sending(policy, channel, make_item):  # noqa: F811
    AutoReplyPolicy.objects.filter(pk=policy.pk).update(enabled=False)
    assert outcome(arrive(channel, make_item, HOURS_FR))[:2] == (M.DRAFTED, "kill_switch")


def test_below_the_threshold_it_is_a_draft(policy, channel, make_item):  # noqa: F811
    AutoReplyPolicy.objects.filter(pk=policy.pk).update(min_confidence=1.01)
    assert outcome(arrive(channel, make_item, HOURS_FR))[:2] == (M.DRAFTED, "low_confidence")


def test_below_the_calibrated_default_nothing_goes_out_alone_whatever_the_policy_says(
    policy,
    channel,  # noqa: F811
    make_item,  # noqa: F811
):
    assert policy.min_confidence < 0.2  # the manager set it very low
    message = arrive(channel, make_item, "Vous fermez tard ?")  # hours first, but only fairly sure
    mode, reason, _ = outcome(message)
    audit = AutoReply.objects.get(message=message)
    assert policy.min_confidence < audit.confidence < engine.AUTO_SEND_THRESHOLD
    assert (mode, reason) == (M.DRAFTED, "low_confidence")


def test_a_new_policy_starts_at_the_calibrated_default(workspace):
    assert AutoReplyPolicy.objects.create(workspace=workspace).min_confidence == engine.AUTO_SEND_THRESHOLD


def test_an_answer_not_on_the_list_is_a_draft(policy, channel, make_item):  # noqa: F811
    policy.faq_entries.clear()
    assert outcome(arrive(channel, make_item, HOURS_FR))[:2] == (M.DRAFTED, "not_allowed")


def test_a_channel_not_allowed_is_a_draft(policy, channel, make_item):  # noqa: F811
    policy.channels.clear()
    assert outcome(arrive(channel, make_item, HOURS_FR))[:2] == (M.DRAFTED, "channel")


def test_the_daily_cap(policy, channel, make_item):  # noqa: F811
    AutoReplyPolicy.objects.filter(pk=policy.pk).update(daily_cap=1)
    first = arrive(channel, make_item, HOURS_FR, author="a")
    second = arrive(channel, make_item, HOURS_FR, author="b")
    assert outcome(first)[0] == M.SENT
    assert outcome(second)[:2] == (M.DRAFTED, "daily_cap")


def test_complaints_never_go_out_directly(policy, channel, make_item):  # noqa: F811
    message = arrive(channel, make_item, COMPLAINT_FR + " Et vous ouvrez à quelle heure ?")
    assert message.triage.intent == "complaint"
    mode, reason, _reply = outcome(message)
    assert mode != M.SENT and reason in {"complaint", "no_answer"}


def test_negative_sentiment_never_goes_out_directly(policy, channel, make_item, workspace):  # noqa: F811
    message = arrive(channel, make_item, HOURS_FR)
    message.triage.sentiment, message.triage.intent = -0.2, "question"
    entry = FaqEntry.objects.get(workspace=workspace, group="hours", language="fr")
    state = autoreply_state()
    reason = autoreply.why_not_direct(
        policy=policy, message=message, triage=message.triage, entry=entry, confidence=0.99, state=state
    )
    assert reason == "negative"
    message.triage.intent = "complaint"
    message.triage.sentiment = 0.5
    assert (
        autoreply.why_not_direct(
            policy=policy, message=message, triage=message.triage, entry=entry, confidence=0.99, state=state
        )
        == "complaint"
    )


def autoreply_state():
    from assistant.rules import State

    return State()


def test_one_direct_reply_per_conversation(policy, channel, make_item):  # noqa: F811
    first = arrive(channel, make_item, HOURS_FR, external_id="root-1")
    again = arrive(channel, make_item, "Vous êtes ouverts jusqu'à quelle heure demain ?", parent="root-1")
    assert outcome(first)[0] == M.SENT
    assert outcome(again)[:2] == (M.DRAFTED, "already_answered")


def test_a_rule_whose_author_left_drafts_nothing(rule, channel, make_item, manager):  # noqa: F811
    manager.memberships.all().delete()
    assert outcome(arrive(channel, make_item, HOURS_FR))[:2] == (M.SKIPPED, "no_author")
    assert not Message.objects.filter(direction="out").exists()


def test_a_customer_answering_an_auto_reply_goes_back_to_the_humans(policy, channel, make_item):  # noqa: F811
    first = arrive(channel, make_item, HOURS_FR, external_id="root-2")
    assert outcome(first)[0] == M.SENT
    conversation = Conversation.objects.get(pk=first.conversation_id)
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Conversation.Status.RESOLVED, priority=Conversation.Priority.LOW
    )

    arrive(channel, make_item, "Merci mais ce n'est pas ce que je demandais", parent="root-2")

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.priority >= Conversation.Priority.HIGH
    assert autoreply.ANSWERED_LABEL in set(conversation.labels.values_list("name", flat=True))


def test_a_draft_after_the_auto_reply_does_not_hide_the_hand_back(policy, channel, make_item, manager):  # noqa: F811
    first = arrive(channel, make_item, HOURS_FR, external_id="root-4")
    assert outcome(first)[0] == M.SENT
    # A second rule (or a teammate) drafts another answer; it waits for approval, unseen by the customer.
    Message.objects.create(
        workspace=first.workspace,
        conversation=first.conversation,
        channel=channel,
        direction=Message.Direction.OUT,
        text="Autre brouillon",
        send_status=S.PENDING_APPROVAL,
        author_user=manager,
    )
    arrive(channel, make_item, "Et le dimanche ?", parent="root-4")
    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert autoreply.ANSWERED_LABEL in set(conversation.labels.values_list("name", flat=True))
    assert conversation.priority >= Conversation.Priority.HIGH


def test_a_customer_answering_a_human_is_not_flagged(rule, channel, make_item):  # noqa: F811
    first = arrive(channel, make_item, HOURS_FR, external_id="root-3")  # a draft, not auto-sent
    arrive(channel, make_item, "Merci !", parent="root-3")
    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert not conversation.labels.exists()


def test_an_auto_sent_reply_is_marked_in_the_thread(policy, channel, make_item, workspace, agent_client):  # noqa: F811
    message = arrive(channel, make_item, HOURS_FR)
    reply = outcome(message)[2]
    Message.objects.filter(pk=reply.pk).update(send_status=S.SENT)
    page = agent_client.get(f"/w/{workspace.slug}/inbox/{message.conversation_id}/").content.decode()
    assert page.count("Sent automatically by the assistant") == 1


def test_a_hand_back_is_recorded_once_on_the_auto_reply_and_outlives_the_label(policy, channel, make_item):  # noqa: F811
    first = arrive(channel, make_item, HOURS_FR, external_id="root-5")
    audit = AutoReply.objects.get(message=first)
    assert audit.mode == M.SENT and audit.handed_back_at is None

    arrive(channel, make_item, "Et le dimanche ?", parent="root-5", external_id="c-1")
    audit.refresh_from_db()
    handed_back_at = audit.handed_back_at
    assert handed_back_at is not None
    conversation = Conversation.objects.get(pk=first.conversation_id)
    conversation.labels.clear()  # a person took the label off: the report still counts the hand-back

    arrive(channel, make_item, "Vous êtes là ?", parent="root-5", external_id="c-2")
    audit.refresh_from_db()
    assert audit.handed_back_at == handed_back_at  # answered twice, handed back once
    assert AutoReply.objects.filter(handed_back_at__isnull=False).count() == 1


def test_a_customer_answering_a_drafted_reply_is_no_hand_back(rule, channel, make_item):  # noqa: F811
    first = arrive(channel, make_item, HOURS_FR, external_id="root-6")
    arrive(channel, make_item, "Merci !", parent="root-6", external_id="c-3")
    assert AutoReply.objects.get(message=first).handed_back_at is None

"""The issue's demo, end to end: a manager's rule auto-answers a whitelisted question and hands the
follow-up back to a human.

Everything runs on the production path: a poll of the Facebook fake stores the comment, the triage task
(run as the worker would, when the poll commits) triages it and runs the rules, the auto-reply goes through
the send task to the fake over HTTP, and the next poll brings the customer's follow-up."""

from __future__ import annotations

import pytest

from assistant import autoreply
from assistant import tasks as assistant_tasks
from assistant.models import AutoReply, AutoReplyPolicy, FaqEntry, MessageTriage
from demo.faq import faq_load_demo
from inbox import tasks as inbox_tasks
from inbox.models import Conversation, Message
from networks import tasks as network_tasks
from networks.fakes.graph import GraphFake
from tests.assistant.test_rules import HOURS_FR, make_rule
from tests.publishing_fakes import facebook_channel

pytestmark = pytest.mark.django_db
S = Message.SendStatus
M = AutoReply.Mode


@pytest.fixture
def workers(monkeypatch):
    """Enqueues run the task bodies: triage at once (as a worker would, after the poll commits), sends are
    collected and run by the test, so it can look at the thread between the two."""
    sends: list[int] = []
    monkeypatch.setattr(
        assistant_tasks.triage_messages,
        "apply_async",
        lambda args, kwargs=None: assistant_tasks.triage_messages(*args),
    )
    monkeypatch.setattr(
        inbox_tasks.send_reply, "apply_async", lambda args, kwargs=None: sends.append(args[0])
    )
    return sends


def test_a_rule_auto_answers_a_whitelisted_question_then_hands_the_follow_up_back(
    workspace, owner, manager, workers, django_capture_on_commit_callbacks
):
    faq_load_demo(workspace=workspace)
    make_rule(
        workspace,
        manager,
        name="Opening hours",
        conditions={"intents": ["question"]},
        actions=[{"type": "auto_reply"}],
    )
    with GraphFake() as fake:
        page = fake.add_page("Acme Bakery", page_id="777")
        post = fake.add_post(page.id, "New croissants today")
        channel = facebook_channel(fake, page, workspace, owner)
        policy = AutoReplyPolicy.objects.create(
            workspace=workspace, enabled=True, min_confidence=0.5, daily_cap=5
        )
        policy.faq_entries.set(FaqEntry.objects.filter(workspace=workspace, group="hours"))
        policy.channels.set([channel])

        def poll() -> None:
            channel.refresh_from_db()
            with django_capture_on_commit_callbacks(execute=True):
                network_tasks.poll_once(channel)

        def our_comments() -> list[str]:
            return [
                c.message
                for c in fake.objects.values()
                if getattr(c, "author", None) == {"id": "777", "name": "Acme Bakery"}
            ]

        # 1. The question arrives through a poll and is triaged; the rule answers it directly.
        question = fake.add_comment(post.id, HOURS_FR, author={"id": "fan1", "name": "Léa"})
        poll()
        message = Message.objects.get(external_id=question.id)
        assert MessageTriage.objects.get(message=message).intent == "question"
        audit = AutoReply.objects.get(message=message)
        assert (audit.mode, audit.reason) == (M.SENT, "")
        assert audit.confidence >= policy.min_confidence  # above the threshold, not merely allowed
        reply = audit.reply
        assert reply.send_status == S.QUEUED and workers == [reply.pk]

        # 2. The send task posts it to the network once, as any reply.
        inbox_tasks.send_reply(reply.pk)
        reply.refresh_from_db()
        assert reply.send_status == S.SENT and reply.external_id
        entry = FaqEntry.objects.get(workspace=workspace, group="hours", language="fr")
        assert our_comments() == [entry.answer]
        thread = list(Message.objects.filter(conversation=message.conversation).order_by("created_at", "pk"))
        assert thread[-1] == reply and reply.raw["auto_sent"] is True  # marked auto-sent in the thread
        conversation = Conversation.objects.get(pk=message.conversation_id)
        Conversation.objects.filter(pk=conversation.pk).update(
            status=Conversation.Status.RESOLVED, priority=Conversation.Priority.LOW
        )

        # 3. The customer answers the auto-reply: the conversation goes back to the humans, flagged.
        fake.add_comment(
            post.id,
            "Merci mais ce n'est pas ce que je demandais",
            author={"id": "fan1", "name": "Léa"},
            parent_id=question.id,
        )
        poll()
        conversation.refresh_from_db()
        assert conversation.status == Conversation.Status.OPEN
        assert conversation.priority >= Conversation.Priority.HIGH
        assert autoreply.ANSWERED_LABEL in set(conversation.labels.values_list("name", flat=True))

        # 4. Another question in that conversation the same day: a person answers it, not the assistant.
        again = fake.add_comment(
            post.id,
            "Et dimanche, vous êtes ouverts jusqu'à quelle heure ?",
            author={"id": "fan1", "name": "Léa"},
            parent_id=question.id,
        )
        poll()
        second = Message.objects.get(external_id=again.id)
        assert second.conversation_id == conversation.pk
        assert AutoReply.objects.get(message=second).mode != M.SENT
        assert workers == [reply.pk]  # nothing else was queued for sending
        assert our_comments() == [entry.answer]  # and the network received one answer only
        assert (
            Message.objects.filter(conversation=conversation, direction=Message.Direction.OUT)
            .exclude(send_status=S.PENDING_APPROVAL)
            .count()
            == 1
        )

"""Replies and the inbox policy in the audit log: a person's reply sent or submitted, approved (edited or
not), rejected, and the policy's before/after, each recorded once by the reply services."""

from __future__ import annotations

import pytest

from accounts.audit import AuditAction, AuditEvent
from inbox.models import InboxPolicy, Message
from tests.inbox.test_reply_views import conversation, reply_from, send_url, version  # noqa: F401

A = AuditAction
S = Message.SendStatus
pytestmark = pytest.mark.usefixtures("broker")


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_a_reply_sent_by_a_person(agent_client, agent, conversation):  # noqa: F811
    response = agent_client.post(
        send_url(conversation), {"text": "Oui, partout.", "thread_version": version(conversation)}
    )
    assert response.status_code == 302
    reply = Message.objects.get(direction="out")
    [event] = _events(A.REPLY_SENT)
    assert (event.actor, event.actor_kind, event.workspace_id) == (agent, "person", conversation.workspace_id)
    assert (event.target_type, event.target_id) == ("message", str(reply.pk))
    assert event.after == {"text": "Oui, partout.", "status": S.QUEUED}
    assert _events(A.REPLY_SUBMITTED) == []


def test_a_reply_waiting_for_approval_is_submitted_not_sent(agent_client, agent, conversation, workspace):  # noqa: F811
    InboxPolicy.objects.create(workspace=workspace, agent_replies_need_approval=True)
    agent_client.post(send_url(conversation), {"text": "Oui", "thread_version": version(conversation)})
    [event] = _events(A.REPLY_SUBMITTED)
    assert event.actor == agent and event.after["status"] == S.PENDING_APPROVAL
    assert _events(A.REPLY_SENT) == []


def test_approved_edited_and_rejected_replies(manager_client, manager, agent, conversation):  # noqa: F811
    plain, edited, rejected = (reply_from(agent, conversation, text=t) for t in ("A", "B", "C"))
    manager_client.post(f"/w/acme/inbox/approvals/{plain.pk}/approve/", {"from": "queue"})
    manager_client.post(f"/w/acme/inbox/approvals/{edited.pk}/edit/", {"from": "queue", "text": "B, better"})
    manager_client.post(f"/w/acme/inbox/approvals/{rejected.pk}/reject/", {"from": "queue", "comment": ""})
    manager_client.post(
        f"/w/acme/inbox/approvals/{rejected.pk}/reject/", {"from": "queue", "comment": "Off-brand"}
    )
    # A second click on an already reviewed reply is refused and records nothing.
    manager_client.post(f"/w/acme/inbox/approvals/{plain.pk}/approve/", {"from": "queue"})

    first, second = _events(A.REPLY_APPROVED)
    assert (first.actor, first.target_id) == (manager, str(plain.pk))
    assert (first.before, first.after) == ({"status": S.PENDING_APPROVAL}, {"status": S.QUEUED})
    assert second.before == {"status": S.PENDING_APPROVAL, "text": "B"}
    assert second.after == {"status": S.QUEUED, "text": "B, better"}
    [refused] = _events(A.REPLY_REJECTED)
    assert refused.actor == manager and refused.after == {"status": S.REJECTED, "comment": "Off-brand"}


def test_the_inbox_policy_keeps_what_changed(owner_client, owner, workspace):
    owner_client.post(
        "/w/acme/settings/inbox/", {"first_response_minutes": "30", "opens_0": "09:00", "closes_0": "18:00"}
    )
    owner_client.post(
        "/w/acme/settings/inbox/",
        {
            "agent_replies_need_approval": "on",
            "first_response_minutes": "30",
            "opens_0": "09:00",
            "closes_0": "18:00",
        },
    )
    first, second = _events(A.INBOX_POLICY_CHANGED)
    assert first.actor == owner and first.before is None
    assert first.after["business_hours"] == {"0": ["09:00", "18:00"]}
    assert (second.before, second.after) == (
        {"agent_replies_need_approval": False},
        {"agent_replies_need_approval": True},
    )

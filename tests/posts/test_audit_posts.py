"""Posts in the audit log: approved, sent back, scheduled, rescheduled and cancelled, each recorded once by
the posts services, with who did it and the state before and after."""

from __future__ import annotations

import datetime as dt

from accounts.audit import AuditAction, AuditEvent
from posts import services
from posts.models import Post
from tests.posts.test_services import LATER, approved, member, submitted

A = AuditAction
P = Post.Status


def _events(post: Post) -> list[tuple[str, object]]:
    rows = AuditEvent.objects.filter(target_type="post", target_id=str(post.pk)).order_by("pk")
    return [(e.action, e.actor) for e in rows]


def test_a_post_approved_scheduled_moved_and_cancelled_is_recorded_step_by_step(draft, agent, manager):
    approved(draft, agent, manager)
    services.post_schedule(post=draft, by=member(agent), scheduled_at=LATER)
    later = LATER + dt.timedelta(days=1)
    services.post_reschedule(post=draft, by=member(agent), scheduled_at=later, text=draft.text)
    services.post_cancel(post=Post.objects.get(pk=draft.pk), by=member(manager))

    assert _events(draft) == [
        (A.POST_APPROVED, manager),
        (A.POST_SCHEDULED, agent),
        (A.POST_SCHEDULED, agent),
        (A.POST_CANCELLED, manager),
    ]
    approval = AuditEvent.objects.get(action=A.POST_APPROVED)
    assert approval.before["status"] == P.IN_REVIEW and approval.after["status"] == P.APPROVED
    assert approval.workspace_id == draft.workspace_id


def test_a_post_sent_back_records_the_reviewers_words(draft, agent, manager):
    submitted(draft, agent)
    services.review_request_changes(post=draft, by=member(manager), comment="Add the opening hours")

    [event] = AuditEvent.objects.filter(action=A.POST_REJECTED)
    assert (event.actor, event.after["comment"]) == (manager, "Add the opening hours")
    assert _events(draft) == [(A.POST_REJECTED, manager)]

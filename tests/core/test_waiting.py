"""Approvals and reviews announce themselves: the sidebar counts what waits for this manager (others'
replies waiting for approval, others' posts waiting for review), in one query, and nothing for an agent."""

from __future__ import annotations

import re

import pytest

from accounts.models import Membership
from core.waiting import waiting_for
from inbox import replies
from inbox.models import Conversation
from posts import services as post_services
from posts.models import PublishingPolicy
from tests.factories import MembershipFactory, x_mention_conversation


def member(user) -> Membership:
    return user.memberships.select_related("workspace").get()


def _reply(conversation, user, text="Oui, ouvert dimanche."):
    return replies.reply_create(
        conversation=conversation, author=member(user), text=text, thread_version=10**9, confirm_stale=True
    )


@pytest.fixture
def waiting(workspace, manager, agent, channels, django_capture_on_commit_callbacks):
    """Two of the agent's replies waiting for approval, one of the manager's own; two posts in review by
    the agent, one by the manager."""
    conversation = x_mention_conversation(workspace)
    Conversation.objects.filter(pk=conversation.pk).update(sensitive=True)  # every reply waits
    conversation.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        _reply(conversation, agent)
        _reply(conversation, agent, "Et samedi aussi.")
        _reply(conversation, manager)
        for text, author in (("Croissants", agent), ("Galette", agent), ("Mine", manager)):
            post = post_services.post_create(author=member(author), text=text, channels=channels)
            post_services.post_submit(post=post, by=member(author))
    return conversation


def _badges(html: str) -> dict[str, str]:
    """Sidebar link text -> its count badge."""
    found = re.findall(r'class="sidebar-queue"[^>]*>([^<]+)<span class="badge badge-count"[^>]*>(\d+)', html)
    return dict(found)


def test_a_manager_sees_what_waits_for_them_and_not_their_own(manager_client, waiting):
    html = manager_client.get("/w/acme/").content.decode()
    assert _badges(html) == {"Review queue": "2", "Approvals": "2"}
    assert ", 2 waiting for you" in html  # what a screen reader says


def test_counted_in_one_query(manager, waiting, django_assert_num_queries):
    me = member(manager)
    with django_assert_num_queries(1):
        assert waiting_for(me) == {"replies": 2, "posts": 2}


def test_an_agent_waits_for_nothing_and_costs_no_query(agent, waiting, django_assert_num_queries):
    me = member(agent)
    with django_assert_num_queries(0):
        assert waiting_for(me) == {}


def test_the_agent_sees_no_queue(agent_client, waiting):
    html = agent_client.get("/w/acme/").content.decode()
    assert _badges(html) == {} and "Review queue" not in html.split('class="sidebar"')[1].split("</nav>")[0]


def test_a_second_approval_is_someone_elses(workspace, manager, waiting):
    PublishingPolicy.objects.update_or_create(workspace=workspace, defaults={"approvals_required": 2})
    other = MembershipFactory(workspace=workspace, role=Membership.Role.MANAGER).user
    agent_post = next(p for p in workspace.posts.filter(status="in_review") if p.author != manager)
    agent_post.approvals_required = 2
    agent_post.save(update_fields=["approvals_required"])
    post_services.review_approve(post=agent_post, by=member(manager))
    assert waiting_for(member(manager))["posts"] == 1  # approved it already: it waits for another
    assert waiting_for(member(other))["posts"] == 3


def test_handled_items_leave_the_count(manager, manager_client, waiting):
    pending = waiting.messages.filter(send_status="pending_approval").exclude(author_user=manager).first()
    replies.reply_reject(message=pending, by=member(manager), comment="Pas dimanche.")
    assert _badges(manager_client.get("/w/acme/").content.decode())["Approvals"] == "1"


def test_no_badge_when_nothing_waits(manager_client, workspace):
    html = manager_client.get("/w/acme/").content.decode()
    assert "Review queue" in html and "Approvals" in html and _badges(html) == {}

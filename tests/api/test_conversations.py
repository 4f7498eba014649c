"""Conversations over the API: the inbox's list, filters and services, each refusal as problem details."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.audit_models import AuditEvent
from inbox.models import Conversation, Message
from tests.api.conftest import api_for
from tests.factories import x_mention_conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(workspace):
    return x_mention_conversation(workspace)


def test_the_list_answers_the_inbox_rows_with_a_cursor(owner_api, workspace, conversation):
    response = owner_api.get("/conversations")
    assert response.status_code == 200, response.content
    body = response.json()
    [item] = body["items"]
    assert item["id"] == conversation.pk
    assert item["channel"]["network"] == "x"
    assert item["contact"]["name"] == "Léa"
    assert item["preview"] == "@acme open on Sunday?"
    assert item["link"].endswith(f"/w/acme/inbox/{conversation.pk}/")
    assert body["next_cursor"] is None
    assert response["RateLimit-Limit"] and response["RateLimit-Remaining"]


def test_cursor_paging_walks_every_row_once(owner_api, workspace, conversation):
    channel = conversation.channel
    now = dt.datetime.now(dt.UTC)
    for index in range(5):
        Conversation.objects.create(
            workspace=workspace,
            channel=channel,
            kind="mention",
            root_external_id=f"r{index}",
            last_message_at=now - dt.timedelta(minutes=index + 1),
        )
    seen, cursor = [], ""
    while True:
        body = owner_api.get("/conversations", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(Conversation.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == 6


def test_filters_and_search_are_the_inboxs(owner_api, conversation):
    assert [i["id"] for i in owner_api.get("/conversations", {"q": "sunday"}).json()["items"]] == [
        conversation.pk
    ]
    assert owner_api.get("/conversations", {"q": "croissant"}).json()["items"] == []
    assert owner_api.get("/conversations", {"status": "resolved"}).json()["items"] == []
    assert owner_api.get("/conversations", {"network": "facebook"}).json()["items"] == []


def test_a_bad_filter_is_a_problem_naming_the_field(owner_api, conversation):
    response = owner_api.get("/conversations", {"status": "sleeping"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["type"].endswith("/validation")
    assert problem["errors"][0]["loc"] == ["query", "status"]
    assert owner_api.get("/conversations", {"cursor": "garbage"}).status_code == 422
    assert owner_api.get("/conversations", {"limit": 1000}).status_code == 422


def test_another_workspaces_conversation_is_not_found(outsider_api, conversation):
    for response in (
        outsider_api.get(f"/conversations/{conversation.pk}"),
        outsider_api.patch(f"/conversations/{conversation.pk}", {"status": "resolved"}),
        outsider_api.get(f"/conversations/{conversation.pk}/messages"),
        outsider_api.post(f"/conversations/{conversation.pk}/replies", {"text": "hi"}),
    ):
        assert response.status_code == 404
        assert response.json()["type"].endswith("/not-found")
    assert outsider_api.get("/conversations").json()["items"] == []


def test_updates_go_through_the_inbox_services_with_their_audit(owner_api, owner, conversation):
    response = owner_api.patch(
        f"/conversations/{conversation.pk}",
        {"status": "resolved", "priority": 2, "assignee_id": owner.pk, "add_labels": ["Opening hours"]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["priority"], body["assignee"]["id"]) == ("resolved", 2, owner.pk)
    assert [label["name"] for label in body["labels"]] == ["Opening hours"]
    conversation.refresh_from_db()
    assert conversation.resolved_at is not None
    label_id = body["labels"][0]["id"]
    assert (
        owner_api.patch(f"/conversations/{conversation.pk}", {"remove_labels": [label_id]}).json()["labels"]
        == []
    )


def test_an_agent_cannot_assign_to_someone_else_as_in_the_browser(agent_api, owner, conversation):
    response = agent_api.patch(f"/conversations/{conversation.pk}", {"assignee_id": owner.pk})
    assert response.status_code == 403
    assert response.json()["detail"] == "Only managers can assign conversations to others."
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_a_reply_is_queued_like_the_browsers(owner_api, owner, conversation, broker):
    response = owner_api.post(f"/conversations/{conversation.pk}/replies", {"text": "Yes, 8 to 12!"})
    assert response.status_code == 201, response.content
    reply = Message.objects.get(pk=response.json()["id"])
    assert (reply.direction, reply.send_status, reply.author_user) == ("out", "queued", owner)
    event = AuditEvent.objects.get(action="reply.sent")
    assert "API token" in event.actor_label


def test_a_draft_waits_for_a_person_even_from_an_admin(owner_api, conversation, broker):
    response = owner_api.post(f"/conversations/{conversation.pk}/replies", {"text": "Draft", "draft": True})
    assert response.status_code == 201
    assert response.json()["send_status"] == "pending_approval"
    assert broker.messages == []


def test_a_reply_the_network_would_refuse_is_a_problem_in_the_services_words(owner_api, conversation):
    response = owner_api.post(f"/conversations/{conversation.pk}/replies", {"text": "x" * 400})
    assert response.status_code == 422
    assert "280" in response.json()["detail"]
    assert not Message.objects.filter(direction="out").exists()


def test_a_stale_thread_is_refused_unless_confirmed(owner_api, conversation, broker):
    thread = owner_api.get(f"/conversations/{conversation.pk}/messages").json()
    assert [m["text"] for m in thread["items"]] == ["@acme open on Sunday?"]
    old = thread["thread_version"] - 1
    refused = owner_api.post(
        f"/conversations/{conversation.pk}/replies", {"text": "Yes", "thread_version": old}
    )
    assert refused.status_code == 422
    confirmed = owner_api.post(
        f"/conversations/{conversation.pk}/replies",
        {"text": "Yes", "thread_version": old, "confirm_stale": True},
    )
    assert confirmed.status_code == 201


def test_read_only_tokens_cannot_write(owner, workspace, conversation):
    reader = api_for(owner, workspace, scopes=["conversations:read"])
    assert reader.get("/conversations").status_code == 200
    response = reader.patch(f"/conversations/{conversation.pk}", {"status": "resolved"})
    assert response.status_code == 403
    assert "conversations:write" in response.json()["detail"]
    other = api_for(owner, workspace, scopes=["posts:read"])
    assert other.get("/conversations").status_code == 403


def test_the_list_costs_the_same_queries_for_one_row_or_twenty(
    owner_api, workspace, conversation, django_assert_max_num_queries
):
    channel = conversation.channel
    for index in range(20):
        Conversation.objects.create(
            workspace=workspace, channel=channel, kind="mention", root_external_id=f"q{index}"
        )
    # Token, membership, rate count, the page and its labels: never one query per row.
    with django_assert_max_num_queries(12):
        assert len(owner_api.get("/conversations", {"limit": 25}).json()["items"]) == 21

"""What an independent trial of the API found (bad and hostile input): each answered as problem details,
nothing half-done, nothing stored that a page could not use."""

from __future__ import annotations

import pytest

from assistant.models import FaqEntry
from inbox.models import Conversation, Label, Message
from posts.models import Post
from tests.api.conftest import api_for
from tests.factories import x_mention_conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(workspace):
    return x_mention_conversation(workspace)


def test_a_faq_entry_without_a_usable_question_or_with_a_script_link_is_refused_and_the_list_stays_up(
    manager_api,
):
    for body in (
        {"group": "g", "language": "en", "questions": [""], "answer": "a"},
        {"group": "g", "language": "en", "questions": [" "], "answer": "a"},
        {"group": "g", "language": "en", "questions": ["q"], "answer": "a", "url": "javascript:alert(1)"},
    ):
        response = manager_api.post("/faq", body)
        assert response.status_code == 422, (body, response.content)
    assert not FaqEntry.objects.exists()
    assert manager_api.get("/faq").status_code == 200


def test_the_faq_service_itself_refuses_an_entry_without_questions(manager, workspace):
    from accounts.models import Membership
    from assistant.services.common import AssistantError
    from assistant.services.faq import faq_entry_create

    member = Membership.objects.get(user=manager, workspace=workspace)
    with pytest.raises(AssistantError):
        faq_entry_create(by=member, group="g", language="en", questions=["  "], answer="a")
    with pytest.raises(AssistantError):
        faq_entry_create(by=member, group="g", language="en", questions=["q"], answer="a", url="ftp://x")


def test_text_with_a_nul_is_refused_before_any_route(owner_api, conversation):
    for path, body in (
        (f"/conversations/{conversation.pk}/replies", {"text": "\u0000nul"}),
        ("/labels", {"name": "a\u0000b"}),
        ("/saved-replies", {"title": "t\u0000", "body": "b"}),
    ):
        response = owner_api.post(path, body)
        assert response.status_code == 422, path
        assert response["Content-Type"] == "application/problem+json"
    assert not Message.objects.filter(direction="out").exists() and not Label.objects.exists()


def test_a_patch_is_all_or_nothing(owner_api, conversation, monkeypatch):
    from inbox import services as inbox_services

    def refuse(**kwargs):
        raise inbox_services.InboxError("No.")

    # The status is changed, then the labels refused: the status change must not stay.
    monkeypatch.setattr(inbox_services, "conversation_label", refuse)
    response = owner_api.patch(
        f"/conversations/{conversation.pk}", {"status": "resolved", "add_labels": ["x"]}
    )
    assert response.status_code == 422 and response.json()["detail"] == "No."
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN and conversation.resolved_at is None
    assert not Label.objects.exists()


def test_an_assignee_from_elsewhere_is_named_in_the_error(owner_api, conversation):
    response = owner_api.patch(
        f"/conversations/{conversation.pk}", {"status": "resolved", "assignee_id": 99999}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "assignee_id"]
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN


def test_a_post_that_cannot_be_submitted_leaves_no_draft(agent, workspace, channels):
    api = api_for(agent, workspace)
    response = api.post("/posts", {"text": "x" * 500, "channel_ids": [channels[0].pk], "submit": True})
    assert response.status_code == 422
    assert not Post.objects.exists()


def test_errors_outside_the_routes_are_problem_details_too(owner_api, conversation):
    malformed = owner_api.client.post(
        f"/api/v1/conversations/{conversation.pk}/replies",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {owner_api.secret}"},
    )
    assert malformed.status_code == 400 and malformed["Content-Type"] == "application/problem+json"
    unknown = owner_api.get("/nope")
    assert unknown.status_code == 404 and unknown["Content-Type"] == "application/problem+json"
    wrong_method = owner_api.delete("/conversations")
    assert wrong_method.status_code == 405 and wrong_method["Content-Type"] == "application/problem+json"
    assert "GET" in wrong_method["Allow"]


def test_unknown_fields_are_refused_and_paths_name_the_clients_fields(owner_api, conversation):
    typo = owner_api.patch(f"/conversations/{conversation.pk}", {"assignee": 1})
    assert typo.status_code == 422
    assert typo.json()["errors"][0]["loc"] == ["body", "assignee"]
    bad = owner_api.patch(f"/conversations/{conversation.pk}", {"status": "sleeping"})
    assert bad.json()["errors"][0]["loc"] == ["body", "status"]


def test_low_priority_is_a_filter_value(owner_api, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(priority=2)
    assert owner_api.get("/conversations", {"priority": 0}).json()["items"] == []
    assert len(owner_api.get("/conversations", {"priority": 2}).json()["items"]) == 1


def test_replays_count_against_the_budget_and_say_so(owner, workspace, conversation, settings, broker):
    settings.CMHUB_API_RATE_LIMIT = 3
    api = api_for(owner, workspace)
    path, body, key = f"/conversations/{conversation.pk}/replies", {"text": "Yes"}, {"Idempotency-Key": "k"}
    answers = [api.post(path, body, headers=key) for _ in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert answers[1]["Idempotent-Replayed"] == "true" and answers[1]["RateLimit-Remaining"] == "1"


def test_permission_refusals_are_403(agent_api, owner, conversation):
    assert agent_api.patch(f"/conversations/{conversation.pk}", {"assignee_id": owner.pk}).status_code == 403
    faq = {"group": "g", "language": "en", "questions": ["q"], "answer": "a"}
    assert agent_api.post("/faq", faq).status_code == 403


def test_an_existing_label_is_200_a_new_one_201(owner_api):
    assert owner_api.post("/labels", {"name": "Urgent"}).status_code == 201
    assert owner_api.post("/labels", {"name": "urgent"}).status_code == 200
    assert owner_api.post("/labels", {"name": "x" * 51}).status_code == 422

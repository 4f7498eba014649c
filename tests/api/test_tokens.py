"""Tokens: created in Settings -> API, shown once, stored hashed, scoped, expiring, revocable; every API
answer counts against the token's rate budget; writes with an Idempotency-Key happen once."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.db import connection
from django.test import Client

from accounts.audit_models import AuditEvent
from accounts.models import Membership
from api.models import ApiToken, IdempotentAnswer
from api.tokens import TokenError, api_token_create, api_token_revoke
from inbox.models import Message
from tests.api.conftest import Api, api_for
from tests.factories import x_mention_conversation
from tests.threads import at_once

pytestmark = pytest.mark.django_db


def member(user, workspace) -> Membership:
    return Membership.objects.get(user=user, workspace=workspace)


def test_a_token_is_stored_as_a_hash_and_shown_once(owner, workspace):
    token, secret = api_token_create(by=member(owner, workspace), name="CRM", scopes=["conversations:read"])
    assert secret.startswith(f"cmh_{token.prefix}_")
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert token.scopes == ["conversations:read"]
    assert AuditEvent.objects.filter(action="api.token_created", target_id=str(token.pk)).count() == 1


def test_write_scopes_bring_read_and_unknown_scopes_are_refused(owner, workspace):
    token, _secret = api_token_create(by=member(owner, workspace), name="x", scopes=["posts:write"])
    assert token.scopes == ["posts:read", "posts:write"]
    with pytest.raises(TokenError):
        api_token_create(by=member(owner, workspace), name="x", scopes=["everything"])
    with pytest.raises(TokenError):
        api_token_create(by=member(owner, workspace), name="x", scopes=[])


def test_only_admins_make_workspace_tokens(agent, owner, workspace):
    with pytest.raises(TokenError):
        api_token_create(
            by=member(agent, workspace),
            name="bot",
            scopes=["conversations:read"],
            kind="workspace",
            role="agent",
        )
    token, _ = api_token_create(
        by=member(owner, workspace), name="bot", scopes=["conversations:read"], kind="workspace", role="agent"
    )
    assert token.role == "agent"


def test_a_missing_wrong_revoked_or_expired_token_is_401(owner, workspace):
    assert Client().get("/api/v1/conversations").status_code == 401
    response = Api("cmh_nope_nope").get("/conversations")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["type"].endswith("/unauthenticated")
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    expiring = api_for(owner, workspace, scopes=["conversations:read"], expires_at=soon)
    assert expiring.get("/conversations").status_code == 200
    with time_machine.travel(soon + dt.timedelta(seconds=1)):
        assert expiring.get("/conversations").status_code == 401
    token = ApiToken.objects.get(prefix=expiring.secret.split("_")[1])
    api_token_revoke(token=token, by=member(owner, workspace))
    assert expiring.get("/conversations").status_code == 401


def test_a_token_stops_working_when_its_owner_leaves_the_workspace(agent, workspace):
    api = api_for(agent, workspace, scopes=["conversations:read"])
    assert api.get("/conversations").status_code == 200
    Membership.objects.filter(user=agent, workspace=workspace).delete()
    assert api.get("/conversations").status_code == 401


def test_last_used_is_recorded(owner, workspace):
    api = api_for(owner, workspace, scopes=["conversations:read"])
    token = ApiToken.objects.get()
    assert token.last_used_at is None
    api.get("/conversations")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_past_the_limit_it_is_429_with_retry_after(owner, workspace, settings):
    settings.CMHUB_API_RATE_LIMIT = 3
    api = api_for(owner, workspace, scopes=["conversations:read"])
    with time_machine.travel(dt.datetime(2026, 12, 3, 12, 0, 10, tzinfo=dt.UTC), tick=False):
        answers = [api.get("/conversations") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a["RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
        assert answers[3]["Retry-After"] == "50"
        assert answers[3].json()["type"].endswith("/rate-limited")
    with time_machine.travel(dt.datetime(2026, 12, 3, 12, 1, 1, tzinfo=dt.UTC), tick=False):
        assert api.get("/conversations").status_code == 200  # a new window


def test_the_same_idempotency_key_answers_the_first_result_and_writes_once(owner, workspace, broker):
    conversation = x_mention_conversation(workspace)
    api = api_for(owner, workspace)
    headers = {"Idempotency-Key": "reply-1"}
    first = api.post(f"/conversations/{conversation.pk}/replies", {"text": "Yes!"}, headers=headers)
    again = api.post(f"/conversations/{conversation.pk}/replies", {"text": "Yes!"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Message.objects.filter(direction="out").count() == 1
    other = api.post(f"/conversations/{conversation.pk}/replies", {"text": "Other"}, headers=headers)
    assert other.status_code == 422 and other.json()["type"].endswith("/idempotency-key")
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)):
        later = api.post(
            f"/conversations/{conversation.pk}/replies",
            {"text": "Yes!", "confirm_stale": True},
            headers=headers,
        )
    assert later.status_code == 201  # past the window the key is new again: a second reply is written
    assert "Idempotent-Replayed" not in later
    assert Message.objects.filter(direction="out").count() == 2


def test_a_refused_write_is_an_answer_and_replays_as_one(owner, workspace):
    conversation = x_mention_conversation(workspace)
    api = api_for(owner, workspace)
    refused = api.post(
        f"/conversations/{conversation.pk}/replies", {"text": "x" * 400}, headers={"Idempotency-Key": "k"}
    )
    assert refused.status_code == 422
    # A refusal is an answer too: kept and replayed, so a retry cannot suddenly do something else.
    assert (
        api.post(
            f"/conversations/{conversation.pk}/replies", {"text": "x" * 400}, headers={"Idempotency-Key": "k"}
        )["Idempotent-Replayed"]
        == "true"
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_write_once(owner, workspace, broker):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them")
    conversation = x_mention_conversation(workspace)
    api = api_for(owner, workspace)

    def send():
        return (
            Api(api.secret)
            .post(
                f"/conversations/{conversation.pk}/replies",
                {"text": "Once"},
                headers={"Idempotency-Key": "race"},
            )
            .status_code
        )

    statuses = at_once(send, times=4)
    assert Message.objects.filter(direction="out").count() == 1
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}
    assert IdempotentAnswer.objects.get().status == 201


def test_settings_page_creates_a_token_shows_it_once_and_revokes(owner_client, workspace):
    response = owner_client.post(
        "/w/acme/settings/api/",
        {"name": "CRM sync", "kind": "personal", "scope_conversations": "write", "scope_reports": "read"},
        follow=True,
    )
    assert response.status_code == 200 and response.redirect_chain  # a reload cannot post it twice
    secret = response.context["secret"]
    assert secret.startswith("cmh_") and secret in response.content.decode()
    token = ApiToken.objects.get()
    assert token.scopes == ["conversations:read", "conversations:write", "reports:read"]
    page = owner_client.get("/w/acme/settings/api/")
    assert secret not in page.content.decode() and "CRM sync" in page.content.decode()
    owner_client.post(f"/w/acme/settings/api/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Api(secret).get("/conversations").status_code == 401


def test_settings_page_refuses_a_token_without_scopes_and_says_why(owner_client, workspace):
    response = owner_client.post("/w/acme/settings/api/", {"name": "x", "kind": "personal"})
    assert response.status_code == 422
    assert "at least one scope" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_members_see_their_own_tokens_and_admins_every_one(
    agent, agent_client, owner, owner_client, workspace, outsider_client
):
    api_for(owner, workspace)
    api_for(agent, workspace)
    assert len(agent_client.get("/w/acme/settings/api/").context["tokens"]) == 1
    assert len(owner_client.get("/w/acme/settings/api/").context["tokens"]) == 2
    owners = ApiToken.objects.get(user=owner)
    assert agent_client.post(f"/w/acme/settings/api/{owners.pk}/revoke/").status_code == 404
    assert outsider_client.get("/w/acme/settings/api/").status_code == 404
    assert outsider_client.post(f"/w/acme/settings/api/{owners.pk}/revoke/").status_code == 404


def test_the_openapi_document_is_served_valid_and_names_every_route(client, db):
    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").json()
    validate(document)  # raises on any schema error
    assert document["openapi"].startswith("3.")
    assert "/api/v1/conversations" in document["paths"]
    assert document["components"]["securitySchemes"]


def test_the_interactive_docs_are_for_signed_in_people(client, owner_client):
    assert client.get("/api/v1/docs").status_code == 302
    assert owner_client.get("/api/v1/docs").status_code == 200


def test_answers_past_the_window_are_pruned(owner, workspace):
    from api.idempotency import idempotent_answers_prune

    conversation = x_mention_conversation(workspace)
    api = api_for(owner, workspace)
    api.post(f"/conversations/{conversation.pk}/replies", {"text": "Yes"}, headers={"Idempotency-Key": "old"})
    assert idempotent_answers_prune() == 0
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)):
        assert idempotent_answers_prune() == 1
    assert not IdempotentAnswer.objects.exists()


def test_a_claim_left_by_a_request_that_died_is_taken_over_by_the_retry(owner, workspace, broker):
    conversation = x_mention_conversation(workspace)
    api = api_for(owner, workspace)
    token = ApiToken.objects.get()
    path, body = f"/conversations/{conversation.pk}/replies", {"text": "Once"}
    from django.test import RequestFactory

    from api.idempotency import _fingerprint

    # The claim a crashed request leaves behind: running, never answered.
    crashed = RequestFactory().post(f"/api/v1{path}", body, content_type="application/json")
    IdempotentAnswer.objects.create(token=token, key="dead", fingerprint=_fingerprint(crashed))
    busy = api.post(path, body, headers={"Idempotency-Key": "dead"})
    assert busy.status_code == 409  # it may still be running
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)):
        retried = api.post(path, body, headers={"Idempotency-Key": "dead"})
    assert retried.status_code == 201
    assert IdempotentAnswer.objects.get(key="dead").status == 201

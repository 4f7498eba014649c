"""Every route of the OpenAPI document, walked: without a token it is 401; with another workspace's token,
every id of this workspace is 404 (never 403, never a 500, never the object)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from assistant.models import FaqEntry
from inbox.models import Label, SavedReply
from posts.models import Post
from tests.factories import x_mention_conversation

pytestmark = pytest.mark.django_db

FAQ = {"group": "g", "language": "en", "questions": ["q"], "answer": "a"}
#: A valid body per route (bodies are checked before the route runs: an unknown field is a 422).
BODIES = {
    ("patch", "/api/v1/conversations/{conversation_id}"): {"status": "resolved"},
    ("post", "/api/v1/conversations/{conversation_id}/replies"): {"text": "x"},
    ("put", "/api/v1/contacts/{contact_id}/notes"): {"notes": "x"},
    ("put", "/api/v1/saved-replies/{reply_id}"): {"title": "x", "body": "x"},
    ("put", "/api/v1/faq/{entry_id}"): FAQ,
    ("post", "/api/v1/posts/{post_id}/submit"): {},
}


def _routes(client) -> list[tuple[str, str]]:
    document = client.get("/api/v1/openapi.json").json()
    return [(method, path) for path, item in document["paths"].items() for method in item]


@pytest.fixture
def ids(workspace, agent):
    conversation = x_mention_conversation(workspace)
    post = Post.objects.create(workspace=workspace, author=agent, text="Hello")
    return {
        "conversation_id": conversation.pk,
        "contact_id": conversation.contact_id,
        "reply_id": SavedReply.objects.create(workspace=workspace, title="t", body="b").pk,
        "entry_id": FaqEntry.objects.create(
            workspace=workspace, group="g", language="en", questions=["q"], answer="a"
        ).pk,
        "post_id": post.pk,
        "label_id": Label.objects.create(workspace=workspace, name="L").pk,
    }


def test_every_route_refuses_a_request_without_a_token(client, db):
    routes = _routes(client)
    assert len(routes) >= 20
    for method, path in routes:
        url = re.sub(r"\{[a-z_]+\}", "1", path)
        response = getattr(Client(), method)(url, content_type="application/json")
        assert response.status_code == 401, (method, path, response.status_code)


def test_every_id_of_another_workspace_is_not_found(client, ids, outsider_api):
    touched = 0
    for method, path in _routes(client):
        names = re.findall(r"\{([a-z_]+)\}", path)
        if not names:
            continue
        url = path.removeprefix("/api/v1")
        for name in names:
            url = url.replace("{" + name + "}", str(ids[name]))
        call = getattr(outsider_api, method)
        response = call(url) if method in ("get", "delete") else call(url, BODIES[(method, path)])
        assert response.status_code == 404, (method, path, response.status_code, response.content[:200])
        touched += 1
    assert touched >= 10

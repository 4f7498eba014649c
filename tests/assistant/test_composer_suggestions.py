"""Suggested answers in the reply composer: the loader, Insert's id sent with the reply, and the fate recorded
(sent as is or edited), scoped to the conversation's latest inbound message in this workspace."""

from __future__ import annotations

import pytest

from assistant import services, tasks
from assistant.models import Suggestion
from inbox import tasks as inbox_tasks
from inbox.ingest import message_ingest_batch
from inbox.models import Conversation, Message
from networks.models import Channel
from tests.inbox.conftest import channel, make_item  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.django_db
Fate = Suggestion.Fate
HTMX = {"HTTP_HX_REQUEST": "true"}
QUESTION = "Bonjour ! Vous êtes ouverts jusqu'à quelle heure ce soir ?"


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr(inbox_tasks.send_reply, "apply_async", lambda args, countdown=None: None)


@pytest.fixture
def bakery_faq(workspace):
    services.faq_load_demo(workspace=workspace)
    return workspace


def _arrive(channel, make_item, text: str = QUESTION) -> Message:  # noqa: F811
    ids = message_ingest_batch(channel=channel, items=[make_item(text)]).new_message_ids
    tasks.triage_messages(ids)
    return Message.objects.select_related("conversation").get(pk=ids[0])


@pytest.fixture
def question(bakery_faq, channel, make_item):  # noqa: F811
    return _arrive(channel, make_item)


def _send(client, conversation: Conversation, text: str, suggestion_id) -> None:
    version = (
        Message.objects.filter(conversation=conversation).order_by("-pk").values_list("pk", flat=True)[0]
    )
    response = client.post(
        f"/w/acme/inbox/{conversation.pk}/reply/send/",
        {"text": text, "suggestion_id": suggestion_id, "thread_version": version},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert Message.objects.filter(conversation=conversation, direction="out").exists()


def test_the_composer_loads_the_suggested_answers(agent_client, question):
    conversation = question.conversation
    fragment = agent_client.get(f"/w/acme/inbox/{conversation.pk}/reply/", **HTMX).content.decode()
    loader = f'hx-get="/w/acme/assistant/suggestions/{conversation.pk}/" hx-trigger="load"'
    assert loader in fragment
    assert 'name="suggestion_id"' in fragment and 'id="reply-suggestion-id"' in fragment


def test_the_fragment_lists_the_french_hours_answer_first(agent_client, question):
    response = agent_client.get(f"/w/acme/assistant/suggestions/{question.conversation_id}/", **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    first = Suggestion.objects.filter(message=question).order_by("rank").first()
    assert first.faq_entry.group == "hours" and first.language == "fr"
    assert first.text.startswith("Nous sommes ouverts")
    assert body.index(f'data-suggestion-id="{first.pk}"') == body.index("data-suggestion-id=")
    assert "suggestion-insert" in body and "<html" not in body  # the fragment alone


def test_a_reply_sent_unchanged_is_recorded_as_is(agent_client, agent, question):
    first = services.suggestions_for(question)[0]
    _send(agent_client, question.conversation, first.text, first.pk)
    first.refresh_from_db()
    assert (first.fate, first.final_text, first.decided_by) == (Fate.SENT_AS_IS, "", agent)


def test_a_reply_changed_is_recorded_as_edited_with_the_edit(agent_client, agent, question):
    first = services.suggestions_for(question)[0]
    edited = f"{first.text} À bientôt !"
    _send(agent_client, question.conversation, edited, first.pk)
    first.refresh_from_db()
    assert (first.fate, first.final_text, first.decided_by) == (Fate.EDITED, edited, agent)


def test_a_suggestion_of_another_workspace_is_ignored(agent_client, question, other_workspace, make_item):  # noqa: F811
    foreign_channel = Channel.objects.create(
        workspace=other_workspace, network="facebook", external_id="PAGE2", name="Other Page"
    )
    services.faq_load_demo(workspace=other_workspace)
    foreign = services.suggestions_for(_arrive(foreign_channel, make_item))[0]
    _send(agent_client, question.conversation, foreign.text, foreign.pk)
    foreign.refresh_from_db()
    assert foreign.fate == Fate.PENDING and foreign.decided_by is None
    assert not Suggestion.objects.exclude(fate=Fate.PENDING).exists()


def test_a_malformed_or_decided_id_is_ignored(agent_client, agent, question):
    first = services.suggestions_for(question)[0]
    services.suggestion_record_fate(first, final_text="", user=agent)  # ignored already
    _send(agent_client, question.conversation, first.text, first.pk)
    _send(agent_client, question.conversation, "Merci !", "not-a-number")
    first.refresh_from_db()
    assert first.fate == Fate.IGNORED

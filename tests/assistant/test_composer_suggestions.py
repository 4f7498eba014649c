"""Suggested answers in the reply composer: the loader, Insert's id sent with the reply, and the fate recorded
(sent as is or edited), scoped to the conversation's latest inbound message in this workspace."""

from __future__ import annotations

import pytest

from assistant import services
from assistant.models import Suggestion
from demo.faq import faq_load_demo
from inbox.models import Conversation, Message
from networks.models import Channel
from tests.assistant.helpers import arrive, send_reply
from tests.inbox.conftest import channel, make_item  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.django_db
Fate = Suggestion.Fate
HTMX = {"HTTP_HX_REQUEST": "true"}
QUESTION = "Bonjour ! Vous êtes ouverts jusqu'à quelle heure ce soir ?"

pytestmark = pytest.mark.usefixtures("broker")  # enqueues are recorded, never sent


@pytest.fixture
def bakery_faq(workspace):
    faq_load_demo(workspace=workspace)
    return workspace


@pytest.fixture
def question(bakery_faq, channel, make_item):  # noqa: F811
    return arrive(channel, make_item, QUESTION)


def _send(client, conversation: Conversation, text: str, suggestion_id) -> None:
    send_reply(client, conversation, text, suggestion_id)
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
    faq_load_demo(workspace=other_workspace)
    foreign = services.suggestions_for(arrive(foreign_channel, make_item, QUESTION))[0]
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

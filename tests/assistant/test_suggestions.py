"""Suggestions: FAQ answers and saved replies in the customer's language, and what people did with them."""

from __future__ import annotations

import pytest

from accounts.models import Membership
from assistant import selectors, services, tasks
from assistant.models import FaqEntry, Suggestion
from demo.faq import faq_load_demo
from inbox.ingest import message_ingest_batch
from inbox.models import Message, SavedReply
from tests.inbox.conftest import channel, make_item  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.django_db
Fate = Suggestion.Fate


@pytest.fixture
def bakery_faq(workspace):
    faq_load_demo(workspace=workspace)
    return workspace


def _arrive(channel, make_item, text: str) -> Message:  # noqa: F811
    ids = message_ingest_batch(channel=channel, items=[make_item(text)]).new_message_ids
    tasks.triage_messages(ids)  # synchronously, as the worker would
    return Message.objects.select_related("triage", "conversation__contact").get(pk=ids[0])


def test_french_hours_question_gets_the_french_hours_answer_first(bakery_faq, channel, make_item):  # noqa: F811
    message = _arrive(channel, make_item, "Bonjour ! Vous êtes ouverts jusqu'à quelle heure ce soir ?")
    assert (message.triage.language, message.triage.intent) == ("fr", "question")

    suggestions = services.suggestions_for(message)

    first = suggestions[0]
    assert first.kind == Suggestion.Kind.FAQ
    assert (first.faq_entry.group, first.faq_entry.language, first.language) == ("hours", "fr", "fr")
    assert first.text.startswith("Nous sommes ouverts")
    assert first.rank == 1 and 0 < first.confidence <= 1
    assert [s.rank for s in suggestions] == list(range(1, len(suggestions) + 1))
    assert all(s.language == "fr" for s in suggestions)


def test_english_question_gets_the_english_translation(bakery_faq, channel, make_item):  # noqa: F811
    message = _arrive(channel, make_item, "Hi! What time do you open on Saturday morning?")
    first = services.suggestions_for(message)[0]
    assert (first.faq_entry.group, first.language) == ("hours", "en")


def test_suggestions_are_recorded_once_per_message(bakery_faq, channel, make_item):  # noqa: F811
    message = _arrive(channel, make_item, "Quels sont vos horaires ?")
    first = services.suggestions_for(message)
    again = services.suggestions_for(message)
    assert [s.pk for s in again] == [s.pk for s in first]
    assert Suggestion.objects.filter(message=message).count() == len(first)


def test_spam_gets_no_suggestion(bakery_faq, channel, make_item):  # noqa: F811
    message = _arrive(
        channel,
        make_item,
        "Gagnez un iPhone gratuit !!! Cliquez ici http://bit.ly/xyz http://bit.ly/abc promo",
    )
    assert services.suggestions_for(message) == []


def test_saved_reply_is_suggested_by_word_overlap(workspace, channel, make_item):  # noqa: F811
    SavedReply.objects.create(
        workspace=workspace,
        title="Gâteau d'anniversaire personnalisé",
        body="Bonjour {{ contact.name }}, nos gâteaux d'anniversaire personnalisés "
        "se commandent 72h à l'avance.",
        language="fr",
    )
    SavedReply.objects.create(workspace=workspace, title="Jobs", body="We are hiring bakers.", language="en")
    message = _arrive(
        channel, make_item, "Bonjour, je voudrais commander un gâteau d'anniversaire personnalisé"
    )
    suggestions = services.suggestions_for(message, agent=None)
    assert [s.kind for s in suggestions] == [Suggestion.Kind.SAVED_REPLY]
    assert "72h" in suggestions[0].text


def test_faq_index_follows_edits(bakery_faq, manager, channel, make_item):  # noqa: F811
    member = Membership.objects.get(user=manager)
    index, _ = selectors.faq_index_for(bakery_faq.pk)
    assert selectors.faq_index_for(bakery_faq.pk)[0] is index  # cached while the FAQ is unchanged
    entry = FaqEntry.objects.get(workspace=bakery_faq, group="hours", language="fr")
    services.faq_entry_deactivate(entry=entry, by=member)
    assert selectors.faq_index_for(bakery_faq.pk)[0] is not index
    message = _arrive(channel, make_item, "Quels sont vos horaires d'ouverture ?")
    assert all(s.faq_entry_id != entry.pk for s in services.suggestions_for(message))


@pytest.fixture
def suggestion(bakery_faq, channel, make_item):  # noqa: F811
    message = _arrive(channel, make_item, "Quels sont vos horaires d'ouverture ?")
    return services.suggestions_for(message)[0]


def test_fate_sent_as_is_ignores_whitespace(suggestion, agent):
    services.suggestion_record_fate(suggestion, f"  {suggestion.text}\n", agent)
    suggestion.refresh_from_db()
    assert (suggestion.fate, suggestion.final_text, suggestion.decided_by) == (Fate.SENT_AS_IS, "", agent)
    assert suggestion.decided_at is not None


def test_fate_edited_keeps_the_edit(suggestion, agent):
    edited = suggestion.text + " Bonne journée !"
    services.suggestion_record_fate(suggestion, edited, agent)
    suggestion.refresh_from_db()
    assert (suggestion.fate, suggestion.final_text) == (Fate.EDITED, edited)


def test_fate_ignored_without_text_and_decided_once(suggestion, agent, manager):
    services.suggestion_record_fate(suggestion, "", agent)
    services.suggestion_record_fate(suggestion, suggestion.text, manager)  # too late: already decided
    suggestion.refresh_from_db()
    assert (suggestion.fate, suggestion.decided_by) == (Fate.IGNORED, agent)


def test_acceptance_per_entry(suggestion, agent):
    services.suggestion_record_fate(suggestion, suggestion.text, agent)
    rows = {row.entry.pk: row for row in selectors.faq_acceptance(suggestion.faq_entry.workspace)}
    row = rows[suggestion.faq_entry_id]
    assert (row.offered, row.sent_as_is, row.acceptance_rate) == (1, 1, 1.0)
    assert all(r.acceptance_rate is None for pk, r in rows.items() if pk != suggestion.faq_entry_id)

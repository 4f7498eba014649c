"""Learned phrasings: answering with an FAQ entry proposes the customer's words; accepted, they feed the index
at once; dismissed, they are not proposed again."""

# ruff: noqa: F811 - the shared fixtures are imported, then named as arguments

from __future__ import annotations

import pytest

from assistant import engine, phrasings, selectors, services
from assistant.models import FaqEntry, LearnedPhrasing
from demo.faq import faq_load_demo
from tests.assistant.helpers import arrive, send_reply
from tests.inbox.conftest import channel, make_item  # noqa: F401 - shared fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("broker")]
S = LearnedPhrasing.Status
# Nothing in the demo FAQ says "bouquet": the words only the customer used.
ODD = "Bonjour, le bouquet de viennoiseries du matin sort vers quelle heure chez vous ?"


@pytest.fixture
def bakery(workspace):
    faq_load_demo(workspace=workspace)
    return workspace


def _top_group(workspace, text: str) -> str | None:
    index, rows = selectors.faq_index_for(workspace.pk)
    found = index.suggest(text, language="fr")
    return rows[int(found[0].entry_id)].group if found else None


def test_a_suggestion_sent_proposes_the_customers_message(agent_client, bakery, channel, make_item):
    question = arrive(channel, make_item, "Vous êtes ouverts jusqu'à quelle heure ce soir ?")
    first = services.suggestions_for(question)[0]
    send_reply(agent_client, question.conversation, first.text, first.pk)
    candidate = LearnedPhrasing.objects.get()
    assert (candidate.faq_entry, candidate.message, candidate.status) == (
        first.faq_entry,
        question,
        S.PENDING,
    )
    assert candidate.text == "Vous êtes ouverts jusqu'à quelle heure ce soir ?"


def test_a_reply_typed_by_hand_with_an_entrys_answer_proposes_it_too(
    agent_client, bakery, channel, make_item
):
    question = arrive(channel, make_item, ODD)
    hours = FaqEntry.objects.get(workspace=bakery, group="hours", language="fr")
    send_reply(agent_client, question.conversation, f"Bonjour ! {hours.answer} Bonne journée", "")
    assert LearnedPhrasing.objects.get().faq_entry == hours


def test_a_reply_unrelated_to_any_answer_proposes_nothing(agent_client, bakery, channel, make_item):
    question = arrive(channel, make_item, ODD)
    send_reply(agent_client, question.conversation, "On regarde et on revient vers vous !", "")
    assert not LearnedPhrasing.objects.exists()


def test_accepted_phrasings_feed_the_index_at_once(bakery, channel, make_item, manager):
    question = arrive(channel, make_item, ODD)
    pickup = FaqEntry.objects.get(workspace=bakery, group="bread-availability", language="fr")
    before = _top_group(bakery, "le bouquet du matin sort vers quelle heure ?")
    assert before != "bread-availability"
    candidate = phrasings.phrasing_propose(entry=pickup, message=question)
    assert _top_group(bakery, "le bouquet du matin sort vers quelle heure ?") == before  # pending: no effect
    phrasings.phrasing_accept(workspace=bakery, phrasing_id=candidate.pk, user=manager)
    assert _top_group(bakery, "le bouquet du matin sort vers quelle heure ?") == "bread-availability"


def test_a_dismissed_candidate_is_never_proposed_again(bakery, channel, make_item, manager):
    question = arrive(channel, make_item, ODD)
    hours = FaqEntry.objects.get(workspace=bakery, group="hours", language="fr")
    candidate = phrasings.phrasing_propose(entry=hours, message=question)
    phrasings.phrasing_dismiss(workspace=bakery, phrasing_id=candidate.pk, user=manager)
    assert phrasings.phrasing_propose(entry=hours, message=question) is None
    with pytest.raises(phrasings.PhrasingError):
        phrasings.phrasing_accept(workspace=bakery, phrasing_id=candidate.pk, user=manager)


def test_spam_long_stories_and_other_workspaces_teach_nothing(
    bakery, other_workspace, channel, make_item, manager
):
    hours = FaqEntry.objects.get(workspace=bakery, group="hours", language="fr")
    spam = arrive(channel, make_item, "🔥 Gagnez 500€ par jour depuis chez vous !! bit.ly/argent-facile")
    story = arrive(channel, make_item, " ".join(["bonjour"] * (phrasings.MAX_WORDS + 1)))
    assert phrasings.phrasing_propose(entry=hours, message=spam) is None
    assert phrasings.phrasing_propose(entry=hours, message=story) is None
    candidate = phrasings.phrasing_propose(entry=hours, message=arrive(channel, make_item, ODD))
    with pytest.raises(phrasings.PhrasingError):
        phrasings.phrasing_accept(workspace=other_workspace, phrasing_id=candidate.pk, user=manager)


def test_the_engine_matches_learned_phrasings_without_growing_the_entry():
    entry = engine.FaqEntry(
        "a", ["Quels sont vos horaires ?"], "9h-18h", "fr", learned=["le bouquet sort quand"]
    )
    other = engine.FaqEntry("b", ["Livrez-vous ?"], "Oui", "fr")
    index = engine.FaqIndex([entry, other])
    assert index.suggest("il sort quand le bouquet ?")[0].entry_id == "a"


def test_managers_accept_or_dismiss_on_the_faq_page_in_one_click(manager_client, bakery, channel, make_item):
    hours = FaqEntry.objects.get(workspace=bakery, group="hours", language="fr")
    first = phrasings.phrasing_propose(entry=hours, message=arrive(channel, make_item, ODD))
    second = phrasings.phrasing_propose(
        entry=hours, message=arrive(channel, make_item, "ouvert tard le jeudi ?")
    )
    page = manager_client.get("/w/acme/settings/faq/").content.decode()
    assert f'id="phrasing-{first.pk}"' in page and "ouvert tard le jeudi ?" in page
    assert f'action="/w/acme/settings/faq/phrasings/{first.pk}/accept/"' in page

    response = manager_client.post(f"/w/acme/settings/faq/phrasings/{first.pk}/accept/")
    assert response.status_code == 302 and response["Location"].endswith("#learned-phrasings")
    manager_client.post(f"/w/acme/settings/faq/phrasings/{second.pk}/dismiss/")
    assert dict(LearnedPhrasing.objects.values_list("pk", "status")) == {
        first.pk: S.ACCEPTED,
        second.pk: S.DISMISSED,
    }
    page = manager_client.get("/w/acme/settings/faq/").content.decode()
    assert f'id="phrasing-{first.pk}"' not in page and "+1 learned" in page
    # Twice, or with a made-up decision: a clear refusal, nothing changes.
    page = manager_client.post(f"/w/acme/settings/faq/phrasings/{first.pk}/dismiss/", follow=True).content
    assert "already decided" in page.decode()
    assert manager_client.post(f"/w/acme/settings/faq/phrasings/{first.pk}/delete/").status_code == 404
    assert LearnedPhrasing.objects.get(pk=first.pk).status == S.ACCEPTED


def test_agents_cannot_decide_phrasings(agent_client, bakery, channel, make_item):
    hours = FaqEntry.objects.get(workspace=bakery, group="hours", language="fr")
    candidate = phrasings.phrasing_propose(entry=hours, message=arrive(channel, make_item, ODD))
    assert agent_client.post(f"/w/acme/settings/faq/phrasings/{candidate.pk}/accept/").status_code in (
        403,
        404,
    )
    assert LearnedPhrasing.objects.get(pk=candidate.pk).status == S.PENDING

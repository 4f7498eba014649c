"""The demo workspace: the bakery's own words are its vocabulary, and its FAQ answers the questions that
went wrong before issue 14 (pickup hours, butter, prices) with the right entry first."""

from __future__ import annotations

import pytest

from assistant import engine, selectors
from assistant.models import AssistantPolicy, FaqEntry
from demo.faq import BAKERY_SYNONYMS, faq_load_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def bakery(workspace):
    faq_load_demo(workspace=workspace)
    return workspace


def _first_group(workspace, text: str) -> tuple[str, float]:
    index, rows = selectors.faq_index_for(workspace.pk)
    result = engine.triage(text)
    found = index.suggest(text, language=result.language, intent=result.intent)
    return rows[int(found[0].entry_id)].group, found[0].confidence


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("what are your pickup hours?", "click-collect"),
        ("À quelle heure je peux récupérer ma commande ?", "click-collect"),
        ("Is there butter in your croissants?", "vegan"),
        ("Vous mettez du beurre dans les croissants ?", "vegan"),
        ("What are your prices?", "cake-prices"),
        ("Quels sont vos prix ?", "cake-prices"),
    ],
)
def test_the_demo_answers_first_what_it_got_wrong(bakery, text, group):
    assert _first_group(bakery, text)[0] == group


def test_the_bakery_words_are_the_demo_workspace_vocabulary_not_the_engine_default(bakery, workspace):
    policy = AssistantPolicy.objects.get(workspace=bakery)
    assert policy.synonyms == BAKERY_SYNONYMS.read_text(encoding="utf-8")
    assert "viennoiserie" not in str(engine.GENERAL_SYNONYMS)
    # Without the vocabulary, "viennoiseries" no longer reaches the pastry answers: the words were the demo's.
    group, _ = _first_group(bakery, "Vous faites des viennoiseries sans lactose ?")
    assert group == "vegan"
    policy.synonyms = ""
    policy.save()
    index, _ = selectors.faq_index_for(bakery.pk)
    assert "@dairy" not in index._analyse("beurre", "fr").terms


def test_a_new_vocabulary_rebuilds_the_index(bakery):
    before, _ = selectors.faq_index_for(bakery.pk)
    AssistantPolicy.objects.filter(workspace=bakery).update(synonyms="wifi: wi-fi, wlan, sans fil")
    after, _ = selectors.faq_index_for(bakery.pk)
    assert after is not before
    assert "@wifi" in after._analyse("wlan", "en").terms
    assert FaqEntry.objects.filter(workspace=bakery).count() == len(after.entries)

"""The assistant learning a workspace's words, in a real browser: a manager gives the trade's vocabulary,
accepts one learned phrasing and dismisses another in one click each, and reads what the auto-send
threshold means. No console error and no CSP violation anywhere."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from assistant import phrasings, selectors
from assistant.models import AssistantPolicy, AutoReplyPolicy, FaqEntry, LearnedPhrasing
from tests.e2e.browser import sign_in
from tests.e2e.test_rules_journey import Arrivals
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_teaches_the_assistant_the_words_of_the_trade(page):
    isp = WorkspaceFactory(name="Fibre Co", slug="acme")
    manager = MembershipFactory(
        workspace=isp, role=Membership.Role.MANAGER, user=UserFactory(display_name="Max")
    )
    outage = FaqEntry.objects.create(
        workspace=isp,
        group="outage",
        language="fr",
        questions=["Y a-t-il une panne ?"],
        answer="Voir la carte.",
    )
    FaqEntry.objects.create(
        workspace=isp, group="bill", language="fr", questions=["Où est ma facture ?"], answer="Espace client."
    )
    arrive = Arrivals(isp)
    first = phrasings.phrasing_propose(
        entry=outage, message=arrive("la box clignote en rouge depuis midi", "lea")
    )
    second = phrasings.phrasing_propose(entry=outage, message=arrive("vous êtes nuls", "sam"))

    sign_in(page, manager.user)
    page.goto("/w/acme/settings/faq/")
    page.get_by_role("link", name="Vocabulary").click()
    page.get_by_label("Vocabulary").fill("outage: panne, coupure, plus de réseau")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Vocabulary saved")).to_be_visible()
    assert AssistantPolicy.objects.get(workspace=isp).synonyms == "outage: panne, coupure, plus de réseau"

    page.goto("/w/acme/settings/faq/")
    page.locator(f"#phrasing-{first.pk}").get_by_role("button", name="Accept").click()
    expect(page).to_have_url(re.compile(r"/w/acme/settings/faq/#learned-phrasings$"))
    page.locator(f"#phrasing-{second.pk}").get_by_role("button", name="Dismiss").click()
    expect(page.get_by_text("No phrasing waiting for a decision.")).to_be_visible()
    expect(page.locator(f"#faq-{outage.pk}")).to_contain_text("+1 learned")
    statuses = dict(LearnedPhrasing.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "accepted", second.pk: "dismissed"}
    index, rows = selectors.faq_index_for(isp.pk)
    found = index.suggest("la box clignote rouge", language="fr")
    assert rows[int(found[0].entry_id)].group == "outage"

    page.goto("/w/acme/settings/auto-replies/")
    table = page.locator("table.calibration-table")
    expect(table).to_contain_text("0.85 (yours)")
    expect(table).to_contain_text("nothing decided yet")
    threshold = page.get_by_label(re.compile(r"Confidence threshold"))
    expect(threshold).to_have_attribute("min", "0.85")  # the browser refuses lower; the server does too
    threshold.fill("0.5")
    page.get_by_role("button", name="Save", exact=True).click()
    assert not AutoReplyPolicy.objects.filter(workspace=isp).exists()
    threshold.fill("0.9")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Auto-reply settings saved.")).to_be_visible()
    expect(page.locator("table.calibration-table")).to_contain_text("0.9 (yours)")
    assert AutoReplyPolicy.objects.get(workspace=isp).min_confidence == 0.9

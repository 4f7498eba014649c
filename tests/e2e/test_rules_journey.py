"""Rules in a real browser: a manager writes a rule through the form, orders it, dry-runs it over past
messages, reads the execution log, deactivates it; and an agent corrects a triage on the conversation page.
No console error and no CSP violation anywhere."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Membership
from assistant import tasks
from assistant.models import MessageTriage, Rule, RuleExecution, TriageCorrection
from inbox.ingest import message_ingest_batch
from inbox.models import Message
from networks.models import Channel
from networks.providers import base as p
from tests.e2e.browser import sign_in
from tests.factories import PASSWORD, MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOURS = "Bonjour ! Vous êtes ouverts jusqu'à quelle heure ce soir ?"
DELIVERY = "Bonjour, vous livrez à Lyon ?"
COMPLAINT = "Mon gâteau est arrivé écrasé, c'est inadmissible, je veux être remboursée !"


class Arrivals:
    """New comments on a Facebook page, ingested and triaged (the rules run after triage)."""

    def __init__(self, workspace):
        self.channel = Channel.objects.create(
            workspace=workspace,
            network="facebook",
            external_id="PAGE1",
            name="Acme Page",
            api_base_url="http://127.0.0.1:9",
        )
        self.n = 0

    def __call__(self, text: str, author: str) -> Message:
        self.n += 1
        item = p.EngagementItem(
            network=p.Network.FACEBOOK,
            external_id=f"c{self.n}",
            kind=p.ItemKind.COMMENT,
            text=text,
            created_at=timezone.now() - dt.timedelta(minutes=60 - self.n),
            author=p.Author(external_id=author, name=author.title(), handle=author),
            post_external_id="PAGE1_POST1",
            thread_root_external_id=f"c{self.n}",
        )
        ids = message_ingest_batch(channel=self.channel, items=[item]).new_message_ids
        tasks.triage_messages(ids)
        return Message.objects.get(pk=ids[0])


def _rule_row(page, name: str):
    return page.locator("tbody tr", has=page.get_by_role("link", name=name, exact=True))


def test_a_manager_writes_orders_dry_runs_and_deactivates_a_rule(page):
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    manager = MembershipFactory(
        workspace=acme, role=Membership.Role.MANAGER, user=UserFactory(display_name="Max")
    )
    MembershipFactory(workspace=acme, role=Membership.Role.AGENT, user=UserFactory(display_name="Ada"))
    arrive = Arrivals(acme)
    hours = arrive(HOURS, "lea")
    arrive(DELIVERY, "sam")  # a question, but not about the hours
    arrive(COMPLAINT, "noe")
    assert MessageTriage.objects.get(message=hours).intent == "question"
    Rule.objects.create(
        workspace=acme,
        name="Complaints",
        position=0,
        conditions={"intents": ["complaint"]},
        actions=[{"type": "set_priority", "priority": 3}],
        created_by=manager.user,
    )

    sign_in(page, manager.user)
    page.goto("/w/acme/settings/rules/")
    page.get_by_role("link", name="New rule").click()
    page.get_by_label(re.compile(r"^Name:?$")).fill("Opening hours")
    page.get_by_label("Question", exact=True).check()
    page.get_by_label("Any of these keywords").fill("heure, horaires")
    page.get_by_label("Add the label").fill("Horaires")
    page.get_by_label(re.compile(r"^Assign to:?$")).select_option(label="Ada")
    page.get_by_role("button", name="Save").click()

    # The ordered list: the new rule comes last, and moves up and down.
    expect(page).to_have_url(re.compile(r"/w/acme/settings/rules/$"))
    names = page.locator("tbody tr td:nth-child(2) a")
    expect(names).to_have_text(["Complaints", "Opening hours"])
    _rule_row(page, "Opening hours").get_by_role("button", name="Move up").click()
    expect(names).to_have_text(["Opening hours", "Complaints"])
    _rule_row(page, "Opening hours").get_by_role("button", name="Move down").click()
    expect(names).to_have_text(["Complaints", "Opening hours"])
    rule = Rule.objects.get(name="Opening hours")
    assert rule.conditions["intents"] == ["question"] and rule.active

    # The dry run: which past messages it would have matched, and what it would have done.
    page.get_by_role("link", name="Dry run").click()
    table = page.locator("table")
    expect(table).to_contain_text("Vous êtes ouverts jusqu'à quelle heure")
    expect(table.locator("tr", has_text="Opening hours")).to_contain_text("Horaires")
    expect(table).not_to_contain_text("vous livrez à Lyon")
    assert not RuleExecution.objects.exists()  # a dry run changes nothing

    # A new message is processed: the execution log says what the rule did.
    arrive("Vous fermez à quelle heure le samedi ?", "zoe")
    page.goto("/w/acme/settings/rules/")
    page.get_by_role("link", name="Execution log").click()
    logged = page.locator("tbody tr", has_text="Opening hours")
    expect(logged).to_have_count(1)
    expect(logged).to_contain_text("Vous fermez à quelle heure le samedi")
    expect(logged).to_contain_text("Horaires")

    # Deactivated, it stays in the list, marked, and runs no more.
    page.goto("/w/acme/settings/rules/")
    _rule_row(page, "Opening hours").get_by_role("button", name="Deactivate").click()
    expect(_rule_row(page, "Opening hours")).to_contain_text("inactive")
    rule.refresh_from_db()
    assert not rule.active
    arrive("Vous ouvrez à quelle heure demain ?", "ugo")
    assert RuleExecution.objects.filter(rule=rule).count() == 1
    assert page.problems == [], page.problems  # no console error, no CSP violation


def test_an_agent_corrects_a_triage_on_the_conversation_page(page):
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    agent = MembershipFactory(
        workspace=acme, role=Membership.Role.AGENT, user=UserFactory(display_name="Ada")
    )
    manager = MembershipFactory(
        workspace=acme, role=Membership.Role.MANAGER, user=UserFactory(display_name="Max")
    )
    message = Arrivals(acme)(HOURS, "lea")
    assert MessageTriage.objects.get(message=message).intent == "question"

    sign_in(page, agent.user)
    page.goto(f"/w/acme/inbox/{message.conversation_id}/")
    badges = page.locator(f"#triage-{message.pk}")
    expect(badges).to_contain_text("Question")
    badges.get_by_role("link", name="Correct the labels of this message").click()
    form = badges.locator("form")
    expect(form).to_be_visible()
    form.get_by_label("Intent").select_option("complaint")
    form.get_by_label("Sentiment").select_option("negative")
    with page.expect_response(re.compile(r"/assistant/triage/\d+/correct/$")):
        form.get_by_role("button", name="Save correction").click()

    expect(badges).to_contain_text("Complaint")
    expect(badges).to_contain_text("Negative")
    expect(badges).to_contain_text("Corrected by Ada")
    expect(badges.locator("form")).to_have_count(0)
    corrections = {c.field: (c.old_value, c.new_value) for c in TriageCorrection.objects.all()}
    assert corrections == {"intent": ("question", "complaint"), "sentiment": ("neutral", "negative")}

    # The inbox filter sees the person's label.
    page.goto("/w/acme/inbox/?intent=complaint")
    expect(page.locator(f"#conv-{message.conversation_id}")).to_be_visible()
    assert page.problems == [], page.problems

    # A manager sees the correction counted on the assistant stats page.
    page.context.clear_cookies()
    sign_in(page, manager.user)
    page.goto("/w/acme/assistant/faq/stats/")
    intent = page.locator("#triage-accuracy-intent")
    expect(intent).to_contain_text("Question → Complaint (1 time)")
    # And per label: the share of the engine's "question" labels people changed, and to what.
    expect(page.locator("#triage-label-intent-question")).to_contain_text("Complaint (1)")
    assert page.problems == [], page.problems


#: What the journey reads and clicks, in each language it is taken in.
WORDS = {
    "en-US": {
        "email": "Email",
        "password": "Password",
        "sign_in": "Sign In",
        "new_rule": "New rule",
        "name": "Name",
        "active": "Active",
        "question": "Question",
        "keywords": "Any of these keywords",
        "label": "Add the label",
        "conditions": "Conditions: when a new message matches all of these",
        "actions": "Actions: then do this, in this order",
        "try": "Try this rule",
        "would_have": "What this rule would have done",
        "save": "Save",
    },
    "fr-FR": {
        "email": "E-mail",
        "password": "Mot de passe",
        "sign_in": "Se connecter",
        "new_rule": "Nouvelle règle",
        "name": "Nom",
        "active": "Actif",
        "question": "Question",
        "keywords": "L’un de ces mots-clés",
        "label": "Ajouter l’étiquette",
        "conditions": "Conditions : quand un nouveau message remplit toutes celles-ci",
        "actions": "Actions : puis faire ceci, dans cet ordre",
        "try": "Essayer cette règle",
        "would_have": "Ce que cette règle aurait fait",
        "save": "Enregistrer",
    },
}


@pytest.mark.parametrize("locale", WORDS)
def test_a_manager_tries_a_new_rule_before_saving_it_active(new_page, locale):
    words = WORDS[locale]
    acme = WorkspaceFactory(name="Acme Bakery", slug="acme")
    manager = MembershipFactory(
        workspace=acme, role=Membership.Role.MANAGER, user=UserFactory(display_name="Max")
    )
    arrive = Arrivals(acme)
    arrive(HOURS, "lea")
    arrive(DELIVERY, "sam")
    arrive(COMPLAINT, "noe")

    page = new_page(locale=locale)
    page.goto("/accounts/login/")
    page.get_by_label(words["email"]).fill(manager.user.email)
    page.get_by_label(words["password"]).fill(PASSWORD)
    page.get_by_role("button", name=words["sign_in"]).click()
    page.goto("/w/acme/settings/rules/")
    page.get_by_role("link", name=words["new_rule"]).click()

    # The form reads as conditions, then actions; every checkbox is named by its own label.
    conditions = page.get_by_role("group", name=words["conditions"])
    actions = page.get_by_role("group", name=words["actions"])
    expect(conditions).to_be_visible()
    expect(actions).to_be_visible()
    page.get_by_label(re.compile(rf"^{words['name']}")).fill("Horaires")
    page.get_by_label(words["active"], exact=True).uncheck()  # clicking the label's box, as a person would
    conditions.get_by_label(words["question"], exact=True).check()
    conditions.get_by_label(words["keywords"]).fill("heure")
    actions.get_by_label(words["label"]).fill("Horaires")

    # Tried first: which recent messages it would match, and what it would do; nothing saved.
    page.get_by_role("button", name=words["try"]).click()
    trial = page.get_by_role("region", name=words["would_have"])
    expect(trial).to_contain_text("Vous êtes ouverts jusqu'à quelle heure")
    expect(trial).to_contain_text("Horaires")
    expect(trial).not_to_contain_text("vous livrez à Lyon")
    expect(trial).not_to_contain_text("inadmissible")
    assert not Rule.objects.exists() and not RuleExecution.objects.exists()
    # The form is still as written, so it can be changed and tried again, or saved.
    expect(conditions.get_by_label(words["keywords"])).to_have_value("heure")
    expect(conditions.get_by_label(words["question"], exact=True)).to_be_checked()

    # Then saved, active.
    page.get_by_label(words["active"], exact=True).check()
    page.get_by_role("button", name=words["save"], exact=True).click()
    expect(page).to_have_url(re.compile(r"/w/acme/settings/rules/$"))
    rule = Rule.objects.get()
    assert rule.active and rule.conditions == {"intents": ["question"], "keywords": ["heure"]}
    assert rule.actions == [{"type": "add_label", "label": "Horaires"}]
    arrive("Vous fermez à quelle heure le samedi ?", "zoe")
    assert RuleExecution.objects.filter(rule=rule).count() == 1
    assert page.problems == [], page.problems

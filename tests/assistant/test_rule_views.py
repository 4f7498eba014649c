"""Rule and auto-reply pages (managers): list, form, order, activation, dry run, log, policy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Membership
from assistant import autoreply, engine, services
from assistant.eval import calibration
from assistant.models import AutoReplyPolicy, FaqEntry, Rule, RuleExecution
from demo.faq import faq_load_demo
from inbox.replies import ReplyError
from tests.assistant.test_rules import COMPLAINT_FR, HOURS_FR, arrive, make_rule
from tests.inbox.conftest import channel, make_item  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.django_db

PAGES = [
    "settings/rules/",
    "settings/rules/new/",
    "settings/rules/dry-run/",
    "settings/rules/log/",
    "settings/auto-replies/",
]


@pytest.fixture
def rule(workspace, manager) -> Rule:
    return make_rule(workspace, manager, name="Complaints", position=1, conditions={"intents": ["complaint"]})


def test_outsider_gets_404(outsider_client, rule):
    for page in [*PAGES, f"settings/rules/{rule.pk}/"]:
        assert outsider_client.get(f"/w/acme/{page}").status_code == 404, page
    for page in ["activate", "move"]:
        assert outsider_client.post(f"/w/acme/settings/rules/{rule.pk}/{page}/").status_code == 404
    # The rule's id through the outsider's own workspace: still 404.
    assert outsider_client.get(f"/w/other/settings/rules/{rule.pk}/").status_code == 404
    assert (
        outsider_client.post(f"/w/other/settings/rules/{rule.pk}/activate/", {"active": "0"}).status_code
        == 404
    )
    rule.refresh_from_db()
    assert rule.active


def test_agents_get_403(agent_client, rule):
    for page in [*PAGES, f"settings/rules/{rule.pk}/"]:
        assert agent_client.get(f"/w/acme/{page}").status_code == 403, page
    assert agent_client.post(f"/w/acme/settings/rules/{rule.pk}/activate/").status_code == 403


def test_managers_see_every_page(manager_client, rule):
    for page in [*PAGES, f"settings/rules/{rule.pk}/"]:
        response = manager_client.get(f"/w/acme/{page}")
        assert response.status_code == 200, page
        assert b"<script>" not in response.content and b" style=" not in response.content


def test_create_a_rule_from_the_form(manager_client, workspace, manager, agent, channel):  # noqa: F811
    response = manager_client.post(
        "/w/acme/settings/rules/new/",
        {
            "name": "Deliveries",
            "active": "on",
            "languages": ["fr"],
            "channels": [str(channel.pk)],
            "keywords": "livraison, livrer",
            "sentiment_below": "0.5",
            "add_label": "Livraison",
            "round_robin": [str(agent.pk), str(manager.pk)],
            "set_priority": "2",
            "auto_reply": "on",
        },
    )
    assert response.status_code == 302
    rule = Rule.objects.get(name="Deliveries")
    assert rule.conditions == {
        "languages": ["fr"],
        "channels": [channel.pk],
        "keywords": ["livraison", "livrer"],
        "sentiment_below": 0.5,
    }
    assert rule.actions == [
        {"type": "add_label", "label": "Livraison"},
        {"type": "round_robin", "users": [agent.pk, manager.pk]},
        {"type": "set_priority", "priority": 2},
        {"type": "auto_reply"},
    ]
    assert rule.created_by == manager and rule.active
    # The edit form shows it back.
    page = manager_client.get(f"/w/acme/settings/rules/{rule.pk}/").content.decode()
    assert "livraison, livrer" in page and 'value="Livraison"' in page


@pytest.mark.parametrize("pattern", [r"(x|y)\1", r"order(?! cancelled)"])
def test_a_pattern_rules_cannot_run_is_refused_with_the_reason(manager_client, pattern):
    response = manager_client.post(
        "/w/acme/settings/rules/new/", {"name": "Bad", "regex": pattern, "mark_spam": "on"}
    )
    assert response.status_code == 400
    assert "back-references" in response.content.decode()
    assert not Rule.objects.exists()


def test_a_pattern_that_would_backtrack_is_saved_and_the_dry_run_returns(
    manager_client,
    workspace,
    channel,  # noqa: F811
    make_item,  # noqa: F811
):
    arrive(channel, make_item, "a" * 40)
    response = manager_client.post(
        "/w/acme/settings/rules/new/", {"name": "Odd", "active": "on", "regex": "(a|aa)*c", "mark_spam": "on"}
    )
    assert response.status_code == 302
    response = manager_client.get("/w/acme/settings/rules/dry-run/")
    assert response.status_code == 200
    assert response.context["checked"] == 1 and Rule.objects.get(active=True).conditions == {
        "regex": "(a|aa)*c"
    }


def test_a_rule_without_action_is_refused(manager_client):
    response = manager_client.post("/w/acme/settings/rules/new/", {"name": "Nothing"})
    assert response.status_code == 400
    assert not Rule.objects.exists()


def test_move_and_activate(manager_client, workspace, manager, rule):
    second = make_rule(workspace, manager, name="Second", position=2)
    manager_client.post(f"/w/acme/settings/rules/{second.pk}/move/", {"direction": "up"})
    assert list(Rule.objects.order_by("position").values_list("name", flat=True)) == ["Second", "Complaints"]
    manager_client.post(f"/w/acme/settings/rules/{second.pk}/move/", {"direction": "down"})
    assert list(Rule.objects.order_by("position").values_list("name", flat=True)) == ["Complaints", "Second"]
    manager_client.post(f"/w/acme/settings/rules/{rule.pk}/activate/", {"active": "0"})
    rule.refresh_from_db()
    assert not rule.active
    assert manager_client.get(f"/w/acme/settings/rules/{rule.pk}/move/").status_code == 405


def test_dry_run_page_shows_what_would_happen_and_changes_nothing(
    manager_client,
    workspace,
    manager,
    channel,  # noqa: F811
    make_item,  # noqa: F811
):
    complaint = arrive(channel, make_item, COMPLAINT_FR, author="a")
    arrive(channel, make_item, HOURS_FR, author="b")
    arrive(channel, make_item, "Old news", author="c", at=timezone.now() - dt.timedelta(days=9))
    make_rule(
        workspace,
        manager,
        name="Complaints",
        conditions={"intents": ["complaint"]},
        actions=[{"type": "add_label", "label": "Réclamation"}],
    )
    response = manager_client.get("/w/acme/settings/rules/dry-run/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Réclamation" in page and complaint.text[:25] in page
    assert "Old news" not in page
    assert not RuleExecution.objects.exists()
    assert not complaint.conversation.labels.exists()


def test_log_page_lists_executions(
    manager_client,
    workspace,
    manager,
    channel,  # noqa: F811
    make_item,  # noqa: F811
    django_assert_max_num_queries,
):
    make_rule(workspace, manager, name="Everything", actions=[{"type": "add_label", "label": "Seen"}])
    for n in range(3):
        arrive(channel, make_item, f"Question {n} ?", author=f"p{n}")
    with django_assert_max_num_queries(12):  # guards an N+1: rule and message fetched per execution row
        response = manager_client.get("/w/acme/settings/rules/log/")
    assert response.content.decode().count("Add the label") == 3


def test_rule_list_query_count(manager_client, workspace, manager, django_assert_max_num_queries):
    for n in range(5):
        make_rule(
            workspace, manager, name=f"r{n}", position=n, actions=[{"type": "assign", "user": manager.pk}]
        )
    with django_assert_max_num_queries(12):  # guards an N+1: assignee names looked up per rule
        assert manager_client.get("/w/acme/settings/rules/").status_code == 200


def test_auto_reply_policy_page(manager_client, workspace, channel, other_workspace):  # noqa: F811
    faq_load_demo(workspace=workspace)
    entry = FaqEntry.objects.filter(workspace=workspace).first()
    response = manager_client.post(
        "/w/acme/settings/auto-replies/",
        {
            "enabled": "on",
            "faq_entries": [str(entry.pk)],
            "min_confidence": "0.9",
            "channels": [str(channel.pk)],
            "daily_cap": "3",
        },
    )
    assert response.status_code == 302
    policy = AutoReplyPolicy.objects.get(workspace=workspace)
    assert policy.enabled and policy.min_confidence == 0.9 and policy.daily_cap == 3
    assert list(policy.faq_entries.all()) == [entry] and list(policy.channels.all()) == [channel]
    # Another workspace's FAQ entry is not a valid choice.
    foreign = FaqEntry.objects.create(
        workspace=other_workspace, group="x", language="fr", questions=["?"], answer="!"
    )
    response = manager_client.post(
        "/w/acme/settings/auto-replies/",
        {"faq_entries": [str(foreign.pk)], "min_confidence": "0.9", "daily_cap": "1"},
    )
    assert response.status_code == 400


# --- Trying a rule before it goes live ------------------------------------------------------------------


@pytest.fixture
def recent(channel, make_item):  # noqa: F811
    return {
        "complaint": arrive(channel, make_item, COMPLAINT_FR, author="a"),
        "hours": arrive(channel, make_item, HOURS_FR, author="b"),
    }


def test_the_rule_form_is_tried_as_written_without_saving(manager_client, recent):
    response = manager_client.post(
        "/w/acme/settings/rules/dry-run/",
        {"name": "", "intents": ["complaint"], "add_label": "Réclamation", "set_priority": "3"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="rule-trial"' in page
    assert recent["complaint"].text[:25] in page and recent["hours"].text[:25] not in page
    assert "Add the label “Réclamation”" in page
    # The form comes back as written, ready to save (posting to the create view) or to try again.
    assert 'action="/w/acme/settings/rules/new/"' in page
    assert 'value="Réclamation"' in page and 'value="complaint" id="id_intents_1" checked' in page
    assert not Rule.objects.exists() and not RuleExecution.objects.exists()
    assert not recent["complaint"].conversation.labels.exists()


def test_a_saved_inactive_rule_is_tried_from_its_form_and_from_the_list(
    manager_client, workspace, manager, recent
):
    rule = make_rule(
        workspace,
        manager,
        name="Hours",
        active=False,
        conditions={"keywords": ["heure"]},
        actions=[{"type": "add_label", "label": "Horaires"}],
    )
    # The active chain leaves it out, and says so.
    page = manager_client.get("/w/acme/settings/rules/dry-run/").content.decode()
    assert recent["hours"].text[:25] not in page
    assert f'href="/w/acme/settings/rules/dry-run/?rule={rule.pk}"' in page
    # Alone, it runs although inactive.
    page = manager_client.get(f"/w/acme/settings/rules/dry-run/?rule={rule.pk}").content.decode()
    assert recent["hours"].text[:25] in page and "Horaires" in page
    # From its edit form, with a change not saved yet: the change is what is tried.
    response = manager_client.post(
        "/w/acme/settings/rules/dry-run/",
        {"rule_id": str(rule.pk), "name": "Hours", "keywords": "inadmissible", "add_label": "Horaires"},
    )
    page = response.content.decode()
    assert recent["complaint"].text[:25] in page and recent["hours"].text[:25] not in page
    assert f'action="/w/acme/settings/rules/{rule.pk}/"' in page
    rule.refresh_from_db()
    assert rule.conditions == {"keywords": ["heure"]} and not rule.active


def test_a_rule_that_could_not_run_is_not_tried(manager_client, recent):
    response = manager_client.post("/w/acme/settings/rules/dry-run/", {"keywords": "heure"})
    assert response.status_code == 400
    assert "A rule needs at least one action." in response.content.decode()
    assert 'id="rule-trial"' not in response.content.decode()


def test_trying_another_workspaces_rule_is_404(outsider_client, manager_client, rule, recent):
    assert outsider_client.get(f"/w/other/settings/rules/dry-run/?rule={rule.pk}").status_code == 404
    response = outsider_client.post(
        "/w/other/settings/rules/dry-run/", {"rule_id": str(rule.pk), "add_label": "x"}
    )
    assert response.status_code == 404
    assert outsider_client.post("/w/acme/settings/rules/dry-run/", {"add_label": "x"}).status_code == 404


def test_the_rule_form_puts_each_checkbox_in_its_label_and_groups_conditions_and_actions(
    manager_client,
    channel,  # noqa: F811
):
    page = manager_client.get("/w/acme/settings/rules/new/").content.decode()
    assert '<label class="check" for="id_active"><input type="checkbox" name="active"' in page
    question = '<label class="check" for="id_intents_0"><input type="checkbox" name="intents"'
    assert question in page
    assert "<legend>Conditions: when a new message matches all of these</legend>" in page
    assert "<legend>Actions: then do this, in this order</legend>" in page
    assert "Facebook · Acme Page" in page


def test_the_auto_reply_whitelist_names_answers_by_their_question(manager_client, workspace):
    FaqEntry.objects.create(
        workspace=workspace,
        group="opening-hours",
        language="fr",
        questions=["Quels sont vos horaires ?", "Vous ouvrez quand ?"],
        answer="9h-18h",
    )
    page = manager_client.get("/w/acme/settings/auto-replies/").content.decode()
    assert "Quels sont vos horaires ? (French)" in page
    assert "opening-hours (fr)" not in page


def test_a_threshold_below_the_calibrated_default_is_refused(manager_client, workspace, channel):  # noqa: F811
    faq_load_demo(workspace=workspace)
    response = manager_client.post(
        "/w/acme/settings/auto-replies/",
        {"enabled": "on", "min_confidence": "0.5", "channels": [str(channel.pk)], "daily_cap": "3"},
    )
    assert response.status_code == 400
    assert not AutoReplyPolicy.objects.filter(workspace=workspace).exists()
    with pytest.raises(ReplyError):
        autoreply.auto_reply_policy_update(
            workspace=workspace,
            by=Membership.objects.get(workspace=workspace, role="manager"),
            enabled=True,
            faq_entries=[],
            min_confidence=0.5,
            channels=[],
            daily_cap=3,
        )


def test_the_settings_page_says_what_the_threshold_means_on_the_evaluation_sets_and_here(
    manager_client,
    workspace,
    channel,  # noqa: F811
    make_item,  # noqa: F811
    agent,
):
    faq_load_demo(workspace=workspace)
    AutoReplyPolicy.objects.create(workspace=workspace, min_confidence=0.9)
    question = arrive(channel, make_item, HOURS_FR)
    first = services.suggestions_for(question)[0]
    assert first.confidence >= 0.9
    services.suggestion_record_fate(first, final_text=first.text, user=agent)
    body = manager_client.get("/w/acme/settings/auto-replies/").content.decode()
    right, sent = calibration.unseen_precision_at(0.9)
    assert sent and f"{round(100 * right / sent)}% ({right} of {sent})" in body
    assert '<tr class="is-current">' in body and "0.9 (yours)" in body
    assert "100% (1 of 1)" in body  # this workspace: the one decided first answer went out
    assert f"The default, {engine.AUTO_SEND_THRESHOLD}," in body

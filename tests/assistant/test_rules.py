"""Rules: conditions, actions, order and "stop here", idempotence, and a dry run that matches a real run."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from assistant import rules, tasks
from assistant.models import MessageTriage, Rule, RuleExecution, Suggestion
from demo.faq import faq_load_demo
from inbox.ingest import message_ingest_batch
from inbox.models import Conversation, InboxPolicy, Message
from tests.inbox.conftest import channel, make_item  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.django_db

HOURS_FR = "Bonjour ! Vous êtes ouverts jusqu'à quelle heure ce soir ?"
COMPLAINT_FR = "Mon gâteau est arrivé écrasé, c'est inadmissible, je veux être remboursée !"


def arrive(channel, make_item, text: str, **kwargs) -> Message:  # noqa: F811
    kwargs.setdefault("at", timezone.now() - dt.timedelta(hours=1))
    ids = message_ingest_batch(channel=channel, items=[make_item(text, **kwargs)]).new_message_ids
    tasks.triage_messages(ids)  # synchronously, as the worker would; the rules run after triage
    return Message.objects.select_related("triage", "conversation").get(pk=ids[0])


def make_rule(workspace, user, *, conditions=None, actions=None, **kwargs) -> Rule:
    return Rule.objects.create(
        workspace=workspace,
        name=kwargs.pop("name", "rule"),
        conditions=conditions or {},
        actions=actions or [{"type": "add_label", "label": "Seen"}],
        created_by=user,
        **kwargs,
    )


def labels(message: Message) -> set[str]:
    return set(Conversation.objects.get(pk=message.conversation_id).labels.values_list("name", flat=True))


def test_a_matching_rule_labels_prioritises_and_logs(workspace, manager, channel, make_item):  # noqa: F811
    rule = make_rule(
        workspace,
        manager,
        conditions={"intents": ["complaint"], "languages": ["fr"], "networks": ["facebook"]},
        actions=[{"type": "add_label", "label": "Réclamation"}, {"type": "set_priority", "priority": 3}],
    )
    complaint = arrive(channel, make_item, COMPLAINT_FR, author="a")
    question = arrive(channel, make_item, HOURS_FR, author="b")

    assert labels(complaint) == {"Réclamation"}
    assert Conversation.objects.get(pk=complaint.conversation_id).priority == 3
    assert labels(question) == set()
    execution = RuleExecution.objects.get(rule=rule)
    assert execution.message == complaint and not execution.dry_run
    assert [a["type"] for a in execution.actions] == ["add_label", "set_priority"]


def test_rules_run_in_order_and_stop_here_ends_the_chain(workspace, manager, channel, make_item):  # noqa: F811
    make_rule(workspace, manager, name="second", position=2, actions=[{"type": "add_label", "label": "B"}])
    make_rule(
        workspace,
        manager,
        name="first",
        position=1,
        stop_here=True,
        actions=[{"type": "add_label", "label": "A"}],
    )
    make_rule(workspace, manager, name="inactive", position=0, active=False)
    message = arrive(channel, make_item, HOURS_FR)
    assert labels(message) == {"A"}


def test_keywords_regex_and_sentiment(workspace, manager, channel, make_item):  # noqa: F811
    make_rule(
        workspace,
        manager,
        conditions={"keywords": ["GATEAU"]},
        actions=[{"type": "add_label", "label": "kw"}],
    )
    make_rule(
        workspace,
        manager,
        conditions={"regex": r"rembours\w+"},
        actions=[{"type": "add_label", "label": "re"}],
    )
    make_rule(
        workspace,
        manager,
        conditions={"sentiment_below": -0.2},
        actions=[{"type": "add_label", "label": "neg"}],
    )
    make_rule(
        workspace,
        manager,
        conditions={"sentiment_above": 0.5},
        actions=[{"type": "add_label", "label": "pos"}],
    )
    message = arrive(channel, make_item, COMPLAINT_FR)
    assert labels(message) == {"kw", "re", "neg"}  # "gâteau" matches "GATEAU": accents and case ignored


def test_first_time_author(workspace, manager, channel, make_item):  # noqa: F811
    make_rule(workspace, manager, conditions={"first_time_author": True})
    first = arrive(channel, make_item, HOURS_FR, author="newbie")
    again = arrive(channel, make_item, "Et demain ?", author="newbie", root="other-thread")
    assert labels(first) == {"Seen"} and labels(again) == set()


def test_outside_business_hours_uses_the_workspace_time_zone(workspace, manager, channel, make_item):  # noqa: F811
    workspace.timezone = "Europe/Paris"
    workspace.save(update_fields=["timezone"])
    InboxPolicy.objects.create(
        workspace=workspace, business_hours={str(d): ["09:00", "18:00"] for d in range(5)}
    )
    make_rule(workspace, manager, conditions={"outside_business_hours": True})
    wednesday = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    night = arrive(
        channel, make_item, HOURS_FR, author="a", at=wednesday.replace(hour=17, minute=30)
    )  # 18:30
    day = arrive(channel, make_item, HOURS_FR, author="b", at=wednesday.replace(hour=8, minute=30))  # 09:30
    sunday = arrive(channel, make_item, HOURS_FR, author="c", at=wednesday + dt.timedelta(days=4, hours=12))
    assert (labels(night), labels(day), labels(sunday)) == ({"Seen"}, set(), {"Seen"})
    assert not rules.outside_business_hours(wednesday, {}, "Europe/Paris")  # no hours: always open


def test_round_robin_assign_and_mark_spam(workspace, manager, agent, owner, channel, make_item):  # noqa: F811
    make_rule(workspace, manager, actions=[{"type": "round_robin", "users": [agent.pk, manager.pk]}])
    make_rule(workspace, manager, conditions={"keywords": ["casino"]}, actions=[{"type": "mark_spam"}])
    assignees = [
        Conversation.objects.get(
            pk=arrive(channel, make_item, f"Question {n} ?", author=f"p{n}").conversation_id
        )
        for n in range(3)
    ]
    assert [c.assignee_id for c in assignees] == [agent.pk, manager.pk, agent.pk]
    spam = arrive(channel, make_item, "Best casino bonus", author="bot")
    assert Conversation.objects.get(pk=spam.conversation_id).status == Conversation.Status.SPAM


def test_suggest_faq_records_a_suggestion(workspace, manager, channel, make_item):  # noqa: F811
    faq_load_demo(workspace=workspace)
    make_rule(workspace, manager, actions=[{"type": "suggest_faq"}])
    message = arrive(channel, make_item, HOURS_FR)
    suggestion = Suggestion.objects.get(message=message)
    assert suggestion.faq_entry.group == "hours" and suggestion.fate == Suggestion.Fate.PENDING


def test_a_rerun_applies_nothing_twice(workspace, manager, channel, make_item):  # noqa: F811
    rule = make_rule(workspace, manager, actions=[{"type": "round_robin", "users": [manager.pk]}])
    message = arrive(channel, make_item, HOURS_FR)
    triage = MessageTriage.objects.select_related("message").get(message=message)
    assert rules.rules_run([triage]) == 0
    assert RuleExecution.objects.filter(rule=rule).count() == 1
    rule.refresh_from_db()
    assert rule.round_robin_cursor == 1


def test_dry_run_writes_nothing_and_matches_the_real_run(
    workspace,
    manager,
    agent,
    channel,  # noqa: F811
    make_item,  # noqa: F811
    django_assert_max_num_queries,
):
    faq_load_demo(workspace=workspace)
    texts = [HOURS_FR, COMPLAINT_FR, "Do you deliver to Villeurbanne?", HOURS_FR, "Merci, délicieux !"]
    messages = [arrive(channel, make_item, t, author=f"p{n % 3}") for n, t in enumerate(texts)]
    make_rule(
        workspace,
        manager,
        name="complaints",
        position=1,
        stop_here=True,
        conditions={"intents": ["complaint"]},
        actions=[{"type": "set_priority", "priority": 3}, {"type": "add_label", "label": "Complaint"}],
    )
    make_rule(
        workspace,
        manager,
        name="everyone",
        position=2,
        actions=[
            {"type": "round_robin", "users": [agent.pk, manager.pk]},
            {"type": "suggest_faq"},
            {"type": "auto_reply"},
        ],
    )
    make_rule(workspace, manager, name="newcomers", position=3, conditions={"first_time_author": True})
    counts = (Conversation.objects.filter(assignee__isnull=False).count(), Suggestion.objects.count())

    dry = rules.rules_dry_run(workspace=workspace)

    assert (Conversation.objects.filter(assignee__isnull=False).count(), Suggestion.objects.count()) == counts
    assert not RuleExecution.objects.exists() and not Message.objects.filter(direction="out").exists()
    assert [row.message.pk for row in dry] == [m.pk for m in messages]
    planned = {(p.rule.pk, row.message.pk): p.actions for row in dry for p in row.rules}
    assert any(a["type"] == "auto_reply" for steps in planned.values() for a in steps)

    triages = list(MessageTriage.objects.filter(message__in=messages).select_related("message"))
    rules.rules_run(triages)

    applied = {(e.rule_id, e.message_id): e.actions for e in RuleExecution.objects.all()}
    assert applied == planned


def test_regex_guard():
    assert rules.regex_problem(r"commande\s*n[o°]?\s*\d+") is None
    assert rules.regex_problem(r"(a+)+$") is None  # catastrophic for a backtracking engine, linear on RE2
    assert "back-references" in rules.regex_problem(r"(x|y)\1")
    assert "look-arounds" in rules.regex_problem(r"(?<!no )delivery")
    assert "look-arounds" in rules.regex_problem(r"order(?= now)")
    assert "too long" in rules.regex_problem("a" * 300)
    assert "not valid" in rules.regex_problem("([a-z]")


# Each of these passed the old heuristic guard and took minutes on Python's backtracking `re`: the worker
# (and the web worker serving the dry run) hung on one customer's message. On RE2 they are linear.
ADVERSARIAL = [
    pytest.param(r"(a|a)*b", "a" * 40, id="twin-alternatives"),
    pytest.param(r"(a|aa)*c", "a" * 60, id="overlapping-alternatives"),
    pytest.param(r"(\s|.)*order", " " * 40, id="space-or-anything"),
]


@pytest.mark.parametrize(("pattern", "text"), ADVERSARIAL)
def test_adversarial_patterns_are_allowed_and_return(pattern, text):
    assert rules.regex_problem(pattern) is None
    assert rules.compile_pattern(pattern).search(text) is None


@pytest.mark.parametrize(("pattern", "text"), ADVERSARIAL)
def test_triage_with_an_adversarial_pattern_returns(workspace, manager, channel, make_item, pattern, text):  # noqa: F811
    make_rule(
        workspace, manager, conditions={"regex": pattern}, actions=[{"type": "add_label", "label": "re"}]
    )
    make_rule(
        workspace, manager, conditions={"keywords": ["a"]}, actions=[{"type": "add_label", "label": "kw"}]
    )
    message = arrive(channel, make_item, text + " a")
    assert labels(message) == {"kw"}
    assert rules.rules_dry_run(workspace=workspace)[0].rules[0].rule.conditions == {"keywords": ["a"]}


def test_a_stored_pattern_re2_refuses_is_skipped_and_logged(
    workspace,
    manager,
    channel,  # noqa: F811
    make_item,  # noqa: F811
    caplog,
):
    # Saved before rules ran on RE2 (or written to the database by hand): it must not stop triage.
    make_rule(
        workspace, manager, conditions={"regex": r"(x|y)\1"}, actions=[{"type": "add_label", "label": "bad"}]
    )
    make_rule(
        workspace, manager, conditions={"regex": r"rembours"}, actions=[{"type": "add_label", "label": "ok"}]
    )
    with caplog.at_level("WARNING", logger="assistant.rules"):
        message = arrive(channel, make_item, COMPLAINT_FR + " xx")
    assert labels(message) == {"ok"}
    assert any("refused by RE2" in r.getMessage() for r in caplog.records)


def test_pattern_classes_keep_their_unicode_meaning():
    # RE2's \w \d \s are ASCII; rules were written for French text, where Python's `re` saw letters.
    assert rules.compile_pattern(r"rembours\w+$").search("remboursée")
    assert rules.compile_pattern(r"prix\s:").search("prix\u00a0: 12 €")
    assert rules.compile_pattern(r"[\w-]+ée").search("Arrivée")
    assert rules.compile_pattern(r"^\W+$").search("!? —")
    assert not rules.compile_pattern(r"\W").search("été")
    assert rules.compile_pattern(r"[]\d]").search("]")
    assert rules.compile_pattern("COMMANDE").search("commande n°12")  # case ignored


def test_validate_refuses_bad_rules(workspace, outsider):
    with pytest.raises(rules.RuleError):
        rules.validate({}, [], workspace)
    with pytest.raises(rules.RuleError):
        rules.validate({}, [{"type": "assign", "user": outsider.pk}], workspace)
    with pytest.raises(rules.RuleError):
        rules.validate({"regex": r"(a)\1"}, [{"type": "mark_spam"}], workspace)
    with pytest.raises(rules.RuleError):
        rules.validate({}, [{"type": "launch_rockets"}], workspace)

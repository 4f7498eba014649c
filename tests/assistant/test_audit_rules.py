"""Rules in the audit log: created, changed (only the fields that changed, before and after) and turned
off, each recorded once by the rule services."""

from __future__ import annotations

from accounts.audit import AuditAction, AuditEvent
from assistant.rules import rule_save, rule_set_active

A = AuditAction
ACTIONS = [{"type": "set_priority", "priority": 2}]


def test_a_rule_created_changed_and_turned_off_is_recorded_once_each(workspace, manager):
    boss = manager.memberships.get()
    rule = rule_save(
        workspace=workspace,
        by=boss,
        name="Complaints",
        conditions={"intents": ["complaint"]},
        actions=ACTIONS,
    )
    rule_save(
        workspace=workspace,
        by=boss,
        name="Complaints first",
        conditions={"intents": ["complaint"]},
        actions=ACTIONS,
        rule=rule,
    )
    rule_set_active(rule=rule, by=boss, active=False)

    events = list(AuditEvent.objects.filter(target_id=str(rule.pk)).order_by("pk"))
    assert [e.action for e in events] == [A.RULE_CREATED, A.RULE_CHANGED, A.RULE_CHANGED]
    assert all(e.actor == manager and e.workspace_id == workspace.pk for e in events)
    renamed = events[1]
    assert (renamed.before, renamed.after) == ({"name": "Complaints"}, {"name": "Complaints first"})
    assert events[2].after.get("active") is False

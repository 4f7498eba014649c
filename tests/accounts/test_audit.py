"""The audit log: append-only, recorded once per action by the accounts services (driven through the
pages), and the Settings > Audit log page with its filters, pages and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.audit import AuditAction, AuditEvent, audit_record
from accounts.audit_models import AuditLogIsAppendOnly
from accounts.models import Invitation, Membership
from core.csv import csv_unprotect
from tests.factories import MembershipFactory, UserFactory

A = AuditAction
AUDIT = "/w/acme/settings/audit/"
EXPORT = "/w/acme/settings/audit/export.csv"


def _only(action: str) -> AuditEvent:
    [event] = AuditEvent.objects.filter(action=action)
    return event


# --- Append-only ------------------------------------------------------------------------------------------


def test_an_event_cannot_be_changed_or_deleted(workspace, owner):
    event = audit_record(workspace=workspace, action=A.MEMBER_REMOVED, actor=owner)
    assert event is not None
    event.target_label = "someone else"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action=A.SIGNED_IN)
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).target_label == ""


def test_a_deleted_user_keeps_their_name_in_the_log(workspace):
    leaver = UserFactory(display_name="Lou Leaver")
    MembershipFactory(user=leaver, workspace=workspace)
    event = audit_record(workspace=workspace, action=A.RULE_CREATED, actor=leaver)
    leaver.delete()  # Django's collector sets the actor to NULL through the base manager, not our QuerySet
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor is None and event.actor_label == f"Lou Leaver <{leaver.email}>"


def test_deleting_a_workspace_takes_its_log_with_it(workspace, owner):
    audit_record(workspace=workspace, action=A.RULE_CREATED, actor=owner)
    workspace.delete()
    assert not AuditEvent.objects.exists()


def test_an_unchanged_setting_records_nothing(workspace, owner):
    assert audit_record(workspace=workspace, action=A.RULE_CHANGED, before={"a": 1}, after={"a": 1}) is None
    assert not AuditEvent.objects.exists()


def test_outside_a_request_an_event_without_actor_is_the_systems(workspace):
    event = audit_record(workspace=workspace, action=A.CHANNEL_PAUSED)
    assert event is not None
    assert (event.actor, event.actor_kind, event.ip_address) == (None, "system", None)


def test_admin_is_read_only(workspace, owner):
    event = audit_record(workspace=workspace, action=A.RULE_CREATED, actor=owner)
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/accounts/auditevent/").status_code == 200
    assert client.get("/admin/accounts/auditevent/", {"action__exact": A.RULE_CREATED}).status_code == 200
    page = client.get(f"/admin/accounts/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.get("/admin/accounts/auditevent/add/").status_code == 403
    assert client.post(f"/admin/accounts/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- Members, invitations, workspace settings (through the pages) -----------------------------------------


def test_a_role_change_is_recorded_once_with_before_and_after(owner_client, owner, agent):
    member = agent.memberships.get()
    client = Client(REMOTE_ADDR="198.51.100.4")
    client.force_login(owner)
    assert client.post(f"/w/acme/settings/members/{member.pk}/role/", {"role": "manager"}).status_code == 302
    event = _only(A.MEMBER_ROLE_CHANGED)
    assert event.actor == owner and event.workspace.slug == "acme"
    assert (event.before, event.after) == ({"role": "agent"}, {"role": "manager"})
    assert (event.target_type, event.target_id) == ("membership", str(member.pk))
    assert agent.email in event.target_label
    assert event.ip_address == "198.51.100.4"


def test_a_refused_role_change_records_nothing(owner_client, owner):
    member = owner.memberships.get()  # the last admin cannot step down
    owner_client.post(f"/w/acme/settings/members/{member.pk}/role/", {"role": "agent"})
    assert not AuditEvent.objects.filter(action=A.MEMBER_ROLE_CHANGED).exists()


def test_removing_a_member_is_recorded(owner_client, owner, agent):
    member = agent.memberships.get()
    owner_client.post(f"/w/acme/settings/members/{member.pk}/remove/")
    event = _only(A.MEMBER_REMOVED)
    assert event.actor == owner and event.before == {"role": "agent"} and agent.email in event.target_label


def test_invitation_sent_revoked_and_accepted(
    owner_client, owner, workspace, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post("/w/acme/settings/invitations/", {"email": "first@example.test", "role": "agent"})
    sent = _only(A.INVITATION_SENT)
    assert sent.actor == owner and sent.after == {"email": "first@example.test", "role": "agent"}
    first = Invitation.objects.get()
    owner_client.post(f"/w/acme/settings/invitations/{first.pk}/revoke/")
    revoked = _only(A.INVITATION_REVOKED)
    assert revoked.actor == owner and revoked.target_id == str(first.pk)

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post("/w/acme/settings/invitations/", {"email": "nina@example.test", "role": "manager"})
    token = re.search(r"/invitations/(\S+)/", mail.outbox[-1].body).group(1)
    client = Client()
    client.post(
        f"/invitations/{token}/",
        {"display_name": "Nina", "password1": "a-long-fresh-pass", "password2": "a-long-fresh-pass"},
    )
    accepted = _only(A.INVITATION_ACCEPTED)
    assert accepted.actor.email == "nina@example.test" and accepted.after == {"role": "manager"}
    assert accepted.workspace == workspace
    assert AuditEvent.objects.filter(action=A.INVITATION_SENT).count() == 2


def test_workspace_settings_keep_only_what_changed(owner_client, owner, workspace):
    owner_client.post(
        "/w/acme/settings/",
        {"name": "Acme Bakery", "timezone": "Europe/Paris", "default_language": "en", "require_mfa": "on"},
    )
    event = _only(A.WORKSPACE_SETTINGS_CHANGED)
    assert event.before == {"timezone": "UTC", "require_mfa": False}
    assert event.after == {"timezone": "Europe/Paris", "require_mfa": True}


# --- The page ----------------------------------------------------------------------------------------------


def test_outsider_gets_404(outsider_client, workspace):
    assert outsider_client.get(AUDIT).status_code == 404
    assert outsider_client.get(EXPORT).status_code == 404


def test_only_admins_see_it(agent_client, manager_client, owner_client):
    assert agent_client.get(AUDIT).status_code == 403
    assert manager_client.get(AUDIT).status_code == 403
    assert manager_client.get(EXPORT).status_code == 403
    page = owner_client.get(AUDIT)
    assert page.status_code == 200
    assert f'href="{AUDIT}"' in page.content.decode()  # in the settings navigation
    assert f'href="{AUDIT}"' not in agent_client.get("/w/acme/").content.decode()


def test_another_workspaces_events_never_show(owner_client, outsider, other_workspace, workspace, owner):
    audit_record(
        workspace=other_workspace, action=A.RULE_CREATED, actor=outsider, target=("rule", 1, "Theirs")
    )
    audit_record(workspace=workspace, action=A.RULE_CREATED, actor=owner, target=("rule", 2, "Ours"))
    page = owner_client.get(AUDIT, {"action": A.RULE_CREATED})
    assert [e.target_label for e in page.context["events"]] == ["Ours"]


@pytest.fixture
def history(workspace, owner, agent):
    """Events on three days (UTC), by the owner, the agent and the assistant."""
    made = []
    for day, actor, action, label, kind in [
        (1, owner, A.MEMBER_ROLE_CHANGED, "Agent Smith", "person"),
        (2, agent, A.REPLY_SENT, "Comment #1 · Oui", "person"),
        (2, None, A.REPLY_AUTO_SENT, "Comment #2 · Nous sommes ouverts", "assistant"),
        (3, owner, A.RULE_CHANGED, '=HYPERLINK("http://evil")', "person"),
    ]:
        with time_machine.travel(dt.datetime(2031, 5, day, 12, 0, tzinfo=dt.UTC), tick=False):
            made.append(
                audit_record(
                    workspace=workspace,
                    action=action,
                    actor=actor,
                    actor_kind=kind,
                    target=("x", day, label),
                    before={"v": day},
                    after={"v": day + 1},
                )
            )
    return made


def _shown(response) -> list[str]:
    # force_login signs the test's clients in, which the log records: those are tested on their own.
    return [e.action for e in response.context["events"] if not e.action.startswith("auth.")]


def test_newest_first_with_who_when_where_and_the_folded_diff(owner_client, history):
    response = owner_client.get(AUDIT)
    assert _shown(response) == [A.RULE_CHANGED, A.REPLY_AUTO_SENT, A.REPLY_SENT, A.MEMBER_ROLE_CHANGED]
    body = response.content.decode()
    assert "<details" in body and "Rule changed" in body and "Assistant" in body
    assert "=HYPERLINK(&quot;http://evil&quot;)" in body  # escaped, as every label


def test_filters(owner_client, history, owner, agent):
    assert _shown(owner_client.get(AUDIT, {"actor": agent.pk})) == [A.REPLY_SENT]
    assert _shown(owner_client.get(AUDIT, {"actor": "assistant"})) == [A.REPLY_AUTO_SENT]
    assert _shown(owner_client.get(AUDIT, {"action": "group:reply"})) == [A.REPLY_AUTO_SENT, A.REPLY_SENT]
    assert _shown(owner_client.get(AUDIT, {"action": A.RULE_CHANGED})) == [A.RULE_CHANGED]
    assert _shown(owner_client.get(AUDIT, {"date_from": "2031-05-02", "date_to": "2031-05-02"})) == [
        A.REPLY_AUTO_SENT,
        A.REPLY_SENT,
    ]
    assert _shown(owner_client.get(AUDIT, {"target": "ouverts"})) == [A.REPLY_AUTO_SENT]
    # A date out of range is dropped, the other filters still apply.
    assert _shown(owner_client.get(AUDIT, {"date_from": "0001-01-01", "target": "oui"})) == [A.REPLY_SENT]


def test_dates_are_days_in_the_viewers_zone(owner_client, owner, workspace):
    owner.timezone = "Pacific/Auckland"  # UTC+12 in May
    owner.save()
    with time_machine.travel(dt.datetime(2031, 5, 1, 13, 0, tzinfo=dt.UTC), tick=False):  # 2 May in Auckland
        audit_record(workspace=workspace, action=A.RULE_CREATED, actor=owner)
    assert _shown(owner_client.get(AUDIT, {"date_from": "2031-05-02", "date_to": "2031-05-02"})) == [
        A.RULE_CREATED
    ]
    assert _shown(owner_client.get(AUDIT, {"date_to": "2031-05-01"})) == []


def test_pages_of_fifty_walk_every_event_once(owner_client, workspace, owner):
    with time_machine.travel(dt.datetime(2031, 5, 1, 12, 0, tzinfo=dt.UTC), tick=False):
        # The same instant for all: the cursor's tie-break on id is what keeps the order.
        for n in range(120):
            audit_record(workspace=workspace, action=A.RULE_CREATED, actor=owner, target=("rule", n, f"r{n}"))
    seen, params = [], {"action": A.RULE_CREATED}
    for _page in range(3):
        response = owner_client.get(AUDIT, params)
        seen += [e.target_label for e in response.context["events"]]
        nxt = response.context["next_query"]
        if not nxt:
            break
        params = dict(p.split("=", 1) for p in nxt.split("&"))
    assert seen == [f"r{n}" for n in reversed(range(120))]
    assert response.context["next_query"] == ""


def test_the_page_costs_the_same_queries_for_a_few_or_fifty_events(
    owner_client, workspace, owner, django_assert_num_queries
):
    for n in range(3):
        audit_record(workspace=workspace, action=A.RULE_CREATED, actor=owner, target=("rule", n, f"r{n}"))
    owner_client.get(AUDIT)  # warm: last_workspace saved, caches filled
    with CaptureQueriesContext(connection) as few:
        owner_client.get(AUDIT)
    # Session, user, membership, the filter's members, the page of events, and the layout's own (the
    # switcher, the bell, the sidebar's waiting counts, the connection banner).
    assert len(few.captured_queries) == 9
    for n in range(60):
        audit_record(workspace=workspace, action=A.RULE_CHANGED, actor=owner, target=("rule", n, f"r{n}"))
    # Guards an N+1 per row: each event shows its actor's name and target from its own columns, never by
    # loading the user, the workspace or the target row.
    with django_assert_num_queries(len(few.captured_queries)):
        owner_client.get(AUDIT)


def _csv(response) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    return [r for r in rows if not r[3].startswith("auth.")]


def test_csv_holds_the_filtered_rows_formula_safe_and_records_the_download(owner_client, owner, history):
    response = owner_client.get(EXPORT, {"action": "group:rule"})
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = _csv(response)
    assert header[:4] == ["when", "actor", "actor_kind", "action"]
    page = owner_client.get(AUDIT, {"action": "group:rule"})
    assert [r[3] for r in rows] == [e.action for e in page.context["events"]] == [A.RULE_CHANGED]
    [row] = rows
    assert row[7] == '\'=HYPERLINK("http://evil")' and csv_unprotect(row[7]) == '=HYPERLINK("http://evil")'
    assert row[8] == '{"v": 3}' and row[9] == '{"v": 4}'
    export = _only(A.EXPORT_DOWNLOADED)
    assert export.actor == owner and export.after == {
        "export": "audit_log",
        "filters": {"action": "group:rule"},
    }


def test_csv_without_filters_is_every_row_of_the_page_and_not_its_own_download(owner_client, history):
    _header, *rows = _csv(owner_client.get(EXPORT))
    assert len(rows) == len(history) == 4
    _header, *again = _csv(owner_client.get(EXPORT))
    assert [r[3] for r in again].count(A.EXPORT_DOWNLOADED) == 1  # the first download, seen by the second
    assert len(again) == 5


def test_assistant_and_system_events_name_no_person(workspace, owner):
    event = audit_record(workspace=workspace, action=A.REPLY_AUTO_SENT, actor_kind="assistant")
    assert event is not None and event.actor is None and event.actor_kind == "assistant"


def test_members_only_see_current_members_sign_ins(owner_client, workspace, agent):
    audit_record(workspace=None, action=A.SIGNED_IN, actor=agent)
    assert agent in [e.actor for e in owner_client.get(AUDIT).context["events"]]
    Membership.objects.filter(user=agent).delete()
    assert agent not in [e.actor for e in owner_client.get(AUDIT).context["events"]]

"""Inbox writes: the assignment rule, status/priority/labels/sensitivity, read state, hiding, notes with
mentions, and presence."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from accounts.models import Membership
from inbox import presence, services
from inbox.models import Contact, Conversation, ConversationRead, Label, Note
from inbox.services import InboxError
from networks.models import Channel
from tests.factories import MembershipFactory, UserFactory

T0 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
_roots = itertools.count(1)


def member(user, workspace) -> Membership:
    return Membership.objects.select_related("workspace").get(user=user, workspace=workspace)


@pytest.fixture
def make_conversation(channel):
    def make(**fields) -> Conversation:
        fields.setdefault("updated_at", T0)
        return Conversation.objects.create(
            workspace=channel.workspace,
            channel=channel,
            kind=Conversation.Kind.COMMENT,
            root_external_id=f"root-{next(_roots)}",
            **fields,
        )

    return make


@pytest.fixture
def theirs(other_workspace):
    channel = Channel.objects.create(
        workspace=other_workspace,
        network="facebook",
        external_id="P9",
        name="T",
        api_base_url="http://x.test",
    )
    return Conversation.objects.create(
        workspace=other_workspace, channel=channel, kind="comment", root_external_id="theirs"
    )


def fresh(conversation: Conversation) -> Conversation:
    return Conversation.objects.get(pk=conversation.pk)


# --- Assignment -----------------------------------------------------------------------------------------


def test_managers_assign_anyone_in_the_workspace_and_the_change_is_stamped(
    workspace, manager, agent, make_conversation
):
    conversation = make_conversation()
    services.conversation_assign(conversation=conversation, assignee=agent, by=member(manager, workspace))
    stored = fresh(conversation)
    assert stored.assignee == agent and stored.updated_at > T0
    services.conversation_assign(conversation=stored, assignee=None, by=member(manager, workspace))
    assert fresh(conversation).assignee is None


def test_nobody_can_assign_someone_outside_the_workspace(workspace, manager, outsider, make_conversation):
    with pytest.raises(InboxError, match="not a member"):
        services.conversation_assign(
            conversation=make_conversation(), assignee=outsider, by=member(manager, workspace)
        )


def test_agents_take_unassigned_conversations_and_hand_back_their_own_only(
    workspace, agent, manager, make_conversation
):
    by = member(agent, workspace)
    free = make_conversation()
    services.conversation_assign(conversation=free, assignee=agent, by=by)
    assert fresh(free).assignee == agent
    services.conversation_assign(conversation=fresh(free), assignee=None, by=by)
    assert fresh(free).assignee is None

    taken = make_conversation(assignee=manager)
    with pytest.raises(InboxError, match="Someone else already has"):
        services.conversation_assign(conversation=taken, assignee=agent, by=by)
    with pytest.raises(InboxError, match="Only managers"):
        services.conversation_assign(conversation=taken, assignee=None, by=by)
    with pytest.raises(InboxError, match="Only managers"):
        services.conversation_assign(conversation=make_conversation(), assignee=manager, by=by)
    assert fresh(taken).assignee == manager


def test_an_assignment_made_meanwhile_is_not_overwritten(workspace, agent, manager, make_conversation):
    conversation = make_conversation()
    stale = fresh(conversation)  # the agent's page was drawn while it was unassigned
    Conversation.objects.filter(pk=conversation.pk).update(assignee=manager)  # a manager acts first
    with pytest.raises(InboxError, match="in the meantime"):
        services.conversation_assign(conversation=stale, assignee=agent, by=member(agent, workspace))
    assert fresh(conversation).assignee == manager


def test_bulk_assign_by_an_agent_only_takes_what_the_rule_allows(
    workspace, agent, manager, make_conversation
):
    free = [make_conversation() for _ in range(2)]
    taken = make_conversation(assignee=manager)
    by = member(agent, workspace)
    result = services.conversations_bulk_assign(ids=[c.pk for c in [*free, taken]], assignee=agent, by=by)
    assert result == services.BulkResult(changed=2, skipped=1)
    assert {fresh(c).assignee_id for c in free} == {agent.pk} and fresh(taken).assignee == manager
    with pytest.raises(InboxError, match="Only managers"):
        services.conversations_bulk_assign(ids=[free[0].pk], assignee=manager, by=by)
    result = services.conversations_bulk_assign(ids=[c.pk for c in [*free, taken]], assignee=None, by=by)
    assert result == services.BulkResult(changed=2, skipped=1)
    assert fresh(taken).assignee == manager


def test_bulk_actions_never_reach_another_workspace(workspace, manager, theirs, make_conversation):
    mine = make_conversation()
    by = member(manager, workspace)
    ids = [mine.pk, theirs.pk]
    assert services.conversations_bulk_assign(ids=ids, assignee=manager, by=by).changed == 1
    assert services.conversations_bulk_set_status(ids=ids, status="resolved", by=by).changed == 1
    assert services.conversations_bulk_set_priority(ids=ids, priority=3, by=by).changed == 1
    label = Label.objects.create(workspace=workspace, name="VIP")
    assert services.conversations_bulk_label(ids=ids, label=label, by=by).changed == 1
    theirs.refresh_from_db()
    assert theirs.assignee is None and theirs.status == "open" and theirs.priority == 1
    assert not theirs.labels.exists()


# --- Status, priority, sensitivity ----------------------------------------------------------------------


def test_status_changes_stamp_resolution(workspace, agent, make_conversation):
    conversation = make_conversation()
    by = member(agent, workspace)
    services.conversation_set_status(conversation=conversation, status="resolved", by=by)
    assert fresh(conversation).resolved_at is not None and fresh(conversation).updated_at > T0
    services.conversation_set_status(conversation=fresh(conversation), status="open", by=by)
    assert fresh(conversation).resolved_at is None
    with pytest.raises(InboxError, match="Unknown status"):
        services.conversation_set_status(conversation=conversation, status="archived", by=by)


def test_bulk_status_only_touches_rows_that_change(workspace, agent, make_conversation):
    done = make_conversation(status="resolved", resolved_at=T0)
    todo = make_conversation()
    result = services.conversations_bulk_set_status(
        ids=[done.pk, todo.pk], status="resolved", by=member(agent, workspace)
    )
    assert result.changed == 1
    assert fresh(done).resolved_at == T0 and fresh(done).updated_at == T0  # untouched
    assert fresh(todo).status == "resolved" and fresh(todo).resolved_at is not None


def test_priority_is_validated(workspace, agent, make_conversation):
    conversation = make_conversation()
    services.conversation_set_priority(conversation=conversation, priority=3, by=member(agent, workspace))
    assert fresh(conversation).priority == Conversation.Priority.URGENT
    with pytest.raises(InboxError):
        services.conversation_set_priority(conversation=conversation, priority=9, by=member(agent, workspace))


def test_agents_flag_sensitive_but_only_approvers_lift_it(workspace, agent, manager, make_conversation):
    conversation = make_conversation()
    services.conversation_set_sensitive(
        conversation=conversation, sensitive=True, by=member(agent, workspace)
    )
    assert fresh(conversation).sensitive
    with pytest.raises(InboxError, match="does not allow"):
        services.conversation_set_sensitive(
            conversation=fresh(conversation), sensitive=False, by=member(agent, workspace)
        )
    services.conversation_set_sensitive(
        conversation=fresh(conversation), sensitive=False, by=member(manager, workspace)
    )
    assert not fresh(conversation).sensitive


def test_a_member_cannot_act_on_another_workspaces_conversation(workspace, owner, theirs):
    with pytest.raises(InboxError, match="another workspace"):
        services.conversation_set_status(conversation=theirs, status="resolved", by=member(owner, workspace))


# --- Labels ---------------------------------------------------------------------------------------------


def test_labels_are_added_created_inline_and_removed(workspace, agent, make_conversation):
    by = member(agent, workspace)
    conversation = make_conversation()
    vip, created = services.label_get_or_create(name="  VIP   customer ", by=by)
    assert created
    assert vip.name == "VIP customer" and vip.workspace == workspace
    assert services.label_get_or_create(name="vip CUSTOMER", by=by) == (vip, False)  # case makes none
    services.conversation_label(conversation=conversation, add=[vip], by=by)
    assert list(fresh(conversation).labels.all()) == [vip]
    services.conversation_label(conversation=conversation, remove=[vip], by=by)
    assert not fresh(conversation).labels.exists()
    with pytest.raises(InboxError):
        services.label_get_or_create(name="   ", by=by)


def test_another_workspaces_label_is_refused(workspace, other_workspace, agent, make_conversation):
    foreign = Label.objects.create(workspace=other_workspace, name="Theirs")
    with pytest.raises(InboxError, match="another workspace"):
        services.conversation_label(
            conversation=make_conversation(), add=[foreign], by=member(agent, workspace)
        )


def test_bulk_labels_add_and_remove(workspace, agent, make_conversation):
    by = member(agent, workspace)
    label = Label.objects.create(workspace=workspace, name="Refund")
    already = make_conversation()
    already.labels.add(label)
    bare = make_conversation()
    assert services.conversations_bulk_label(ids=[already.pk, bare.pk], label=label, by=by).changed == 1
    assert fresh(bare).updated_at > T0 and fresh(already).updated_at == T0
    assert (
        services.conversations_bulk_label(ids=[already.pk, bare.pk], label=label, by=by, add=False).changed
        == 2
    )
    assert not Conversation.labels.through.objects.exists()


# --- Read state -----------------------------------------------------------------------------------------


def test_mark_read_is_one_upsert(workspace, owner, make_conversation, django_assert_num_queries):
    conversation = make_conversation()
    with django_assert_num_queries(1):
        services.conversation_mark_read(conversation=conversation, user=owner, at=T0)
    with django_assert_num_queries(1):
        services.conversation_mark_read(conversation=conversation, user=owner, at=T0 + dt.timedelta(hours=1))
    assert ConversationRead.objects.get().read_at == T0 + dt.timedelta(hours=1)


def test_bulk_read_and_unread(workspace, owner, make_conversation, theirs):
    by = member(owner, workspace)
    a, b = make_conversation(), make_conversation()
    services.conversations_bulk_mark_read(ids=[a.pk, b.pk, theirs.pk], user=owner, by=by)
    assert set(ConversationRead.objects.values_list("conversation_id", flat=True)) == {a.pk, b.pk}
    services.conversations_mark_unread(ids=[a.pk], user=owner, by=by)
    assert set(ConversationRead.objects.values_list("conversation_id", flat=True)) == {b.pk}


# --- Notes and mentions ---------------------------------------------------------------------------------


@pytest.fixture
def team(workspace):
    people = {
        "ada": UserFactory(email="ada.lovelace@example.test", display_name="Ada Lovelace"),
        "marc": UserFactory(email="marc@example.test", display_name="Marc Dupont"),
        "marc2": UserFactory(email="m.bernard@example.test", display_name="Marc Bernard"),
        "zoe": UserFactory(email="zoe@example.test", display_name="Zoé Petit"),
    }
    for user in people.values():
        MembershipFactory(user=user, workspace=workspace, role=Membership.Role.AGENT)
    return people


def test_mentions_resolve_to_members_by_email_name_full_name_or_unique_first_name(team, outsider):
    members = list(team.values())
    found = services.resolve_mentions(
        "@ada.lovelace @MarcDupont and @zoé, not @marc (two Marcs), not @nobody, not mail@example.test",
        members,
    )
    assert {u.pk for u in found} == {team["ada"].pk, team["marc"].pk, team["zoe"].pk}
    assert services.resolve_mentions("@ada", members) == [team["ada"]]  # a unique first name
    assert services.resolve_mentions(f"@{outsider.email.split('@')[0]}", members) == []  # not a member here


def test_a_note_stores_its_mentions_and_emails_them_after_commit(
    workspace, agent, team, outsider, make_conversation, django_capture_on_commit_callbacks, mailoutbox
):
    conversation = make_conversation()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        note = services.note_create(
            conversation=conversation,
            author=team["ada"],
            text="@marc.dupont can you call her? cc @ada (myself) and @" + outsider.email.split("@")[0],
            by=member(team["ada"], workspace),
        )
    assert set(note.mentioned.all()) == {team["marc"]}  # not the author, not an outsider
    assert mailoutbox == []  # nothing leaves before the note is committed
    with django_capture_on_commit_callbacks(execute=True):  # the mail task is queued on commit in turn
        for callback in callbacks:
            callback()
    assert [m.to for m in mailoutbox] == [[team["marc"].email]]
    assert "Ada Lovelace mentioned you" in mailoutbox[0].subject
    assert f"/w/acme/inbox/{conversation.pk}/" in mailoutbox[0].body
    assert "can you call her?" in mailoutbox[0].body
    assert fresh(conversation).updated_at > T0


def test_an_empty_note_is_refused(workspace, agent, make_conversation):
    with pytest.raises(InboxError, match="empty"):
        services.note_create(
            conversation=make_conversation(), author=agent, text="  \n ", by=member(agent, workspace)
        )
    assert not Note.objects.exists()


def test_contact_notes(workspace, other_workspace, agent):
    lea = Contact.objects.create(workspace=workspace, network="facebook", external_id="lea")
    services.contact_set_notes(contact=lea, notes=" Prefers DMs ", by=member(agent, workspace))
    lea.refresh_from_db()
    assert lea.notes == "Prefers DMs"
    foreign = Contact.objects.create(workspace=other_workspace, network="facebook", external_id="lea")
    with pytest.raises(InboxError):
        services.contact_set_notes(contact=foreign, notes="x", by=member(agent, workspace))


# --- Presence -------------------------------------------------------------------------------------------


def test_presence_shows_others_replying_first_and_forgets_silent_people():
    presence.presence_ping(conversation_id=7, user_id=1, name="Me", state="viewing", now=1000)
    presence.presence_ping(conversation_id=7, user_id=2, name="Ada", state="viewing", now=1000)
    presence.presence_ping(conversation_id=7, user_id=3, name="Marc", state="replying", now=1005)
    presence.presence_ping(conversation_id=8, user_id=4, name="Elsewhere", state="viewing", now=1005)
    others = presence.presence_others(conversation_id=7, user_id=1, now=1010)
    assert [(p.name, p.state) for p in others] == [("Marc", "replying"), ("Ada", "viewing")]
    # Ada stops pinging: after the TTL she is gone; Marc keeps pinging.
    presence.presence_ping(conversation_id=7, user_id=3, name="Marc", state="viewing", now=1020)
    later = 1000 + presence.PRESENCE_TTL + 1
    assert [p.name for p in presence.presence_others(conversation_id=7, user_id=1, now=later)] == ["Marc"]
    presence.presence_leave(conversation_id=7, user_id=3)
    assert presence.presence_others(conversation_id=7, user_id=1, now=later) == []


def test_presence_accepts_only_known_states():
    presence.presence_ping(conversation_id=9, user_id=2, name="Ada", state="<b>hacking</b>", now=1000)
    assert presence.presence_others(conversation_id=9, user_id=1, now=1001)[0].state == "viewing"

"""Inbox reads: filters, search, keyset pages in every sort, live changes, read state, capped counts."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection

from inbox import selectors
from inbox.ingest import message_ingest_batch
from inbox.models import Contact, Conversation, ConversationRead, Label, Message
from inbox.selectors import AssigneeFilter, Cursor, InboxFilters, Sort
from networks.models import Channel

T0 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
_roots = itertools.count(1)


@pytest.fixture
def make_conversation(workspace, channel):
    def make(*, at: dt.datetime = T0, text: str = "", channel_=None, contact=None, **fields) -> Conversation:
        ch = channel_ or channel
        conversation = Conversation.objects.create(
            workspace=ch.workspace,
            channel=ch,
            kind=Conversation.Kind.COMMENT,
            root_external_id=f"root-{next(_roots)}",
            contact=contact,
            last_message_at=at,
            preview=text[:280],
            updated_at=at,
            **fields,
        )
        if text:
            Message.objects.create(
                workspace=ch.workspace,
                conversation=conversation,
                channel=ch,
                external_id=f"m-{conversation.root_external_id}",
                text=text,
                created_at=at,
                author_contact=contact,
            )
        return conversation

    return make


def page(workspace, user, **kwargs):
    cursor = kwargs.pop("cursor", None)
    limit = kwargs.pop("limit", 50)
    now = kwargs.pop("now", T0 + dt.timedelta(hours=1))
    return selectors.conversation_page(
        workspace=workspace, user=user, filters=InboxFilters(**kwargs), cursor=cursor, limit=limit, now=now
    )


def ids(result) -> list[int]:
    return [c.pk for c in result.rows]


def walk(workspace, user, limit=3, **filters) -> list[int]:
    """Every row, page after page, following the cursors."""
    seen, cursor = [], None
    for _ in range(50):
        result = page(workspace, user, cursor=cursor, limit=limit, **filters)
        seen += ids(result)
        if result.next_cursor is None:
            return seen
        cursor = Cursor.decode(result.next_cursor.encode())  # through the URL form, as a browser would
    raise AssertionError("pagination did not end")


# --- Order and pages ------------------------------------------------------------------------------------


def test_newest_activity_first_and_pages_cover_everything_once(workspace, owner, make_conversation):
    made = [make_conversation(at=T0 + dt.timedelta(minutes=n)) for n in range(8)]
    # Two rows sharing a timestamp: the id breaks the tie, so no row is skipped or repeated at a boundary.
    made.append(make_conversation(at=T0 + dt.timedelta(minutes=3)))
    expected = [c.pk for c in sorted(made, key=lambda c: (c.last_message_at, c.pk), reverse=True)]
    assert ids(page(workspace, owner)) == expected
    assert walk(workspace, owner, limit=3) == expected
    assert walk(workspace, owner, limit=2) == expected


def test_oldest_first_pages(workspace, owner, make_conversation):
    made = [make_conversation(at=T0 + dt.timedelta(minutes=n % 4)) for n in range(7)]
    expected = [c.pk for c in sorted(made, key=lambda c: (c.last_message_at, c.pk))]
    assert walk(workspace, owner, limit=2, sort=Sort.OLDEST) == expected


def test_any_status_pages_merge_the_statuses_in_activity_order(
    workspace, owner, make_conversation, django_assert_num_queries
):
    statuses = Conversation.Status.values
    made = [
        make_conversation(at=T0 + dt.timedelta(minutes=n % 5), status=statuses[n % len(statuses)])
        for n in range(13)
    ]
    newest = [c.pk for c in sorted(made, key=lambda c: (c.last_message_at, c.pk), reverse=True)]
    assert walk(workspace, owner, limit=3, status="") == newest
    assert walk(workspace, owner, limit=4, status="", sort=Sort.OLDEST) == newest[::-1]
    assert ids(page(workspace, owner, status="", assignee=AssigneeFilter.UNASSIGNED, limit=5)) == newest[:5]
    # One short index scan per status, then the winners with their row data and labels.
    with django_assert_num_queries(len(statuses) + 2):
        page(workspace, owner, status="", limit=3)


def test_sla_sort_puts_the_most_urgent_first_and_conversations_without_a_target_last(
    workspace, owner, make_conversation
):
    late = make_conversation(first_response_due_at=T0 - dt.timedelta(minutes=30))
    soon = make_conversation(first_response_due_at=T0 + dt.timedelta(minutes=10))
    later = make_conversation(first_response_due_at=T0 + dt.timedelta(hours=3))
    answered = make_conversation(  # already answered: its target no longer counts
        first_response_due_at=T0 - dt.timedelta(hours=5), first_response_at=T0 - dt.timedelta(hours=6)
    )
    no_target = make_conversation()
    expected = [late.pk, soon.pk, later.pk, answered.pk, no_target.pk]
    assert ids(page(workspace, owner, sort=Sort.SLA)) == expected
    assert walk(workspace, owner, limit=2, sort=Sort.SLA) == expected
    assert walk(workspace, owner, limit=1, sort=Sort.SLA) == expected


def test_malformed_cursors_are_ignored():
    for raw in ["", "nonsense", "2026-13-45T00:00,3", "2026-11-20T10:00:00,", ",4", "none,x"]:
        assert Cursor.decode(raw) is None, raw
    cursor = Cursor(T0, 42)
    assert Cursor.decode(cursor.encode()) == cursor
    assert Cursor.decode(cursor.encode().replace("+", " ")) == cursor  # "+" decoded as a space by a URL
    assert Cursor.decode("none,7") == Cursor(None, 7)


# --- Filters --------------------------------------------------------------------------------------------


def test_status_defaults_to_open_and_can_be_widened(workspace, owner, make_conversation):
    open_ = make_conversation()
    resolved = make_conversation(status=Conversation.Status.RESOLVED)
    spam = make_conversation(status=Conversation.Status.SPAM)
    assert ids(page(workspace, owner)) == [open_.pk]
    assert ids(page(workspace, owner, status=Conversation.Status.RESOLVED)) == [resolved.pk]
    assert set(ids(page(workspace, owner, status=""))) == {open_.pk, resolved.pk, spam.pk}


def test_assignee_filters(workspace, owner, manager, make_conversation):
    mine = make_conversation(assignee=owner)
    theirs = make_conversation(assignee=manager)
    nobody = make_conversation()
    assert ids(page(workspace, owner, assignee=AssigneeFilter.ME)) == [mine.pk]
    assert ids(page(workspace, owner, assignee=AssigneeFilter.UNASSIGNED)) == [nobody.pk]
    assert ids(page(workspace, owner, assignee=str(manager.pk))) == [theirs.pk]
    assert len(ids(page(workspace, owner))) == 3


def test_channel_network_label_priority_and_date_filters(workspace, owner, channel, make_conversation):
    x = Channel.objects.create(
        workspace=workspace, network="x", external_id="X1", name="Acme X", api_base_url="http://127.0.0.1:9"
    )
    on_x = make_conversation(channel_=x, at=T0 - dt.timedelta(days=3))
    urgent = make_conversation(priority=Conversation.Priority.URGENT, at=T0 - dt.timedelta(days=1))
    labelled = make_conversation(at=T0)
    label = Label.objects.create(workspace=workspace, name="Delivery")
    labelled.labels.add(label)

    assert ids(page(workspace, owner, channel_id=x.pk)) == [on_x.pk]
    assert ids(page(workspace, owner, network="x")) == [on_x.pk]
    assert set(ids(page(workspace, owner, network="facebook"))) == {urgent.pk, labelled.pk}
    assert ids(page(workspace, owner, label_id=label.pk)) == [labelled.pk]
    assert ids(page(workspace, owner, priority=Conversation.Priority.URGENT)) == [urgent.pk]
    day_before = (T0 - dt.timedelta(days=1)).date()
    assert ids(page(workspace, owner, date_from=day_before, date_to=day_before)) == [urgent.pk]
    assert set(ids(page(workspace, owner, date_from=day_before))) == {urgent.pk, labelled.pk}
    assert ids(page(workspace, owner, date_to=(T0 - dt.timedelta(days=2)).date())) == [on_x.pk]


def test_date_range_follows_the_workspace_time_zone(workspace, owner, make_conversation):
    workspace.timezone = "Pacific/Auckland"  # UTC+13 in November
    workspace.save()
    # 12:00 UTC on the 20th is already 01:00 on the 21st in Auckland.
    late = make_conversation(at=T0)
    assert ids(page(workspace, owner, date_from=dt.date(2026, 11, 21), date_to=dt.date(2026, 11, 21))) == [
        late.pk
    ]
    assert ids(page(workspace, owner, date_to=dt.date(2026, 11, 20))) == []


def test_overdue_means_past_target_without_a_first_response_on_a_live_conversation(
    workspace, owner, make_conversation
):
    now = T0
    overdue = make_conversation(first_response_due_at=now - dt.timedelta(minutes=1))
    make_conversation(first_response_due_at=now + dt.timedelta(minutes=20))  # not yet
    make_conversation(  # answered in time
        first_response_due_at=now - dt.timedelta(minutes=1), first_response_at=now - dt.timedelta(minutes=5)
    )
    make_conversation(first_response_due_at=now - dt.timedelta(hours=1), status=Conversation.Status.RESOLVED)
    assert ids(page(workspace, owner, overdue=True, now=now)) == [overdue.pk]
    assert ids(page(workspace, owner, overdue=True, status="", now=now)) == [overdue.pk]
    rows = {c.pk: c for c in page(workspace, owner, now=now).rows}
    assert rows[overdue.pk].overdue and not rows[overdue.pk].due_soon


def test_another_workspaces_conversations_never_show(workspace, other_workspace, owner, make_conversation):
    theirs = Channel.objects.create(
        workspace=other_workspace,
        network="facebook",
        external_id="PAGE9",
        name="Theirs",
        api_base_url="http://127.0.0.1:9",
    )
    make_conversation(channel_=theirs, text="croissant secret")
    mine = make_conversation(text="croissant ordinaire")
    assert ids(page(workspace, owner)) == [mine.pk]
    assert ids(page(workspace, owner, q="croissant")) == [mine.pk]
    assert ids(page(workspace, owner, channel_id=theirs.pk)) == []


# --- Search ---------------------------------------------------------------------------------------------


def test_search_finds_message_text_and_contact_names_and_combines_with_filters(
    workspace, owner, channel, make_item
):
    message_ingest_batch(
        channel=channel,
        items=[
            make_item("Where is my delivery? Order 1234", author="fan-1", name="Léa Martin"),
            make_item("Les croissants sont excellents", author="fan-2", name="Tom Durand"),
            make_item("Delivery was late again", author="fan-3", name="Sam Lee"),
        ],
    )
    by_contact = {c.contact.name: c for c in Conversation.objects.select_related("contact")}
    assert set(ids(page(workspace, owner, q="delivery"))) == {
        by_contact["Léa Martin"].pk,
        by_contact["Sam Lee"].pk,
    }
    assert ids(page(workspace, owner, q="Durand")) == [by_contact["Tom Durand"].pk]  # the contact's name
    Conversation.objects.filter(pk=by_contact["Sam Lee"].pk).update(status=Conversation.Status.RESOLVED)
    assert ids(page(workspace, owner, q="delivery")) == [by_contact["Léa Martin"].pk]
    assert ids(page(workspace, owner, q="delivery", status="")) != []
    assert ids(page(workspace, owner, q="zeppelin")) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
def test_postgresql_search_stems_french_and_english_and_reads_web_syntax(
    workspace, owner, channel, make_item
):
    message_ingest_batch(
        channel=channel,
        items=[
            make_item("Nous livrons les gâteaux le dimanche", author="fan-1", name="A"),
            make_item("The parcels were delivered yesterday", author="fan-2", name="B"),
            make_item("Livraison annulée, remboursement demandé", author="fan-3", name="C"),
        ],
    )
    texts = {m.conversation_id: m.text for m in Message.objects.all()}  # conversation id -> its only message

    def found(q):
        return {texts[pk] for pk in ids(page(workspace, owner, q=q))}

    assert found("gâteau") == {"Nous livrons les gâteaux le dimanche"}  # French plural stemmed
    assert found("deliver") == {"The parcels were delivered yesterday"}  # English stemming
    assert found('"remboursement demandé"') == {"Livraison annulée, remboursement demandé"}  # phrase
    assert found("livraison -remboursement") == set()  # excluded word
    assert found("dimanche OR yesterday") == {
        "Nous livrons les gâteaux le dimanche",
        "The parcels were delivered yesterday",
    }


# --- Read state -----------------------------------------------------------------------------------------


def test_unread_is_per_member_and_about_inbound_activity(workspace, owner, manager, make_conversation):
    conversation = make_conversation(last_inbound_at=T0)
    quiet = make_conversation()  # nothing inbound: nothing to read
    ConversationRead.objects.create(
        conversation=conversation, user=owner, read_at=T0 + dt.timedelta(seconds=1)
    )
    by_owner = {c.pk: c.unread for c in page(workspace, owner).rows}
    by_manager = {c.pk: c.unread for c in page(workspace, manager).rows}
    assert by_owner == {conversation.pk: False, quiet.pk: False}
    assert by_manager == {conversation.pk: True, quiet.pk: False}
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=T0 + dt.timedelta(minutes=5))
    assert {c.pk: c.unread for c in page(workspace, owner).rows}[conversation.pk] is True


# --- Live changes ---------------------------------------------------------------------------------------


def test_changes_report_new_and_changed_rows_and_rows_that_left_the_filter(
    workspace, owner, make_conversation
):
    since = T0 + dt.timedelta(minutes=10)
    before = since - dt.timedelta(minutes=5)  # older than the overlap window: not a change
    shown_same = make_conversation(at=before)
    shown_changed = make_conversation(at=before)
    leaving = make_conversation(at=before)
    brand_new = make_conversation(at=before)
    for c in (shown_changed, leaving, brand_new):
        Conversation.objects.filter(pk=c.pk).update(updated_at=since + dt.timedelta(seconds=1))
    Conversation.objects.filter(pk=leaving.pk).update(status=Conversation.Status.RESOLVED)
    fresh = {c.pk: c for c in Conversation.objects.all()}
    shown = {
        shown_same.pk: selectors.row_version(shown_same.pk, fresh[shown_same.pk].updated_at),
        shown_changed.pk: selectors.row_version(shown_changed.pk, before),  # the page has an old version
        leaving.pk: selectors.row_version(leaving.pk, before),
    }
    changes = selectors.conversation_changes(
        workspace=workspace, user=owner, filters=InboxFilters(), since=since, shown=shown, now=since
    )
    assert {c.pk for c in changes.upsert} == {shown_changed.pk, brand_new.pk}
    assert changes.remove == [leaving.pk]
    # A second poll with what the page now holds: nothing to do, in one query.
    shown = {pk: selectors.row_version(pk, fresh[pk].updated_at) for pk in fresh}
    changes = selectors.conversation_changes(
        workspace=workspace, user=owner, filters=InboxFilters(), since=since, shown=shown, now=since
    )
    assert changes.upsert == [] and changes.remove == []


def test_changes_look_slightly_behind_since_for_late_commits(workspace, owner, make_conversation):
    since = T0
    late_commit = make_conversation(at=T0)
    Conversation.objects.filter(pk=late_commit.pk).update(updated_at=since - dt.timedelta(seconds=3))
    changes = selectors.conversation_changes(
        workspace=workspace, user=owner, filters=InboxFilters(), since=since, shown={}, now=since
    )
    assert [c.pk for c in changes.upsert] == [late_commit.pk]


# --- Counts, conversation detail ------------------------------------------------------------------------


def test_capped_count_stops_at_the_cap(workspace, owner, make_conversation, django_assert_num_queries):
    for _ in range(6):
        make_conversation()
    qs = Conversation.objects.for_workspace(workspace)
    assert selectors.capped_count(qs, cap=3) == 4  # "3+"
    assert selectors.capped_count(qs, cap=10) == 6
    with django_assert_num_queries(1):
        selectors.my_queue_count(workspace=workspace, user=owner)


def test_my_queue_counts_open_conversations_that_are_mine_or_nobodys(
    workspace, owner, manager, make_conversation
):
    make_conversation(assignee=owner)
    make_conversation()
    make_conversation(assignee=manager)
    make_conversation(status=Conversation.Status.RESOLVED)
    assert selectors.my_queue_count(workspace=workspace, user=owner) == 2


def test_thread_is_in_order_and_its_version_is_the_newest_message_id(workspace, make_conversation, channel):
    conversation = make_conversation(text="first", at=T0)
    later = Message.objects.create(
        workspace=workspace,
        conversation=conversation,
        channel=channel,
        external_id="later",
        text="second",
        created_at=T0 + dt.timedelta(minutes=1),
    )
    # Ingested late with an earlier network time: sorts first, but is the newest row.
    early = Message.objects.create(
        workspace=workspace,
        conversation=conversation,
        channel=channel,
        external_id="early",
        text="zero",
        created_at=T0 - dt.timedelta(minutes=1),
    )
    thread = selectors.thread(conversation)
    assert [m.text for m in thread] == ["zero", "first", "second"]
    assert (
        selectors.thread_version(conversation) == early.pk == selectors.thread_version(conversation, thread)
    )
    assert selectors.has_messages_after(conversation, later.pk)
    assert not selectors.has_messages_after(conversation, early.pk)


def test_contact_history_lists_their_other_conversations_here_only(
    workspace, other_workspace, make_conversation
):
    lea = Contact.objects.create(workspace=workspace, network="facebook", external_id="lea", name="Léa")
    current = make_conversation(contact=lea, at=T0)
    older = make_conversation(contact=lea, at=T0 - dt.timedelta(days=3), status=Conversation.Status.RESOLVED)
    make_conversation()  # someone else
    assert [c.pk for c in selectors.contact_history(current)] == [older.pk]


def test_untrusted_urls_and_colours_are_reduced_to_safe_values(workspace):
    assert selectors.http_url("javascript:alert(1)") == ""
    assert selectors.http_url(" https://example.com/a ") == "https://example.com/a"
    good = Label(pk=1, workspace=workspace, name="a", color="#12aBEf")
    bad = Label(pk=2, workspace=workspace, name="b", color="red;}")
    assert selectors.label_colours([good, bad]) == [(1, "#12aBEf")]

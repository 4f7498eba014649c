"""Inbox pages: tenancy, the list (rows, filters, pages, live updates, bulk actions), the conversation page
(thread, notes, contact card, actions, presence), escaping and CSP, and query counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbox.ingest import message_ingest_batch
from inbox.models import Contact, Conversation, ConversationRead, Label, Message, ModerationAction, Note
from inbox.selectors import row_version
from networks.models import Channel
from tests.workspace_urls import workspace_paths

HTMX = {"HTTP_HX_REQUEST": "true"}
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"


@pytest.fixture
def ingest(channel, make_item):
    """Conversations as the poller stores them: `ingest(3)` makes three threads from three people."""

    def run(count: int = 1, **kwargs) -> list[Conversation]:
        items = [
            make_item(
                kwargs.get("text", f"Question {n}"), author=f"fan-{n}", name=kwargs.get("name", f"Fan {n}")
            )
            for n in range(count)
        ]
        result = message_ingest_batch(channel=channel, items=items)
        return list(Conversation.objects.filter(pk__in=result.conversation_ids).order_by("pk"))

    return run


def url(conversation: Conversation, action: str = "") -> str:
    return f"/w/acme/inbox/{conversation.pk}/" + (f"{action}/" if action else "")


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- Tenancy --------------------------------------------------------------------------------------------


def test_every_inbox_route_is_walked_by_the_tenancy_test(workspace):
    inbox_paths = [p for p in workspace_paths(workspace.slug) if "/inbox/" in p]
    assert "/w/acme/inbox/" in inbox_paths and "/w/acme/inbox/1/messages/1/moderate/" in inbox_paths
    assert len(inbox_paths) >= 15


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_on_every_inbox_url_with_real_ids(outsider_client, ingest, method):
    conversation = ingest(1)[0]
    message = conversation.messages.get()
    for path in workspace_paths("acme", pk=conversation.pk):
        if "/inbox/" not in path:
            continue
        path = path.replace(f"/messages/{conversation.pk}/", f"/messages/{message.pk}/")
        response = getattr(outsider_client, method)(path, {"status": "resolved"})
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"
    assert Conversation.objects.get().status == "open"


def test_a_conversation_cannot_be_reached_through_another_workspace(outsider_client, ingest):
    conversation = ingest(1)[0]
    message = conversation.messages.get()
    base = f"/w/other/inbox/{conversation.pk}/"
    assert outsider_client.get(base).status_code == 404
    for action, data in [
        ("status/", {"status": "resolved"}),
        ("assign/", {"assignee": "me"}),
        ("labels/", {"name": "leak"}),
        ("notes/", {"text": "hello"}),
        ("presence/", {"state": "viewing"}),
        (f"messages/{message.pk}/moderate/", {"action": "hide"}),
    ]:
        assert outsider_client.post(base + action, data).status_code == 404, action
    response = outsider_client.post("/w/other/inbox/bulk/", {"ids": [conversation.pk], "action": "resolve"})
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == "open" and conversation.assignee is None
    assert not Label.objects.exists() and not Note.objects.exists()


def test_the_badge_does_not_count_another_workspace(outsider_client, ingest):
    ingest(3)
    response = outsider_client.get("/w/other/inbox/badge/", **HTMX)
    assert response.status_code == 200 and response.content.decode().strip() == ""


# --- The list -------------------------------------------------------------------------------------------


def test_list_rows_show_what_a_triager_needs(manager_client, manager, agent, workspace, ingest):
    first, second = ingest(2)
    label = Label.objects.create(workspace=workspace, name="Delivery", color="#c0392b")
    first.labels.add(label)
    Conversation.objects.filter(pk=first.pk).update(
        assignee=agent, priority=3, first_response_due_at=timezone.now() - dt.timedelta(minutes=5)
    )
    ConversationRead.objects.create(conversation=second, user=manager)  # read by this manager only
    page = html_of(manager_client.get("/w/acme/inbox/"))
    rows = dict(re.findall(r'<li id="conv-(\d+)" class="([^"]*)"', page))
    assert "is-unread" in rows[str(first.pk)] and "is-overdue" in rows[str(first.pk)]
    assert "is-unread" not in rows[str(second.pk)]
    assert page.index(f'id="conv-{second.pk}"') < page.index(f'id="conv-{first.pk}"')  # newest first
    for expected in [
        '<span class="network network-facebook">Facebook</span>',
        "Fan 0",
        "Question 0",
        f"Assigned to {agent.name}",
        '<span class="label label-',
        "Delivery",
        "Urgent",
        "Overdue by",
        "Unassigned",
    ]:
        assert expected in page, expected
    assert "--label:#c0392b" in page  # the label's colour, in the nonce'd stylesheet


def test_filters_come_from_the_query_string_and_bad_values_are_ignored(manager_client, ingest):
    first, second = ingest(2)
    Conversation.objects.filter(pk=first.pk).update(status="resolved")
    page = html_of(manager_client.get("/w/acme/inbox/?status=resolved"))
    assert f'id="conv-{first.pk}"' in page and f'id="conv-{second.pk}"' not in page
    page = html_of(manager_client.get("/w/acme/inbox/?status=bogus&priority=x&date_from=yesterday&label=99"))
    assert f'id="conv-{second.pk}"' in page  # the defaults stand in for what was not understood
    notice = re.search(r"Some filters were not understood and are ignored: ([^<]*)<", page).group(1)
    assert notice == "Status, Label, Priority, From"
    page = html_of(manager_client.get("/w/acme/inbox/?q=Question+1&status=all"))
    assert f'id="conv-{second.pk}"' in page and f'id="conv-{first.pk}"' not in page


def test_next_page_link_follows_a_keyset_cursor(manager_client, ingest, monkeypatch):
    monkeypatch.setattr("inbox.selectors.PAGE_SIZE", 2)
    made = ingest(5)
    page = html_of(manager_client.get("/w/acme/inbox/"))
    newest = [c.pk for c in sorted(made, key=lambda c: (c.last_message_at, c.pk), reverse=True)]
    shown = [int(pk) for pk in re.findall(r'<li id="conv-(\d+)"', page)]
    assert shown == newest[:2]
    next_url = re.search(r'data-more href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "before=" in next_url and "offset" not in next_url
    second = html_of(manager_client.get(next_url))
    assert [int(pk) for pk in re.findall(r'<li id="conv-(\d+)"', second)] == newest[2:4]
    assert "Back to the newest" in second
    assert 'id="inbox-poll"' not in second  # later pages don't take live inserts
    more = html_of(manager_client.get(next_url + "&more=1", **HTMX))
    assert 'hx-swap-oob="beforeend:#conversation-rows"' in more and 'id="inbox-pager"' in more
    assert "<html" not in more


def test_filtering_under_htmx_answers_with_the_list_region_only(manager_client, ingest):
    ingest(2)
    fragment = html_of(manager_client.get("/w/acme/inbox/?status=open", **HTMX))
    assert fragment.lstrip().startswith('<section id="inbox-list"') and "<html" not in fragment


def test_the_list_says_it_varies_on_htmx_so_no_cache_serves_the_fragment_for_the_page(manager_client, ingest):
    ingest(1)
    for headers in ({}, HTMX):
        response = manager_client.get("/w/acme/inbox/", **headers)
        assert "HX-Request" in response.headers.get("Vary", ""), headers


def test_going_back_in_the_browser_gets_the_whole_inbox_page_not_its_fragment(manager_client, ingest):
    """htmx's history restore (the back button, its cache missed) swaps the answer in as the page."""
    ingest(1)
    restore = html_of(
        manager_client.get("/w/acme/inbox/?status=open", **HTMX, HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    )
    assert "<html" in restore and 'id="inbox-list"' in restore
    # The page, not the page plus the fragment's out-of-band extras: one quick-views bar, none swapped.
    assert restore.count('id="inbox-views"') == 1 and restore.count('id="messages"') == 1


def test_live_updates_add_new_rows_redraw_changed_ones_and_drop_those_that_left(manager_client, ingest):
    kept, leaving = ingest(2)
    page = html_of(manager_client.get("/w/acme/inbox/"))
    since = re.search(r'id="inbox-since" name="since" value="([^"]+)"', page).group(1)
    shown = re.findall(r'name="shown" value="([^"]+)"', page)
    poll = {"since": since, "shown": shown}

    quiet = html_of(manager_client.get("/w/acme/inbox/updates/", poll, **HTMX))
    assert "conv-" not in quiet and 'id="inbox-since"' in quiet  # nothing changed: only the new since

    new = ingest(1, text="Brand new question", name="Newcomer")  # author fan-0 again: a new thread though
    Conversation.objects.filter(pk=leaving.pk).update(status="resolved", updated_at=timezone.now())
    Conversation.objects.filter(pk=kept.pk).update(priority=3, updated_at=timezone.now())
    update = html_of(manager_client.get("/w/acme/inbox/updates/", {**poll, "ids": [str(kept.pk)]}, **HTMX))
    assert f'<li id="conv-{leaving.pk}" hx-swap-oob="delete">' in update
    redrawn = re.search(rf'<li id="conv-{kept.pk}"[^>]*>', update).group(0)
    assert 'hx-swap-oob="true"' in redrawn
    assert re.search(
        rf'value="{kept.pk}" form="bulk-form" id="tick-{kept.pk}" checked', update
    )  # still ticked
    assert 'hx-swap-oob="afterbegin:#conversation-rows"' in update and "Brand new question" in update
    assert f'id="conv-{new[0].pk}"' in update


def test_live_updates_respect_the_filters(manager_client, ingest):
    page = html_of(manager_client.get("/w/acme/inbox/?status=resolved"))
    since = re.search(r'name="since" value="([^"]+)"', page).group(1)
    ingest(1)  # open: not for a "resolved" list
    update = html_of(
        manager_client.get("/w/acme/inbox/updates/", {"since": since, "status": "resolved"}, **HTMX)
    )
    assert "conv-" not in update


def test_the_badge_counts_open_conversations_for_me_or_nobody(manager_client, manager, agent, ingest):
    a, *_rest = ingest(3)
    Conversation.objects.filter(pk=a.pk).update(assignee=agent)
    badge = html_of(manager_client.get("/w/acme/inbox/badge/", **HTMX))
    assert '<span class="badge badge-count">2' in badge
    page = html_of(manager_client.get("/w/acme/"))
    assert 'href="/w/acme/inbox/"' in page and 'hx-get="/w/acme/inbox/badge/"' in page


# --- Bulk actions ---------------------------------------------------------------------------------------


def test_bulk_resolve_without_javascript_redirects_back(agent_client, ingest):
    a, b, _c = ingest(3)
    response = agent_client.post(
        "/w/acme/inbox/bulk/",
        {"ids": [a.pk, b.pk], "action": "resolve", "next": "/w/acme/inbox/?assignee=anyone"},
    )
    assert response.status_code == 302 and response.url == "/w/acme/inbox/?assignee=anyone"
    assert set(Conversation.objects.filter(status="resolved").values_list("pk", flat=True)) == {a.pk, b.pk}


def test_bulk_under_htmx_answers_with_the_refreshed_list(agent_client, ingest):
    a, b = ingest(2)
    fragment = html_of(
        agent_client.post(
            "/w/acme/inbox/bulk/",
            {"ids": [a.pk], "action": "status", "status": "pending", "next": "/w/acme/inbox/"},
            **HTMX,
        )
    )
    assert fragment.lstrip().startswith('<section id="inbox-list"')
    assert f'id="conv-{a.pk}"' not in fragment and f'id="conv-{b.pk}"' in fragment
    assert "1 conversation updated." in fragment


def test_the_next_url_cannot_leave_the_site(agent_client, ingest):
    a = ingest(1)[0]
    response = agent_client.post(
        "/w/acme/inbox/bulk/", {"ids": [a.pk], "action": "resolve", "next": "https://evil.example/"}
    )
    assert response.url == "/w/acme/inbox/"


def test_agents_cannot_bulk_assign_others_but_can_take_unassigned_ones(agent_client, agent, manager, ingest):
    a, b, c = ingest(3)
    Conversation.objects.filter(pk=c.pk).update(assignee=manager)
    page = html_of(agent_client.get("/w/acme/inbox/"))
    assert 'id="bulk-assignee"' not in page  # the policy: agents have no "assign to" menu
    response = agent_client.post(
        "/w/acme/inbox/bulk/", {"ids": [a.pk, b.pk], "action": "assign", "assignee": manager.pk}, follow=True
    )
    assert "Only managers can assign conversations to others." in response.content.decode()
    assert not Conversation.objects.filter(pk__in=[a.pk, b.pk], assignee__isnull=False).exists()
    response = agent_client.post(
        "/w/acme/inbox/bulk/", {"ids": [a.pk, c.pk], "action": "assign_me"}, follow=True
    )
    assert "1 conversation was left as it was" in response.content.decode()
    assert Conversation.objects.get(pk=a.pk).assignee == agent
    assert Conversation.objects.get(pk=c.pk).assignee == manager


def test_managers_bulk_assign_label_prioritise_and_mark_unread(
    manager_client, manager, agent, workspace, ingest
):
    a, b = ingest(2)
    label = Label.objects.create(workspace=workspace, name="VIP")
    ids = [a.pk, b.pk]
    for data in [
        {"action": "assign", "assignee": agent.pk},
        {"action": "label", "label": label.pk},
        {"action": "priority", "priority": 2},
        {"action": "read"},
    ]:
        assert manager_client.post("/w/acme/inbox/bulk/", {"ids": ids, **data}).status_code == 302
    for conversation in Conversation.objects.filter(pk__in=ids):
        assert conversation.assignee == agent and conversation.priority == 2
        assert list(conversation.labels.all()) == [label]
    assert ConversationRead.objects.filter(user=manager).count() == 2
    manager_client.post("/w/acme/inbox/bulk/", {"ids": ids, "action": "unread"})
    assert not ConversationRead.objects.filter(user=manager).exists()


def test_bulk_with_nothing_ticked_says_so(agent_client):
    response = agent_client.post("/w/acme/inbox/bulk/", {"action": "resolve"}, follow=True)
    assert "Tick at least one conversation first." in response.content.decode()


# --- The conversation page ------------------------------------------------------------------------------


@pytest.fixture
def thread(workspace, channel, ingest, manager):
    conversation = ingest(1)[0]
    Conversation.objects.filter(pk=conversation.pk).update(post_permalink="https://facebook.com/PAGE1_POST1")
    conversation.refresh_from_db()
    base = conversation.messages.get().created_at

    def reply(text, status, minutes, **fields):
        return Message.objects.create(
            workspace=workspace,
            conversation=conversation,
            channel=channel,
            direction=Message.Direction.OUT,
            author_user=manager,
            text=text,
            send_status=status,
            created_at=base + dt.timedelta(minutes=minutes),
            **fields,
        )

    reply("Yes, we deliver on Sundays.", Message.SendStatus.SENT, 1, external_id="r1")
    reply("A failed one", Message.SendStatus.FAILED, 2, send_error="The comment was deleted by its author.")
    Note.objects.create(conversation=conversation, author=manager, text="VIP, be nice")
    return conversation


def test_the_conversation_page_shows_the_thread_notes_contact_and_post(
    manager_client, manager, thread, ingest
):
    page = html_of(manager_client.get(url(thread)))
    assert page.index("Question 0") < page.index("Yes, we deliver on Sundays.") < page.index("A failed one")
    assert re.search(r'class="message-item is-inbound".*?Question 0', page, re.S)
    assert re.search(r'class="message-item is-outbound".*?badge-send-sent">Sent<', page, re.S)
    assert "Not sent. The comment was deleted by its author." in page
    assert "VIP, be nice" in page and manager.name in page
    assert "View it on Facebook" in page and "https://facebook.com/PAGE1_POST1" in page
    assert "PAGE1_POST1" in page
    assert '<section id="contact-card"' in page and "Fan 0" in page and "@fan-0" in page
    assert ConversationRead.objects.filter(conversation=thread, user=manager).exists()  # read on view


def test_the_page_exposes_the_thread_version_for_the_composer(manager_client, thread):
    page = html_of(manager_client.get(url(thread)))
    newest = thread.messages.order_by("-pk").first().pk
    assert (
        f'<input type="hidden" name="thread_version" id="thread-version" value="{newest}" form="reply-form">'
        in page
    )
    reply_area = page[page.index('<section id="reply-area"') :]
    assert reply_area.index('id="thread-version"') < reply_area.index("</section>")


def test_contact_card_lists_other_conversations_of_the_same_person(manager_client, channel, make_item):
    first = make_item("Order late", author="lea", name="Léa")
    second = make_item("Another question", author="lea", name="Léa")
    message_ingest_batch(channel=channel, items=[first, second])
    older, newer = Conversation.objects.order_by("last_message_at")
    page = html_of(manager_client.get(url(newer)))
    card = page[page.index('<section id="contact-card"') :]
    assert f'href="/w/acme/inbox/{older.pk}/"' in card and "Order late" in card
    assert "<dt>Messages</dt><dd>2</dd>" in card


def test_hidden_messages_are_marked(manager_client, thread):
    thread.messages.filter(direction="in").update(hidden=True)
    page = html_of(manager_client.get(url(thread)))
    assert "message-item is-inbound is-hidden" in page and "Hidden on the network" in page


# --- Actions on a conversation --------------------------------------------------------------------------


def test_status_without_javascript_redirects_and_with_htmx_swaps_the_header(agent_client, thread):
    response = agent_client.post(url(thread, "status"), {"status": "pending"})
    assert response.status_code == 302 and response.url == url(thread)
    assert Conversation.objects.get(pk=thread.pk).status == "pending"
    fragment = html_of(agent_client.post(url(thread, "status"), {"status": "resolved"}, **HTMX))
    assert fragment.lstrip().startswith('<header id="conversation-header"')
    assert "Status: Resolved." in fragment and 'badge-status-resolved">Resolved' in fragment
    assert Conversation.objects.get(pk=thread.pk).resolved_at is not None


def test_assign_labels_priority_and_sensitivity_from_the_page(
    manager_client, agent_client, agent, workspace, thread
):
    assert manager_client.post(url(thread, "assign"), {"assignee": agent.pk}).status_code == 302
    manager_client.post(url(thread, "labels"), {"name": "Livraison"})  # created inline
    manager_client.post(url(thread, "priority"), {"priority": "3"})
    agent_client.post(url(thread, "sensitive"), {"sensitive": "1"})
    stored = Conversation.objects.get(pk=thread.pk)
    assert stored.assignee == agent and stored.priority == 3 and stored.sensitive
    label = Label.objects.get(workspace=workspace, name="Livraison")
    assert list(stored.labels.all()) == [label]
    fragment = html_of(manager_client.post(url(thread, "labels"), {"remove": label.pk}, **HTMX))
    assert "Label “Livraison” removed." in fragment and not stored.labels.exists()
    # An agent cannot lift the flag: the refusal is shown, the flag stays.
    fragment = html_of(agent_client.post(url(thread, "sensitive"), {"sensitive": "0"}, **HTMX))
    assert "does not allow" in fragment and Conversation.objects.get(pk=thread.pk).sensitive


def test_an_agent_takes_an_unassigned_conversation_but_not_someone_elses(
    agent_client, agent, manager, thread
):
    page = html_of(agent_client.get(url(thread)))
    assert 'data-shortcut="assign-me"' in page and 'id="assign-to"' not in page
    agent_client.post(url(thread, "assign"), {"assignee": "me"})
    assert Conversation.objects.get(pk=thread.pk).assignee == agent
    Conversation.objects.filter(pk=thread.pk).update(assignee=manager)
    fragment = html_of(agent_client.post(url(thread, "assign"), {"assignee": "me"}, **HTMX))
    assert "Someone else already has this conversation" in fragment
    assert Conversation.objects.get(pk=thread.pk).assignee == manager


def test_hiding_a_comment_from_the_thread_queues_it_and_shows_it_on_its_way(
    agent_client, thread, django_capture_on_commit_callbacks, broker
):
    message = thread.messages.get(direction="in")
    page = html_of(agent_client.get(url(thread)))
    assert "Hide on Facebook" in page and f"messages/{message.pk}/moderate/" in page
    assert "Delete on Facebook" not in page  # agents may not delete
    assert "Reply privately" not in page  # the comment is older than the 7 days Facebook allows

    with django_capture_on_commit_callbacks(execute=True):
        fragment = html_of(
            agent_client.post(url(thread, f"messages/{message.pk}/moderate"), {"action": "hide"}, **HTMX)
        )
    assert fragment.lstrip().startswith(f'<li id="message-{message.pk}"')
    assert "Hiding it on the network" in fragment and 'hx-trigger="every 2s"' in fragment
    assert "Hide on Facebook" not in fragment  # one change at a time
    assert ModerationAction.objects.get().action == "hide" and broker.ids("inbox.moderate")


def test_moderating_where_the_network_cannot_is_refused_with_the_reason(agent_client, thread):
    Channel.objects.filter(pk=thread.channel_id).update(network="linkedin")
    message = thread.messages.get(direction="in")
    assert "Hide on" not in html_of(agent_client.get(url(thread)))
    fragment = html_of(
        agent_client.post(url(thread, f"messages/{message.pk}/moderate"), {"action": "hide"}, **HTMX)
    )
    assert "LinkedIn does not let CM Hub do this" in fragment
    assert not ModerationAction.objects.exists()


def test_a_manager_gets_the_delete_button_and_the_page_works_without_javascript(
    manager_client, thread, broker
):
    message = thread.messages.get(direction="in")
    assert "Delete on Facebook" in html_of(manager_client.get(url(thread)))
    response = manager_client.post(url(thread, f"messages/{message.pk}/moderate"), {"action": "delete"})
    assert response.status_code == 302 and response["Location"] == url(thread)
    assert ModerationAction.objects.get().action == "delete"


def test_a_message_of_another_conversation_is_404(agent_client, thread, ingest):
    other = ingest(2)[1]
    message = other.messages.first()
    assert (
        agent_client.post(url(thread, f"messages/{message.pk}/moderate"), {"action": "hide"}).status_code
        == 404
    )
    assert agent_client.get(url(thread, f"messages/{message.pk}/moderation")).status_code == 404


def test_a_note_with_a_mention_is_added_and_the_teammate_emailed(
    agent_client, agent, manager, thread, django_capture_on_commit_callbacks
):
    handle = manager.email.split("@")[0]
    with django_capture_on_commit_callbacks(execute=True):
        fragment = html_of(
            agent_client.post(url(thread, "notes"), {"text": f"@{handle} please look"}, **HTMX)
        )
    assert fragment.lstrip().startswith('<section id="notes"') and "please look" in fragment
    note = Note.objects.latest("pk")
    assert list(note.mentioned.all()) == [manager]
    assert [m.to for m in mail.outbox] == [[manager.email]]


def test_contact_notes_are_saved(agent_client, thread):
    fragment = html_of(agent_client.post(url(thread, "contact-notes"), {"notes": "Allergic to nuts"}, **HTMX))
    assert "Allergic to nuts" in fragment and "Contact notes saved." in fragment
    assert Contact.objects.get(pk=thread.contact_id).notes == "Allergic to nuts"


def test_presence_tells_who_else_is_here_and_whether_messages_arrived(
    manager_client, agent_client, agent, manager, thread, channel, make_item
):
    version = thread.messages.order_by("-pk").first().pk
    agent_client.post(url(thread, "presence"), {"state": "replying", "thread_version": version})
    fragment = html_of(
        manager_client.post(url(thread, "presence"), {"state": "viewing", "thread_version": version})
    )
    assert f"{agent.name} is replying" in fragment
    assert '<div id="thread-notice"' in fragment and "New messages arrived" not in fragment
    message_ingest_batch(channel=channel, items=[make_item("One more thing", parent=thread.root_external_id)])
    fragment = html_of(
        manager_client.post(url(thread, "presence"), {"state": "viewing", "thread_version": version})
    )
    assert "New messages arrived in this conversation." in fragment
    thread_update = html_of(manager_client.get(url(thread, "thread"), **HTMX))
    newest = thread.messages.order_by("-pk").first().pk
    assert "One more thing" in thread_update
    assert f'value="{newest}" form="reply-form" hx-swap-oob="true"' in thread_update
    # Leaving clears the entry at once.
    assert agent_client.post(url(thread, "presence"), {"state": "left"}).status_code == 204
    fragment = html_of(manager_client.post(url(thread, "presence"), {"state": "viewing"}))
    assert agent.name not in fragment


# --- Escaping and CSP -----------------------------------------------------------------------------------


def test_network_text_is_escaped_everywhere(manager_client, channel, make_item, workspace):
    message_ingest_batch(channel=channel, items=[make_item(XSS, author="evil", name=XSS)])
    conversation = Conversation.objects.get()
    Message.objects.update(permalink="javascript:alert(1)")
    Contact.objects.update(avatar_url="javascript:alert(1)", profile_url="javascript:alert(2)")
    Note.objects.create(conversation=conversation, text=XSS)
    for page in [
        html_of(manager_client.get("/w/acme/inbox/")),
        html_of(manager_client.get(url(conversation))),
        html_of(manager_client.get("/w/acme/inbox/updates/", {"since": "2020-01-01T00:00:00"}, **HTMX)),
    ]:
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
        assert "javascript:" not in page


def test_inbox_pages_have_no_inline_script_style_or_handlers(manager_client, thread, workspace):
    Label.objects.create(workspace=workspace, name="Blue", color="#0000ff").conversations.add(thread)
    for path in ["/w/acme/inbox/", url(thread)]:
        response = manager_client.get(path)
        page = html_of(response)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", page, flags=re.S):
            assert "src=" in attrs and not body.strip(), attrs
        assert "/static/js/inbox.js" in page
        assert not re.search(r"\sstyle=", page), path
        assert not re.search(r"\son[a-z]+=", page), path
        for attrs in re.findall(r"<style\b([^>]*)>", page):
            assert f'nonce="{nonce}"' in attrs
        assert '<dialog id="shortcuts-help"' in page


# --- Query counts ---------------------------------------------------------------------------------------


def _count(client, path, **headers) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, **headers).status_code == 200
    return len(queries.captured_queries)


def _decorate_all(workspace, manager, agent):
    label, _ = Label.objects.get_or_create(workspace=workspace, name="VIP")
    for conversation in Conversation.objects.all():
        conversation.labels.add(label)
        ConversationRead.objects.create(conversation=conversation, user=manager)
    Conversation.objects.update(assignee=agent)


def test_list_page_query_count_does_not_grow_with_rows(
    manager_client, manager, agent, workspace, ingest, django_assert_num_queries
):
    manager_client.get("/w/acme/")  # remembers the workspace once, so it is not counted below
    ingest(3)
    _decorate_all(workspace, manager, agent)
    # session, user, membership, workspace switcher, channels, labels, members (menus),
    # conversations (with channel, contact, assignee joined and read state as a subquery), labels prefetch,
    # and the triage badges of each row's latest inbound message (assistant_messagetriage, one query),
    # the header bell's unread notifications COUNT (notifications app, one query whatever the rows), the
    # sidebar's "waiting for you" counts (every queue in one query, core/waiting.py), the channels that
    # lost their connection (the banner every member sees, one query), and the four quick views' capped
    # counts (mine, unassigned, everyone's, overdue).
    # Each row's labels, assignee, contact, channel and read state would otherwise be one query per row.
    with django_assert_num_queries(17):
        assert manager_client.get("/w/acme/inbox/").status_code == 200
    Conversation.objects.all().delete()
    ingest(30)
    _decorate_all(workspace, manager, agent)
    with django_assert_num_queries(17):  # the same 17 with ten times the rows
        response = manager_client.get("/w/acme/inbox/")
    assert response.content.decode().count('class="conversation-row') == 30


def test_live_update_poll_is_one_query_when_nothing_changed(
    manager_client, ingest, django_assert_num_queries
):
    manager_client.get("/w/acme/")
    conversations = ingest(5)
    shown = [row_version(c.pk, c.updated_at) for c in conversations]
    since = timezone.now().isoformat()
    # session, user, membership, and one indexed query on (workspace, updated_at): no menus, no rows.
    with django_assert_num_queries(4):
        manager_client.get("/w/acme/inbox/updates/", {"since": since, "shown": shown}, **HTMX)


def test_conversation_page_query_count_does_not_grow_with_the_thread(
    manager_client, manager, agent, workspace, channel, ingest, make_item, django_assert_num_queries
):
    manager_client.get("/w/acme/")
    conversation = ingest(1)[0]

    def grow(messages: int, notes: int) -> None:
        items = [
            make_item(f"more {n}", parent=conversation.root_external_id, author=f"p{n}")
            for n in range(messages)
        ]
        message_ingest_batch(channel=channel, items=items)
        for message in Message.objects.filter(
            conversation=conversation, direction="in", moderation_actions=None
        ):
            # Each answered privately by a member: shown with who asked, in the thread's one moderation query.
            ModerationAction.objects.create(
                workspace=workspace,
                channel=channel,
                message=message,
                action="private_reply",
                text="Sent you a message",
                requested_by=agent,
                state="done",
            )
        Message.objects.create(
            workspace=workspace,
            conversation=conversation,
            channel=channel,
            direction="out",
            send_status="sent",
            author_user=agent,
            approved_by=manager,
            text="ours",
        )
        for n in range(notes):
            Note.objects.create(conversation=conversation, author=[manager, agent][n % 2], text=f"note {n}")
        conversation.labels.add(Label.objects.create(workspace=workspace, name=f"L{Label.objects.count()}"))

    grow(2, 1)
    small = _count(manager_client, url(conversation))
    grow(30, 10)
    # Every message's author (contact or member) and approver, every note's author, the labels and the
    # contact's history come in fixed queries: one more message or note must not add a query.
    with django_assert_num_queries(small):
        response = manager_client.get(url(conversation))
    assert response.content.decode().count('class="message-item') == 35
    # The split page also draws the list beside the thread (the list page's queries, menus shared), and
    # looks up the post's picture among our own published posts (one query); the page frame adds the
    # sidebar's waiting counts and the connection banner (one query each); the thread's moderation actions
    # (hidden, deleted, answered privately) come in one more.
    assert small <= 26, small
    # What the list's JavaScript fetches when a row is clicked: the conversation column alone.
    pane = {**HTMX, "HTTP_HX_TARGET": "conversation-pane"}
    assert _count(manager_client, url(conversation), **pane) <= 18


def test_a_click_in_the_list_fetches_the_conversation_column_alone(manager_client, ingest):
    first, second = ingest(2)
    pane = html_of(manager_client.get(url(first), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="conversation-pane"))
    assert pane.lstrip().startswith('<div class="pane-conversation"') and "Question 0" in pane
    assert 'id="conversation-rows"' not in pane and "<html" not in pane
    # The same URL opened directly (a deep link, a reload) renders the split page: list and conversation.
    page = html_of(manager_client.get(url(first) + "?network=facebook"))
    assert 'class="inbox-split has-conversation"' in page
    assert f'id="conv-{second.pk}"' in page and '<div class="pane-conversation"' in page
    assert re.search(rf'href="/w/acme/inbox/{first.pk}/\?network=facebook" data-open-pane aria-current', page)


def test_the_list_alone_leaves_the_pane_to_pick_a_conversation(manager_client, ingest):
    ingest(1)
    page = html_of(manager_client.get("/w/acme/inbox/"))
    assert 'class="inbox-split"' in page and "Pick a conversation in the list" in page


def test_a_history_restore_gets_the_whole_page(manager_client, ingest):
    """htmx's back button, when its cache misses, asks with HX-Request too and swaps in the whole body."""
    ingest(1)
    restore = {**HTMX, "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}
    assert "<html" in html_of(manager_client.get("/w/acme/inbox/?network=facebook", **restore))


# --- Answered conversations: previews mark our side, counters count what needs a person ---------------


def test_previews_mark_our_side_you_a_colleague_or_the_channel(manager_client, agent_client, manager, ingest):
    mine, colleague, direct = ingest(3)
    Conversation.objects.filter(pk=mine.pk).update(
        preview="On it", preview_outbound=True, preview_author=manager
    )
    Conversation.objects.filter(pk=colleague.pk).update(
        preview="Done", preview_outbound=True, preview_author=manager
    )
    Conversation.objects.filter(pk=direct.pk).update(preview="Posted by hand", preview_outbound=True)
    page = html_of(manager_client.get("/w/acme/inbox/"))
    assert re.search(r'row-preview-ours">You:</span> On it', page)
    page = html_of(agent_client.get("/w/acme/inbox/"))
    assert re.search(rf'row-preview-ours">{re.escape(manager.name)}:</span> Done', page)
    assert re.search(r'row-preview-ours">Acme Page:</span> Posted by hand', page)


def test_the_customers_words_are_not_marked(manager_client, ingest):
    ingest(1)
    assert "row-preview-ours" not in html_of(manager_client.get("/w/acme/inbox/"))


def test_quick_views_count_the_open_conversations_only(manager_client, manager, ingest):
    first, _second, third = ingest(3)
    Conversation.objects.filter(pk=first.pk).update(assignee=manager)
    Conversation.objects.filter(pk=third.pk).update(status=Conversation.Status.PENDING)
    page = html_of(manager_client.get("/w/acme/inbox/"))
    counts = re.findall(r'<span class="view-count[^"]*">(\d+)<', page)
    assert counts == ["1", "1", "2", "0"]  # mine, unassigned, everyone's, overdue


# --- Context on every item: the post, and people named, never by raw ids -------------------------------


def test_a_thread_names_its_post_by_its_words_and_links_it(manager_client, ingest):
    conversation = ingest(1)[0]
    Conversation.objects.filter(pk=conversation.pk).update(
        post_text="New croissants today!\nCome early.",
        post_permalink="https://facebook.com/PAGE1_POST1",
        post_image_url="https://cdn.example/croissants.jpg",
    )
    page = html_of(manager_client.get(url(conversation)))
    assert re.search(r'class="post-context-text">New croissants today!</span>', page)  # the first line
    assert "Come early." not in page
    assert 'class="post-context-thumb" src="https://cdn.example/croissants.jpg"' in page
    assert "About the post" not in page and "<code>PAGE1_POST1</code>" not in page


def test_a_post_we_know_nothing_about_is_still_not_a_raw_id(manager_client, ingest):
    conversation = ingest(1)[0]
    page = html_of(manager_client.get(url(conversation)))
    assert "A post on Facebook" in page and ">PAGE1_POST1<" not in page


def test_linkedin_members_without_a_name_are_linkedin_members_never_urns(
    manager_client, manager, workspace, ingest
):
    conversation = ingest(1)[0]
    member = Contact.objects.create(
        workspace=workspace, network="linkedin", external_id="urn:li:person:ACoAAB12", handle="ACoAAB12"
    )
    Conversation.objects.filter(pk=conversation.pk).update(contact=member)
    for path in ("/w/acme/inbox/", url(conversation)):
        page = html_of(manager_client.get(path))
        assert "LinkedIn member" in page and "ACoAAB12" not in page
    manager.language = "fr"
    manager.save(update_fields=["language"])
    assert "Membre LinkedIn" in html_of(manager_client.get("/w/acme/inbox/"))


def test_the_moderation_buttons_and_states_speak_french(manager_client, manager, thread, broker):
    manager.language = "fr"
    manager.save(update_fields=["language"])
    message = thread.messages.get(direction="in")
    page = html_of(manager_client.get(url(thread)))
    assert "Masquer sur Facebook" in page and "Supprimer sur Facebook" in page
    fragment = html_of(
        manager_client.post(url(thread, f"messages/{message.pk}/moderate"), {"action": "hide"}, **HTMX)
    )
    assert "Masquage sur le réseau…" in fragment

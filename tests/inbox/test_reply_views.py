"""Reply pages: the composer in the conversation page, reply actions and status, the approval queue, saved
replies and the inbox settings. Tenancy (404), roles (403), CSRF, escaping, no-JavaScript paths."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership
from inbox.ingest import message_ingest_batch
from inbox.models import Conversation, InboxPolicy, Message, SavedReply
from networks.providers import base as p
from tests.factories import MembershipFactory
from tests.workspace_urls import workspace_paths

HTMX = {"HTTP_HX_REQUEST": "true"}
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"
S = Message.SendStatus
pytestmark = pytest.mark.usefixtures("broker")  # enqueues are recorded, never sent


@pytest.fixture
def conversation(channel, make_item) -> Conversation:
    item = make_item("Bonjour, vous livrez à Lyon ?", author="fan-1", name="Léa Martin", external_id="c1")
    message_ingest_batch(channel=channel, items=[item])
    return Conversation.objects.get(channel=channel)


def version(conversation) -> int:
    return Message.objects.filter(conversation=conversation).order_by("-pk").values_list("pk", flat=True)[0]


def send_url(conversation) -> str:
    return f"/w/acme/inbox/{conversation.pk}/reply/send/"


def reply_from(user, conversation, text="Oui !", status=S.PENDING_APPROVAL) -> Message:
    return Message.objects.create(
        workspace=conversation.workspace,
        conversation=conversation,
        channel=conversation.channel,
        direction="out",
        kind="reply",
        author_user=user,
        parent_external_id="c1",
        text=text,
        send_status=status,
    )


def html(response) -> str:
    return response.content.decode()


# --- Tenancy, roles, CSRF -----------------------------------------------------------------------------------

REPLY_ROUTES = [
    "/w/acme/inbox/1/reply/",
    "/w/acme/inbox/1/reply/send/",
    "/w/acme/inbox/1/reply/count/",
    "/w/acme/inbox/replies/1/status/",
    "/w/acme/inbox/replies/1/retry/",
    "/w/acme/inbox/approvals/",
    "/w/acme/inbox/approvals/1/approve/",
    "/w/acme/inbox/approvals/1/edit/",
    "/w/acme/inbox/approvals/1/reject/",
    "/w/acme/settings/saved-replies/",
    "/w/acme/settings/saved-replies/1/",
    "/w/acme/settings/saved-replies/1/delete/",
    "/w/acme/settings/inbox/",
]


def test_every_reply_route_is_walked_by_the_tenancy_tests(workspace):
    assert set(REPLY_ROUTES) <= set(workspace_paths("acme", pk=1))


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_outsider_gets_404_on_every_reply_url_with_real_ids(
    outsider_client, conversation, agent, manager, method, broker
):
    reply = reply_from(agent, conversation)
    saved = SavedReply.objects.create(workspace=conversation.workspace, title="Hours", body="9-5")
    for route in REPLY_ROUTES:
        path = route.replace("/inbox/1/", f"/inbox/{conversation.pk}/").replace(
            "/replies/1/", f"/replies/{reply.pk}/"
        )
        path = path.replace("/approvals/1/", f"/approvals/{reply.pk}/").replace(
            "/saved-replies/1/", f"/saved-replies/{saved.pk}/"
        )
        response = getattr(outsider_client, method)(
            path, {"text": "leak", "comment": "x", "title": "x", "body": "x"}
        )
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"
    assert Message.objects.filter(direction="out").count() == 1
    assert Message.objects.get(pk=reply.pk).send_status == S.PENDING_APPROVAL
    assert SavedReply.objects.get(pk=saved.pk).title == "Hours" and broker.ids("inbox.send_reply") == []


def test_ids_of_another_workspace_are_404_through_your_own(outsider, outsider_client, conversation, agent):
    slug = outsider.memberships.get().workspace.slug
    reply = reply_from(agent, conversation)
    saved = SavedReply.objects.create(workspace=conversation.workspace, title="Hours", body="9-5")
    for path in [
        f"/w/{slug}/inbox/{conversation.pk}/reply/send/",
        f"/w/{slug}/inbox/approvals/{reply.pk}/approve/",
        f"/w/{slug}/inbox/replies/{reply.pk}/retry/",
        f"/w/{slug}/settings/saved-replies/{saved.pk}/delete/",
    ]:
        assert outsider_client.post(path, {"text": "leak"}).status_code == 404, path
    assert outsider_client.get(f"/w/{slug}/inbox/replies/{reply.pk}/status/", **HTMX).status_code == 404
    assert Message.objects.get(pk=reply.pk).send_status == S.PENDING_APPROVAL


def test_agents_cannot_reach_manager_pages(agent_client, manager_client, conversation, agent):
    reply = reply_from(agent, conversation)
    assert agent_client.get("/w/acme/inbox/approvals/").status_code == 403
    assert agent_client.post(f"/w/acme/inbox/approvals/{reply.pk}/approve/").status_code == 403
    assert agent_client.get("/w/acme/settings/saved-replies/").status_code == 403
    assert agent_client.get("/w/acme/settings/inbox/").status_code == 403
    assert manager_client.get("/w/acme/settings/inbox/").status_code == 403  # admins only
    assert Message.objects.get(pk=reply.pk).send_status == S.PENDING_APPROVAL


def test_the_composer_needs_a_csrf_token_even_under_htmx(agent, conversation):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post(
        send_url(conversation), {"text": "Hi", "thread_version": version(conversation)}, **HTMX
    )
    assert response.status_code == 403
    assert not Message.objects.filter(direction="out").exists()


def test_an_inbound_message_is_not_a_reply(agent_client, conversation):
    inbound = Message.objects.get(conversation=conversation)
    assert agent_client.get(f"/w/acme/inbox/replies/{inbound.pk}/status/", **HTMX).status_code == 404
    assert agent_client.post(f"/w/acme/inbox/replies/{inbound.pk}/retry/").status_code == 404


# --- Composer -----------------------------------------------------------------------------------------------


def test_the_conversation_page_draws_a_working_composer_that_loads_the_full_one(agent_client, conversation):
    body = html(agent_client.get(f"/w/acme/inbox/{conversation.pk}/"))
    assert 'id="reply-form"' in body and 'id="reply-text"' in body and 'name="text"' in body
    assert f'action="{send_url(conversation)}"' in body
    assert f'hx-get="/w/acme/inbox/{conversation.pk}/reply/"' in body  # the full composer, at once
    assert 'name="thread_version"' in body and 'form="reply-form"' in body  # the body's thread version
    assert "js/composer.js" in body


def test_the_composer_names_whom_the_reply_answers_in_a_thread_of_several(
    agent_client, channel, conversation, make_item
):
    """The trial: the list named one person, the reply went under another's message, nothing said so."""
    later = make_item(
        "What time do you open on Sunday? " + XSS,
        author="fan-2",
        name="Ryan Evans",
        root="c1",
        parent="c1",
        kind=p.ItemKind.REPLY,
        at=timezone.now() + dt.timedelta(minutes=1),
    )
    message_ingest_batch(channel=channel, items=[later])
    body = html(agent_client.get(f"/w/acme/inbox/{conversation.pk}/reply/", HTTP_HX_REQUEST="true"))
    assert "Answers Ryan Evans:" in body and "What time do you open on Sunday?" in body
    assert "<script>alert" not in body  # their words, escaped
    agent_client.post(send_url(conversation), {"text": "From 9!", "thread_version": version(conversation)})
    reply = Message.objects.get(direction="out")
    assert reply.parent_external_id == later.external_id  # the one the composer named


def test_the_composer_fragment_has_saved_replies_rendered_for_this_contact(agent_client, agent, conversation):
    SavedReply.objects.create(
        workspace=conversation.workspace,
        title="Livraison",
        body="Bonjour {{ contact.name }}, oui ! {{ 7*7 }}",
        shortcut="livraison",
    )
    SavedReply.objects.create(workspace=conversation.workspace, title="Piège", body=XSS)

    fragment = html(agent_client.get(f"/w/acme/inbox/{conversation.pk}/reply/", **HTMX))

    # The full one: it does not load itself again (its only load trigger is the suggested answers').
    assert (
        'id="reply-text"' in fragment and f'hx-get="/w/acme/inbox/{conversation.pk}/reply/"' not in fragment
    )
    assert fragment.count('hx-trigger="load"') == 1 and "/assistant/suggestions/" in fragment
    assert 'data-text="Bonjour Léa Martin, oui ! {{ 7*7 }}"' in fragment
    assert 'data-shortcut="livraison"' in fragment and "(/livraison)" in fragment
    assert "<script>alert(1)" not in fragment and "&lt;script&gt;alert(1)" in fragment
    assert "0 / 63206" in fragment  # Facebook's limit
    assert "Needs a manager" not in fragment and ">Send<" in fragment
    assert 'name="thread_version"' not in fragment  # the body's input is the one sent


def test_the_composer_says_when_a_reply_will_need_approval(
    agent_client, manager_client, conversation, workspace
):
    InboxPolicy.objects.create(workspace=workspace, agent_replies_need_approval=True)
    assert "Needs a manager's approval" in html(
        agent_client.get(f"/w/acme/inbox/{conversation.pk}/reply/", **HTMX)
    )
    assert "Needs a manager" not in html(
        manager_client.get(f"/w/acme/inbox/{conversation.pk}/reply/", **HTMX)
    )


def test_sending_a_reply_queues_it_and_refreshes_the_thread(
    agent_client, agent, conversation, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            send_url(conversation),
            {"text": "Oui, partout à Lyon.", "thread_version": version(conversation)},
            **HTMX,
        )

    assert response.status_code == 200 and response["HX-Trigger"] == "thread-changed"
    reply = Message.objects.get(direction="out")
    assert (reply.text, reply.send_status, reply.author_user) == ("Oui, partout à Lyon.", S.QUEUED, agent)
    assert broker.ids("inbox.send_reply") == [reply.pk]
    fragment = html(response)
    assert "Reply on its way." in fragment and "Oui, partout" not in fragment  # a fresh, empty composer


def test_without_javascript_a_reply_redirects_to_the_conversation(agent_client, conversation, workspace):
    InboxPolicy.objects.create(workspace=workspace, agent_replies_need_approval=True)
    response = agent_client.post(
        send_url(conversation), {"text": "Oui !", "thread_version": version(conversation)}
    )
    reply = Message.objects.get(direction="out")
    assert (
        response.status_code == 302 and response.url == f"/w/acme/inbox/{conversation.pk}/#message-{reply.pk}"
    )
    assert reply.send_status == S.PENDING_APPROVAL
    body = html(agent_client.get(response.url))
    assert "goes out once a manager approves it" in body


def test_a_stale_thread_asks_for_confirmation_and_keeps_the_text(
    agent_client, conversation, channel, make_item
):
    seen = version(conversation)
    message_ingest_batch(channel=channel, items=[make_item("Finalement non", root="c1", parent="c1")])

    response = agent_client.post(
        send_url(conversation), {"text": "Oui <b>bien sûr</b>", "thread_version": seen}, **HTMX
    )

    fragment = html(response)
    assert response["HX-Trigger"] == "thread-changed"  # the new message shows up above
    assert "A new message arrived" in fragment and 'name="confirm_stale" value="1"' in fragment
    assert "Oui &lt;b&gt;bien sûr&lt;/b&gt;</textarea>" in fragment
    assert not Message.objects.filter(direction="out").exists()

    confirmed = agent_client.post(
        send_url(conversation), {"text": "Oui", "thread_version": seen, "confirm_stale": "1"}, **HTMX
    )
    assert confirmed["HX-Trigger"] == "thread-changed"
    assert Message.objects.filter(direction="out").count() == 1


def test_a_stale_thread_without_javascript_is_a_page_to_confirm_on(
    agent_client, conversation, channel, make_item
):
    seen = version(conversation)
    message_ingest_batch(channel=channel, items=[make_item("Finalement non", root="c1", parent="c1")])
    response = agent_client.post(send_url(conversation), {"text": "Oui", "thread_version": seen})
    assert response.status_code == 409
    body = html(response)
    assert "Finalement non" in body and "Send anyway" in body
    assert f'name="thread_version" value="{version(conversation)}"' in body  # its own version: the body's


def test_a_refused_text_is_explained_and_kept(agent_client, conversation):
    response = agent_client.post(
        send_url(conversation), {"text": XSS + "x" * 63_206, "thread_version": version(conversation)}, **HTMX
    )
    fragment = html(response)
    assert "Facebook allows 63,206" in fragment and 'aria-invalid="true"' in fragment
    assert "<script>alert(1)" not in fragment and "&lt;script&gt;alert(1)" in fragment
    assert "is-over" in fragment
    assert response.status_code == 200
    body = agent_client.post(send_url(conversation), {"text": "  ", "thread_version": version(conversation)})
    assert body.status_code == 400 and "Write something first." in html(body)


def test_inserting_a_saved_reply_without_javascript(agent_client, agent, conversation):
    SavedReply.objects.create(workspace=conversation.workspace, title="Autre", body="Pas celle-ci")
    saved = SavedReply.objects.create(
        workspace=conversation.workspace, title="Merci", body="Merci {{ contact.name }} !"
    )
    response = agent_client.post(
        send_url(conversation), {"text": "Bonjour,", "insert": "1", "saved": saved.pk}
    )
    assert response.status_code == 200
    assert "Bonjour,\n\nMerci Léa Martin !</textarea>" in html(response)
    assert not Message.objects.filter(direction="out").exists()


def test_a_saved_reply_of_another_workspace_cannot_be_inserted(agent_client, conversation, other_workspace):
    foreign = SavedReply.objects.create(workspace=other_workspace, title="Secret", body="Their secret")
    response = agent_client.post(send_url(conversation), {"text": "", "insert": "1", "saved": foreign.pk})
    assert response.status_code == 404


# --- Status and actions in the thread -----------------------------------------------------------------------


def test_a_failed_reply_says_why_and_can_be_sent_again(
    agent_client, agent, conversation, broker, django_capture_on_commit_callbacks
):
    reply = reply_from(agent, conversation, status=S.FAILED)
    Message.objects.filter(pk=reply.pk).update(send_error="(#100) " + XSS)

    fragment = html(agent_client.get(f"/w/acme/inbox/replies/{reply.pk}/status/", **HTMX))
    assert "Not sent." in fragment and "&lt;script&gt;" in fragment and "<script>alert" not in fragment
    assert f'action="/w/acme/inbox/replies/{reply.pk}/retry/"' in fragment

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(f"/w/acme/inbox/replies/{reply.pk}/retry/", **HTMX)
    assert "On its way" in html(response) and 'hx-trigger="every 3s"' in html(response)
    assert Message.objects.get(pk=reply.pk).send_status == S.QUEUED and broker.ids("inbox.send_reply") == [
        reply.pk
    ]


def test_a_settled_reply_asks_the_page_for_a_fresh_thread(agent_client, agent, conversation):
    reply = reply_from(agent, conversation, status=S.SENT)
    response = agent_client.get(f"/w/acme/inbox/replies/{reply.pk}/status/?was=queued", **HTMX)
    assert response["HX-Trigger"] == "thread-changed" and "hx-trigger" not in html(response)
    unchanged = agent_client.get(f"/w/acme/inbox/replies/{reply.pk}/status/?was=sent", **HTMX)
    assert "HX-Trigger" not in unchanged
    assert agent_client.get(f"/w/acme/inbox/replies/{reply.pk}/status/").status_code == 302


def test_a_manager_approves_from_the_thread_but_not_their_own(manager_client, manager, agent, conversation):
    theirs = reply_from(agent, conversation)
    own = reply_from(manager, conversation)
    assert "Approve and send" in html(
        manager_client.get(f"/w/acme/inbox/replies/{theirs.pk}/status/", **HTMX)
    )
    own_status = html(manager_client.get(f"/w/acme/inbox/replies/{own.pk}/status/", **HTMX))
    assert "Approve and send" not in own_status and "Another manager must approve" in own_status

    response = manager_client.post(f"/w/acme/inbox/approvals/{theirs.pk}/approve/", **HTMX)
    assert response["HX-Trigger"] == "thread-changed" and "Approved" in html(response)
    refused = manager_client.post(f"/w/acme/inbox/approvals/{own.pk}/approve/", **HTMX)
    assert "Someone else must approve your own reply." in html(refused)
    assert Message.objects.get(pk=theirs.pk).send_status == S.QUEUED
    assert Message.objects.get(pk=own.pk).send_status == S.PENDING_APPROVAL


# +1: the header bell's unread notifications COUNT, +1: the sidebar's waiting counts, +1: the
# lost-connection banner
QUEUE_QUERIES = 9

# --- Approval queue -----------------------------------------------------------------------------------------


def test_the_queue_shows_each_reply_with_what_it_answers(manager_client, manager, agent, conversation):
    reply_from(agent, conversation, text="Oui, " + XSS)
    reply_from(manager, conversation, text="Mine")
    manager_client.get("/w/acme/inbox/approvals/")  # the first visit also records the last workspace
    with CaptureQueriesContext(connection) as few:
        body = html(manager_client.get("/w/acme/inbox/approvals/"))
    for n in range(5):
        reply_from(agent, conversation, text=f"More {n}")
    with CaptureQueriesContext(connection) as many:
        manager_client.get("/w/acme/inbox/approvals/")
    # Guards the N+1s of this body: per reply, its conversation, channel, contact, author, and the
    # message it answers. One query for the replies with the first four, one for what they answer
    # (the rest is session, user and membership).
    assert len(few) == len(many) <= QUEUE_QUERIES
    assert "Bonjour, vous livrez à Lyon ?" in body  # what it answers
    assert "&lt;script&gt;" in body and "<script>alert" not in body
    assert body.count("Approve and send") == 1  # not on the manager's own reply
    assert "Your own reply: another manager must approve it." in body


def test_approve_edit_and_reject_from_the_queue(
    manager_client, agent, conversation, broker, django_capture_on_commit_callbacks
):
    plain, edited, rejected = (reply_from(agent, conversation, text=t) for t in ("A", "B", "C"))

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            f"/w/acme/inbox/approvals/{plain.pk}/approve/", {"from": "queue"}, **HTMX
        )
    assert f'id="approval-{plain.pk}"' not in html(response) and f'id="approval-{edited.pk}"' in html(
        response
    )
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(
            f"/w/acme/inbox/approvals/{edited.pk}/edit/", {"from": "queue", "text": "B, better"}, **HTMX
        )
    no_comment = manager_client.post(
        f"/w/acme/inbox/approvals/{rejected.pk}/reject/", {"from": "queue", "comment": ""}, **HTMX
    )
    assert "Say why" in html(no_comment)
    response = manager_client.post(
        f"/w/acme/inbox/approvals/{rejected.pk}/reject/", {"from": "queue", "comment": "Off-brand"}
    )
    assert response.status_code == 302 and response.url == "/w/acme/inbox/approvals/"

    assert Message.objects.get(pk=plain.pk).send_status == S.QUEUED
    assert (Message.objects.get(pk=edited.pk).text, Message.objects.get(pk=edited.pk).send_status) == (
        "B, better",
        S.QUEUED,
    )
    assert (
        Message.objects.get(pk=rejected.pk).send_status,
        Message.objects.get(pk=rejected.pk).review_comment,
    ) == (S.REJECTED, "Off-brand")
    assert broker.ids("inbox.send_reply") == [plain.pk, edited.pk]


def test_the_author_sees_the_rejection_and_its_reason(agent_client, agent, manager, conversation):
    reply = reply_from(agent, conversation, status=S.REJECTED)
    Message.objects.filter(pk=reply.pk).update(approved_by=manager, review_comment="Too casual")
    fragment = html(agent_client.get(f"/w/acme/inbox/replies/{reply.pk}/status/", **HTMX))
    assert f"Not approved by {manager.name}:" in fragment and "Too casual" in fragment


# --- Saved replies ------------------------------------------------------------------------------------------


def test_saved_replies_can_be_listed_added_edited_and_deleted(manager_client, manager, workspace):
    assert manager_client.get("/w/acme/settings/saved-replies/").status_code == 200
    response = manager_client.post(
        "/w/acme/settings/saved-replies/",
        {"title": "Horaires", "body": "Bonjour {{ contact.name }}, de 9h à 18h.", "shortcut": "Horaires"},
    )
    assert response.status_code == 302
    saved = SavedReply.objects.get(workspace=workspace)
    assert (saved.shortcut, saved.created_by) == ("horaires", manager)

    body = html(manager_client.get("/w/acme/settings/saved-replies/"))
    assert "Horaires" in body and "/horaires" in body

    edit = f"/w/acme/settings/saved-replies/{saved.pk}/"
    assert manager_client.get(edit).status_code == 200
    assert (
        manager_client.post(edit, {"title": "Hours", "body": "9 to 6", "shortcut": "hours"}).status_code
        == 302
    )
    saved.refresh_from_db()
    assert (saved.title, saved.body, saved.shortcut) == ("Hours", "9 to 6", "hours")

    assert manager_client.post(f"{edit}delete/").status_code == 302
    assert not SavedReply.objects.exists()


def test_saved_reply_mistakes_are_explained(manager_client, workspace):
    SavedReply.objects.create(workspace=workspace, title="Hours", body="x", shortcut="hours")
    unknown = manager_client.post(
        "/w/acme/settings/saved-replies/", {"title": "A", "body": "Hi {{ contact.email }}"}
    )
    assert unknown.status_code == 400 and "Unknown variable(s): {{ contact.email }}" in html(unknown)
    taken = manager_client.post(
        "/w/acme/settings/saved-replies/", {"title": "B", "body": "x", "shortcut": "hours"}
    )
    assert taken.status_code == 400 and "already uses this shortcut" in html(taken)
    assert SavedReply.objects.count() == 1


# --- Inbox settings -----------------------------------------------------------------------------------------


def test_inbox_settings_save_the_policy_and_business_hours(owner_client, workspace):
    body = html(owner_client.get("/w/acme/settings/inbox/"))
    assert "Business hours" in body and body.count('type="time"') == 14

    response = owner_client.post(
        "/w/acme/settings/inbox/",
        {
            "agent_replies_need_approval": "on",
            "first_response_minutes": "45",
            "opens_0": "09:00",
            "closes_0": "18:00",
            "opens_5": "10:00",
            "closes_5": "13:30",
            "after_reply": "resolved",
        },
    )

    assert response.status_code == 302
    policy = InboxPolicy.objects.get(workspace=workspace)
    assert policy.agent_replies_need_approval and policy.first_response_minutes == 45
    assert policy.after_reply == InboxPolicy.AfterReply.RESOLVE
    assert policy.business_hours == {"0": ["09:00", "18:00"], "5": ["10:00", "13:30"]}
    again = html(owner_client.get("/w/acme/settings/inbox/"))
    assert 'value="13:30"' in again and "checked" in again
    assert re.search(r'value="resolved"[^>]*checked', again)


def test_inbox_settings_refuse_hours_that_make_no_sense(owner_client, workspace):
    response = owner_client.post(
        "/w/acme/settings/inbox/",
        {"first_response_minutes": "30", "opens_1": "18:00", "closes_1": "09:00", "opens_2": "09:00"},
    )
    assert response.status_code == 400
    assert html(response).count("Give an opening time before the closing time, or neither.") == 2
    assert not InboxPolicy.objects.filter(workspace=workspace).exists()


def test_no_business_hours_means_round_the_clock(owner_client, workspace):
    InboxPolicy.objects.create(workspace=workspace, business_hours={"0": ["09:00", "18:00"]})
    owner_client.post("/w/acme/settings/inbox/", {"first_response_minutes": "0"})
    policy = InboxPolicy.objects.get(workspace=workspace)
    assert (policy.business_hours, policy.first_response_minutes, policy.agent_replies_need_approval) == (
        {},
        0,
        False,
    )


def test_a_second_manager_in_the_workspace_can_approve_a_managers_sensitive_reply(
    workspace, manager, conversation, client
):
    Conversation.objects.filter(pk=conversation.pk).update(sensitive=True)
    own = reply_from(manager, conversation)
    colleague = MembershipFactory(workspace=workspace, role=Membership.Role.MANAGER).user
    client.force_login(colleague)
    client.post(f"/w/acme/inbox/approvals/{own.pk}/approve/", {"from": "queue"})
    assert Message.objects.get(pk=own.pk).send_status == S.QUEUED


# --- The counter, counted on the server ---------------------------------------------------------------------


def count_url(conversation) -> str:
    return f"/w/acme/inbox/{conversation.pk}/reply/count/"


def test_the_counter_counts_as_the_network_does(agent_client, conversation):
    """Facebook counts code points; X (the same route, another channel) weighs links and emoji."""
    body = html(
        agent_client.post(count_url(conversation), {"text": "Oui 🥐 https://example.com/" + "a" * 40}, **HTMX)
    )
    assert "66 / 63206" in body  # 3 + 1 + 1 (the croissant) + 1 + 60 (the link as written)
    assert "is-over" not in body and "counts" not in body
    conversation.channel.network = "x"
    conversation.channel.save(update_fields=["network"])
    body = html(
        agent_client.post(count_url(conversation), {"text": "Oui 🥐 https://example.com/" + "a" * 40}, **HTMX)
    )
    assert "30 / 280" in body and "as X counts" in body  # 3 + 1 + 2 (emoji) + 1 + 23 (any link)
    assert "emoji and many scripts as 2" in body  # the tooltip says how X counts
    conversation.channel.network = "mastodon"
    conversation.channel.save(update_fields=["network"])
    body = html(agent_client.post(count_url(conversation), {"text": "Oui 🥐 @lea@piaille.fr"}, **HTMX))
    assert "10 / 500" in body and "as Mastodon counts" in body  # 3 + 1 + 1 + 1 + 4 (@lea)
    assert "@name only" in body and "emoji and many scripts" not in body
    conversation.channel.network = "x"
    conversation.channel.save(update_fields=["network"])
    over = html(agent_client.post(count_url(conversation), {"text": "日" * 141}))
    assert "282 / 280" in over and "is-over" in over


def test_the_counter_is_a_post_and_counts_nothing_it_was_not_sent(agent_client, conversation):
    assert agent_client.get(count_url(conversation)).status_code == 405
    assert "0 / " in html(agent_client.post(count_url(conversation), {}))

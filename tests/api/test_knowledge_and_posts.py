"""Contacts, labels, saved replies, FAQ, posts, channels and reports over the API: the same services, the
same permissions and refusals as the browser, and an API draft needs the same approval as a browser one."""

from __future__ import annotations

import pytest

from assistant.models import FaqEntry
from inbox.models import SavedReply
from posts.models import Post
from tests.api.conftest import api_for
from tests.factories import x_mention_conversation

pytestmark = pytest.mark.django_db


def test_saved_replies_crud_with_the_services_rules(manager_api, agent_api):
    created = manager_api.post("/saved-replies", {"title": "Hours", "body": "8 to 12", "shortcut": "hours"})
    assert created.status_code == 201, created.content
    reply_id = created.json()["id"]
    assert [r["shortcut"] for r in manager_api.get("/saved-replies").json()] == ["hours"]
    clash = manager_api.post("/saved-replies", {"title": "Other", "body": "x", "shortcut": "hours"})
    assert clash.status_code == 422 and "shortcut" in clash.json()["detail"]
    assert (
        manager_api.post("/saved-replies", {"title": "Bad", "body": "x", "shortcut": "no spaces"}).status_code
        == 422
    )
    changed = manager_api.put(
        f"/saved-replies/{reply_id}", {"title": "Hours", "body": "8 to 13", "shortcut": "hours"}
    )
    assert changed.json()["body"] == "8 to 13"
    # Agents use saved replies; managing them is a manager's, as in Settings.
    assert agent_api.get("/saved-replies").status_code == 200
    assert agent_api.post("/saved-replies", {"title": "x", "body": "y"}).status_code == 403
    assert manager_api.delete(f"/saved-replies/{reply_id}").status_code == 204
    assert not SavedReply.objects.exists()


def test_faq_entries_crud_and_deactivation_keeps_them(manager_api):
    body = {"group": "opening-hours", "language": "en", "questions": ["When do you open?"], "answer": "At 8."}
    created = manager_api.post("/faq", body)
    assert created.status_code == 201, created.content
    entry_id = created.json()["id"]
    assert manager_api.post("/faq", body).status_code == 422  # one answer per group and language
    assert manager_api.post("/faq", {**body, "language": "de"}).status_code == 422
    changed = manager_api.put(f"/faq/{entry_id}", {**body, "answer": "At 7."})
    assert changed.json()["answer"] == "At 7."
    off = manager_api.delete(f"/faq/{entry_id}")
    assert off.status_code == 200 and off.json()["active"] is False
    assert FaqEntry.objects.get(pk=entry_id).active is False


def test_labels_and_contacts(owner_api, workspace, outsider_api):
    conversation = x_mention_conversation(workspace)
    created = owner_api.post("/labels", {"name": "Urgent"})
    assert created.status_code == 201
    assert owner_api.post("/labels", {"name": "urgent"}).json()["id"] == created.json()["id"]
    assert [label["name"] for label in owner_api.get("/labels").json()] == ["Urgent"]
    contact_id = conversation.contact_id
    assert owner_api.get(f"/contacts/{contact_id}").json()["name"] == "Léa"
    assert (
        owner_api.put(f"/contacts/{contact_id}/notes", {"notes": "Regular, Sundays"}).json()["notes"]
        == "Regular, Sundays"
    )
    assert outsider_api.get(f"/contacts/{contact_id}").status_code == 404
    assert outsider_api.put(f"/contacts/{contact_id}/notes", {"notes": "x"}).status_code == 404
    assert outsider_api.get("/labels").json() == []


def test_an_api_post_needs_the_same_approval_as_a_browser_one(agent, workspace, channels, manager_client):
    api = api_for(agent, workspace)
    channel = channels[0]
    media = api.client.post(
        "/api/v1/media",
        {"file": _png(), "alt_text": "Bread"},
        headers={"Authorization": f"Bearer {api.secret}"},
    )
    assert media.status_code == 201, media.content
    created = api.post(
        "/posts",
        {
            "text": "Fresh bread at 7!",
            "channel_ids": [channel.pk],
            "media_ids": [media.json()["id"]],
            "submit": True,
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "in_review"
    assert body["targets"][0]["channel"]["id"] == channel.pk
    post = Post.objects.get(pk=body["id"])
    assert post.status == Post.Status.IN_REVIEW  # waits in the review queue like any draft
    assert manager_client.get("/w/acme/posts/review/").status_code == 200
    assert api.get(f"/posts/{post.pk}").json()["status"] == "in_review"


def test_a_post_to_another_workspaces_channel_or_a_broken_image_is_refused(
    owner_api, other_workspace, outsider_api, workspace, channels
):
    channel = channels[0]
    refused = outsider_api.post("/posts", {"text": "x", "channel_ids": [channel.pk]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["body", "channel_ids"]
    broken = owner_api.client.post(
        "/api/v1/media",
        {"file": _named(b"not an image", "x.png")},
        headers={"Authorization": f"Bearer {owner_api.secret}"},
    )
    assert broken.status_code == 422 and broken.json()["errors"][0]["loc"] == ["body", "file"]
    assert not Post.objects.exists()


def test_channels_health_and_the_first_response_report(owner_api, workspace, channels):
    listed = owner_api.get("/channels").json()
    assert {c["id"] for c in listed} == {c.pk for c in channels}
    report = owner_api.get("/reports/first-response", {"range": "7d"})
    assert report.status_code == 200, report.content
    assert report.json()["first_response"]["count"] == 0
    bad = owner_api.get(
        "/reports/first-response", {"range": "custom", "start": "2026-12-10", "end": "2026-12-01"}
    )
    assert bad.status_code == 422


def _named(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/png")


def _png():
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (200, 120, 40)).save(buffer, "PNG")
    return _named(buffer.getvalue(), "bread.png")


def test_the_inbox_and_team_reports_give_the_pages_figures(
    owner_api, agent, workspace, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the facts are counted once the poll commits
        conversation = x_mention_conversation(workspace)
    inbox = owner_api.get("/reports/inbox", {"range": "7d", "compare": True})
    assert inbox.status_code == 200, inbox.content
    body = inbox.json()
    assert body["current"]["created"] == 1 and body["current"]["received"] == 1
    assert body["previous"] is not None and len(body["heatmap"]) == 7
    assert sum(point["created"] for point in body["series"]) == 1
    assert conversation.pk
    team = owner_api.get("/reports/team", {"range": "30d"}).json()
    assert {row["user_id"] for row in team} >= {agent.pk}
    agent_view = (
        api_for(agent, workspace, scopes=["reports:read"]).get("/reports/inbox", {"range": "7d"}).json()
    )
    assert agent_view["heatmap"] is None  # the workspace's volumes are not an agent's figures
    assert owner_api.get("/reports/inbox", {"range": "week"}).status_code == 422

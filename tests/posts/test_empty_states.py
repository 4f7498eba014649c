"""Every list says what it is for and what to do when it is empty, in English and French."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("posts/", ["No posts yet.", "Write the first post", "/w/acme/posts/new/"]),
        ("posts/?status=published", ["No post matches these filters.", "Show every post"]),
        ("posts/review/", ["Nothing waits for your review.", "approve or send back with a comment"]),
        ("calendar/", ["Nothing is scheduled this month.", "drag it to another day"]),
        ("notifications/", ["No notifications.", "Review requests, approvals, failures and mentions"]),
        ("inbox/approvals/", ["Nothing waiting for approval.", "wait here before they are sent"]),
        ("settings/channels/", ["No channel is connected yet.", "Connect an account with a button above"]),
        ("settings/invitations/", ["No invitation sent yet.", "works once, for 7 days"]),
        ("settings/rules/", ["No rules yet.", "try it with the dry run"]),
        ("settings/rules/log/", ["No rule has run yet.", "what it did shows here"]),
        ("settings/faq/", ["No FAQ answers yet.", "import a CSV file"]),
        ("settings/saved-replies/", ["No saved replies yet.", "type / and their shortcut"]),
    ],
)
def test_an_empty_list_says_what_it_is_for_and_what_to_do(owner_client, workspace, path, says):
    html = owner_client.get(f"/w/acme/{path}").content.decode()
    assert 'class="empty-state"' in html, path
    for words in says:
        assert words in html, (path, words)


def test_in_french(owner, owner_client):
    owner.language = "fr"
    owner.save(update_fields=["language"])
    html = owner_client.get("/w/acme/posts/").content.decode()
    assert "Aucune publication pour l’instant." in html and "Rédiger la première publication" in html
    html = owner_client.get("/w/acme/posts/review/").content.decode()
    assert "Rien n’attend votre validation." in html

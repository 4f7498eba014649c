"""Mail goes out through one task with retries: a mail server that refuses never turns a successful action
into an error page, and the mail is tried again."""

from __future__ import annotations

from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from accounts.models import Invitation
from core.tasks import send_email
from posts.models import Post

attempts: list[str] = []


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down: every send raises, as smtplib does."""

    def send_messages(self, email_messages):
        attempts.extend(message.subject for message in email_messages)
        raise SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def mail_server_down(settings):
    attempts.clear()
    settings.MAILERS = {"default": {"BACKEND": "tests.core.test_mail.RefusingBackend"}}
    yield attempts


def test_an_invitation_is_made_though_the_mail_server_is_down_and_the_mail_is_retried(
    mail_server_down, owner_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            "/w/acme/settings/invitations/", {"email": "new@example.test", "role": "agent"}
        )
    assert response.status_code == 302
    assert Invitation.objects.filter(email="new@example.test").exists()
    # The first try and every retry reached the server (Celery runs the retries at once when eager).
    assert mail_server_down == ["You are invited to Acme Bakery on CM Hub"] * (1 + send_email.max_retries)


def test_submitting_a_post_succeeds_though_the_reviewers_mail_fails(
    mail_server_down, agent_client, manager, channels, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            "/w/acme/posts/new/", {"text": "Short", "channels": [channels[1].pk], "action": "submit"}
        )
    assert response.status_code == 302
    assert Post.objects.get().status == Post.Status.IN_REVIEW
    assert mail_server_down  # it was tried


def test_the_task_sends_with_a_one_line_subject_and_the_html_part():
    send_email.apply(
        kwargs={"subject": "Hello", "body": "Text", "to": ["a@example.test"], "html": "<p>Text</p>"}
    ).get()
    (message,) = mail.outbox
    assert message.to == ["a@example.test"] and message.alternatives[0][1] == "text/html"

"""The one error a view shows: every app's refusal is a UserError, and the helpers show its message."""

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory

from accounts.services import AccountsError
from assistant.llm import LlmError
from assistant.rules import RuleError
from assistant.services import AssistantError
from core.errors import UserError, flash_user_errors, user_errors_on
from inbox.replies import ReplyError, StaleThread
from inbox.saved_replies import SavedReplyError
from inbox.services import InboxError
from networks.connect import ConnectError
from posts.services import PostError
from posts.states import IllegalTransition


@pytest.mark.parametrize(
    "error",
    [
        AccountsError,
        AssistantError,
        ConnectError,
        IllegalTransition,
        InboxError,
        LlmError,
        PostError,
        ReplyError,
        RuleError,
        SavedReplyError,
    ],
)
def test_every_refusal_a_view_shows_is_a_user_error_with_its_message(error):
    exc = error("Nope, in plain words.")
    assert isinstance(exc, UserError)
    assert exc.message == str(exc) == "Nope, in plain words."


def test_a_refusal_with_its_own_arguments_keeps_its_message():
    assert StaleThread(newer=2).message.startswith("New messages arrived")
    assert PostError("Too long.", problems={"X": ["280"]}).message == "Too long."


def _request():
    request = RequestFactory().post("/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_flash_user_errors_turns_a_refusal_into_an_error_message_and_lets_the_view_go_on():
    request = _request()
    with flash_user_errors(request):
        raise ReplyError("Too late to edit.")
    assert [(m.level_tag, m.message) for m in get_messages(request)] == [("error", "Too late to edit.")]


def test_flash_user_errors_lets_a_bug_through():
    with pytest.raises(KeyError), flash_user_errors(_request()):
        raise KeyError("a bug is a 500, not a message")


def test_user_errors_on_puts_a_refusal_on_the_form_and_the_code_after_the_block_runs():
    from django import forms

    class Form(forms.Form):
        email = forms.EmailField()

    form = Form({"email": "a@example.com"})
    assert form.is_valid()
    with user_errors_on(form, "email"):
        raise AccountsError("Already a member.")
    assert form.errors == {"email": ["Already a member."]}

"""Moderation buttons of the conversation page: ask for a hide, a delete or a private reply, and follow it
while it is on its way. Thin: the rules are `inbox.moderation`'s."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import WorkspaceRequest, workspace_view
from core.errors import flash_user_errors
from core.htmx import fragment_or_redirect
from inbox import moderation, selectors
from inbox.models import Conversation, Message, ModerationAction

A = ModerationAction.Action
ASKED = {
    A.HIDE: _("Hiding the comment on the network…"),
    A.UNHIDE: _("Showing the comment again on the network…"),
    A.DELETE: _("Deleting the comment on the network…"),
    A.PRIVATE_REPLY: _("Sending the private reply…"),
    A.BLOCK: _("Blocking the author on the network…"),
}


def _message_answer(request: WorkspaceRequest, conv: Conversation, message: Message) -> HttpResponse:
    def context() -> dict:
        fresh = selectors.get_message_for_member(request.membership, conv, message.pk)
        fresh = selectors.decorate_message(fresh)
        selectors.attach_triage_badges([fresh], selectors.inbound_message_id)
        moderation.attach([fresh], member=request.membership, conversation=conv)
        return {"conversation": conv, "message": fresh, "can_triage": True, "with_messages": True}

    return fragment_or_redirect(
        request,
        "inbox/conversation.html#message",
        context,
        "inbox_conversation",
        slug=request.workspace.slug,
        conversation_id=conv.pk,
    )


@workspace_view()
@require_POST
def message_moderate(request: WorkspaceRequest, conversation_id: int, pk: int) -> HttpResponse:
    """Queue a hide, an unhide, a delete, a private reply or a block; the role and the network's rules are
    checked by the service, which says why when it refuses."""
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    message = selectors.get_message_for_member(request.membership, conv, pk)
    action = request.POST.get("action", "")
    with flash_user_errors(request):
        moderation.moderation_request(
            message=message, by=request.membership, action=action, text=request.POST.get("text", "")
        )
        messages.success(request, str(ASKED[A(action)]))
    return _message_answer(request, conv, message)


@workspace_view()
@require_GET
def message_moderation(request: WorkspaceRequest, conversation_id: int, pk: int) -> HttpResponse:
    """One message with its moderation state, polled while an action is on its way."""
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    message = selectors.get_message_for_member(request.membership, conv, pk)
    return _message_answer(request, conv, message)  # a page load goes to the conversation

"""Reply pages: the composer (part of the conversation page), a reply's status and actions, the approval
queue, saved replies and the inbox settings.

Every action is a POST that works without JavaScript (it redirects, or renders a whole page) and, under
HTMX, answers with the fragment it changed. Writes go through `inbox.replies` and `inbox.saved_replies`.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import WorkspaceRequest, workspace_view
from accounts.models import Membership
from accounts.policy import Perm
from core.errors import flash_user_errors, user_errors_on
from core.htmx import fragment_or_redirect, is_htmx
from inbox import dm_window, replies, saved_replies, selectors
from inbox.forms import InboxSettingsForm, SavedReplyForm
from inbox.models import Conversation, InboxPolicy, Message, SavedReply
from inbox.replies import single
from inbox.signals import reply_written

S = Message.SendStatus
IN_FLIGHT = frozenset({S.QUEUED, S.SENDING, S.UNKNOWN})


def get_reply_for_member(member: Membership, pk: int) -> Message:
    """One of our replies in the member's workspace; 404 for anything else (inbound messages included)."""
    return get_object_or_404(
        Message.objects.select_related(
            "conversation__channel", "conversation__contact", "author_user", "approved_by"
        ),
        pk=pk,
        workspace_id=member.workspace_id,
        direction=Message.Direction.OUT,
    )


def _conversation_url(request: WorkspaceRequest, conversation_id: int, anchor: str = "") -> str:
    url = reverse("inbox_conversation", args=[request.workspace.slug, conversation_id])
    return f"{url}#{anchor}" if anchor else url


# --- Composer -----------------------------------------------------------------------------------------------


def composer_context(
    request: WorkspaceRequest,
    conversation: Conversation,
    *,
    text: str = "",
    problems: list[str] | None = None,
    stale: int = 0,
    standalone: bool = False,
    suggestion_id: str = "",
) -> dict:
    """Everything the composer shows. The conversation page may pass this as its own context (then the
    composer draws at once instead of loading itself); `standalone` is the no-JavaScript composer page."""
    member = request.membership
    channel = conversation.channel
    return {
        "conversation": conversation,
        "composer": {
            "text": text,
            "problems": problems or [],
            "stale": stale,
            "standalone": standalone,
            "suggestion_id": suggestion_id if suggestion_id.isdigit() else "",
            "thread_version": selectors.thread_version(conversation) if standalone else None,
            "needs_approval": replies.reply_needs_approval(conversation=conversation, author=member),
            "count": replies.reply_count(conversation, text),
            "network": channel.network,
            "network_name": channel.get_network_display(),
            "blocked": channel.status == channel.Status.NEEDS_RECONNECT,
            "window": _window(conversation),
            # In a thread where several people write, whom this reply answers (DMs have one person).
            "answers": replies.reply_parent(conversation)
            if conversation.kind != Conversation.Kind.DIRECT_MESSAGE
            else None,
            # Where answering again replaces the answer the public sees (a review's reply): which one,
            # and why another may not go yet.
            "replaces": single.current_answer(conversation) if single.one_answer(channel) else None,
            "one_at_a_time": single.in_flight_refusal(conversation),
            "saved_replies": saved_replies.saved_replies_for_composer(
                workspace=request.workspace, contact=conversation.contact, agent=request.user
            ),
        },
    }


def _window(conversation: Conversation) -> dict | None:
    """When a DM conversation's messaging window closes, or why it is closed (None: no window)."""
    window = dm_window.reply_window(conversation)
    if window is None:
        return None
    problems = dm_window.window_problems(conversation=conversation)
    return {
        "closes_at": window.closes_at,
        "hours": window.hours,
        "closed": bool(problems),
        "problems": problems,
    }


def _composer_response(
    request: WorkspaceRequest,
    conversation: Conversation,
    *,
    status: int = 200,
    trigger: bool = False,
    **kwargs,
) -> HttpResponse:
    """The composer again: its fragment for htmx (always 200: htmx swaps only successful answers, and the
    person must see the problem), or the composer page with `status`."""
    if is_htmx(request):
        response = render(request, "inbox/_composer.html", composer_context(request, conversation, **kwargs))
        if trigger:
            response["HX-Trigger"] = "thread-changed"  # the conversation page reloads its thread
        return response
    context = composer_context(request, conversation, standalone=True, **kwargs)
    context["latest"] = (
        Message.objects.filter(conversation=conversation)
        .select_related("author_contact", "author_user")
        .order_by("-created_at", "-pk")[:5]
    )
    return render(request, "inbox/replies/composer_page.html", context, status=status)


@workspace_view(Perm.REPLY)
@require_GET
def reply_composer(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    """The composer: a fragment for the conversation page (HTMX), or a page of its own."""
    conversation = selectors.get_conversation_for_member(request.membership, conversation_id)
    return _composer_response(request, conversation)


@workspace_view(Perm.REPLY)
@require_POST
def reply_count(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    """The composer's counter for the text being written, counted as the network counts it (one count, on
    the server: the browser only shows it). Inside the counter element, which stays for screen readers."""
    conversation = selectors.get_conversation_for_member(request.membership, conversation_id)
    count = replies.reply_count(conversation, request.POST.get("text", "")[: replies.MAX_TEXT_CHARS])
    return render(request, "inbox/_text_count.html", {"count": count})


def _thread_version(values: list[str]) -> int:
    versions = [int(v) for v in values if v.isdigit()]
    return max(versions, default=0)


@workspace_view(Perm.REPLY)
@require_POST
def reply_create(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.get_conversation_for_member(request.membership, conversation_id)
    text = request.POST.get("text", "")[: replies.MAX_TEXT_CHARS]
    suggestion_id = request.POST.get("suggestion_id", "")[:20]
    if request.POST.get("insert"):  # the saved-reply picker without JavaScript: put the text in, send nothing
        chosen = request.POST.get("saved", "")
        if not chosen.isdigit():
            return _composer_response(request, conversation, text=text, suggestion_id=suggestion_id)
        saved = saved_replies.get_saved_reply_for_member(request.membership, int(chosen))
        body = saved_replies.saved_reply_render(
            saved.body, contact=conversation.contact, agent=request.user, workspace=request.workspace
        )
        return _composer_response(
            request, conversation, text=f"{text.rstrip()}\n\n{body}".strip(), suggestion_id=suggestion_id
        )
    try:
        message = replies.reply_create(
            conversation=conversation,
            author=request.membership,
            text=text,
            thread_version=_thread_version(request.POST.getlist("thread_version")),
            confirm_stale=request.POST.get("confirm_stale") == "1",
        )
    except replies.StaleThread as exc:
        return _composer_response(
            request,
            conversation,
            text=text,
            stale=exc.newer,
            status=409,
            trigger=True,
            suggestion_id=suggestion_id,
        )
    except replies.ReplyError as exc:
        return _composer_response(
            request,
            conversation,
            text=text,
            problems=[exc.message],
            status=400,
            suggestion_id=suggestion_id,
        )
    # The assistant records what became of a suggestion the reply started from (it sits above the inbox).
    reply_written.send(sender=Message, message=message, suggestion_id=suggestion_id, user=request.user)
    if message.send_status == S.PENDING_APPROVAL:
        messages.success(request, _("Reply saved: it goes out once a manager approves it."))
    else:
        messages.success(request, _("Reply on its way."))
    if is_htmx(request):
        return _composer_response(request, conversation, trigger=True)
    return redirect(_conversation_url(request, conversation.pk, f"message-{message.pk}"))


# --- One reply: status and actions --------------------------------------------------------------------------


def _status_response(request: HttpRequest, message: Message, *, trigger: bool = False) -> HttpResponse:
    message.safe_permalink = selectors.http_url(message.permalink)
    response = render(
        request,
        "inbox/_reply_status.html",
        {"message": message, "conversation": message.conversation, "with_messages": True},
    )
    if trigger:
        response["HX-Trigger"] = "thread-changed"
    return response


@workspace_view()
@require_GET
def reply_status(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """A reply's status, polled by the thread while it is on its way; a settled reply refreshes the thread."""
    message = get_reply_for_member(request.membership, pk)
    if not is_htmx(request):
        return redirect(_conversation_url(request, message.conversation_id, f"message-{message.pk}"))
    was = request.GET.get("was", "")
    return _status_response(request, message, trigger=bool(was) and was != message.send_status)


def _after(request: WorkspaceRequest, message: Message) -> HttpResponse:
    """Where a reply action answers: the approval queue it came from, or the conversation's thread."""
    from_queue = request.POST.get("from") == "queue"
    if from_queue:
        return fragment_or_redirect(
            request,
            "inbox/replies/approvals.html#approval-list",
            lambda: _approvals_context(request),
            "reply_approvals",
            slug=request.workspace.slug,
        )
    if is_htmx(request):
        message = get_reply_for_member(request.membership, message.pk)
        return _status_response(request, message, trigger=True)
    return redirect(_conversation_url(request, message.conversation_id, f"message-{message.pk}"))


@workspace_view(Perm.REPLY)
@require_POST
def reply_retry(request: WorkspaceRequest, pk: int) -> HttpResponse:
    message = get_reply_for_member(request.membership, pk)
    with flash_user_errors(request):
        replies.reply_retry(message=message, by=request.membership)
        messages.success(request, _("Sending it again."))
    return _after(request, message)


@workspace_view(Perm.APPROVE_REPLIES)
@require_POST
def reply_approve(request: WorkspaceRequest, pk: int) -> HttpResponse:
    message = get_reply_for_member(request.membership, pk)
    with flash_user_errors(request):
        replies.reply_approve(message=message, by=request.membership)
        messages.success(request, _("Approved: the reply is on its way."))
    return _after(request, message)


@workspace_view(Perm.APPROVE_REPLIES)
@require_POST
def reply_edit_approve(request: WorkspaceRequest, pk: int) -> HttpResponse:
    message = get_reply_for_member(request.membership, pk)
    text = request.POST.get("text", "")[: replies.MAX_TEXT_CHARS]
    with flash_user_errors(request):
        replies.reply_edit_and_approve(message=message, by=request.membership, text=text)
        messages.success(request, _("Edited and approved: the reply is on its way."))
    return _after(request, message)


@workspace_view(Perm.APPROVE_REPLIES)
@require_POST
def reply_reject(request: WorkspaceRequest, pk: int) -> HttpResponse:
    message = get_reply_for_member(request.membership, pk)
    comment = request.POST.get("comment", "")
    with flash_user_errors(request):
        replies.reply_reject(message=message, by=request.membership, comment=comment)
        messages.success(request, _("Rejected: the author sees your comment."))
    return _after(request, message)


# --- Approval queue -----------------------------------------------------------------------------------------


def _approvals_context(request: WorkspaceRequest) -> dict:
    pending = list(
        Message.objects.filter(
            workspace_id=request.workspace.pk,
            direction=Message.Direction.OUT,
            send_status=S.PENDING_APPROVAL,
        )
        .select_related("conversation__channel", "conversation__contact", "author_user")
        .order_by("created_at", "pk")[:200]
    )
    # What each reply answers, in one query: the message it will be threaded under.
    keys = {(m.channel_id, m.parent_external_id) for m in pending if m.parent_external_id}
    parents = {}
    if keys:
        candidates = Message.objects.filter(
            channel_id__in={k[0] for k in keys}, external_id__in={k[1] for k in keys}
        ).select_related("author_contact")
        parents = {(m.channel_id, m.external_id): m for m in candidates}
    for message in pending:
        message.answers = parents.get((message.channel_id, message.parent_external_id))
        message.own = message.author_user_id == request.user.pk
        message.count = replies.reply_count(message.conversation, message.text)
    return {"pending": pending}


@workspace_view(Perm.APPROVE_REPLIES)
@require_GET
def reply_approvals(request: WorkspaceRequest) -> HttpResponse:
    return render(request, "inbox/replies/approvals.html", _approvals_context(request))


# --- Saved replies ------------------------------------------------------------------------------------------


def _save_reply(request: WorkspaceRequest, form: SavedReplyForm, reply: SavedReply | None) -> bool:
    data = {k: form.cleaned_data[k] for k in ("title", "body", "shortcut", "language")}
    with user_errors_on(form):
        if reply is None:
            saved_replies.saved_reply_create(by=request.membership, **data)
        else:
            saved_replies.saved_reply_update(reply=reply, by=request.membership, **data)
        return True
    return False


@workspace_view(Perm.MANAGE_SAVED_REPLIES)
@require_http_methods(["GET", "POST"])
def saved_reply_list(request: WorkspaceRequest) -> HttpResponse:
    form = SavedReplyForm(request.POST or None, workspace=request.workspace)
    if request.method == "POST" and form.is_valid() and _save_reply(request, form, None):
        messages.success(request, _("Saved reply added."))
        return redirect("saved_replies", slug=request.workspace.slug)
    context = {
        "form": form,
        "saved": SavedReply.objects.filter(workspace=request.workspace).select_related("created_by"),
        "variables": saved_replies.VARIABLES,
    }
    return render(request, "inbox/replies/saved_replies.html", context, status=400 if form.errors else 200)


@workspace_view(Perm.MANAGE_SAVED_REPLIES)
@require_http_methods(["GET", "POST"])
def saved_reply_edit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    reply = saved_replies.get_saved_reply_for_member(request.membership, pk)
    form = SavedReplyForm(request.POST or None, instance=reply, workspace=request.workspace)
    if request.method == "POST" and form.is_valid() and _save_reply(request, form, reply):
        messages.success(request, _("Saved reply updated."))
        return redirect("saved_replies", slug=request.workspace.slug)
    context = {"form": form, "reply": reply, "variables": saved_replies.VARIABLES}
    return render(request, "inbox/replies/saved_reply_form.html", context, status=400 if form.errors else 200)


@workspace_view(Perm.MANAGE_SAVED_REPLIES)
@require_POST
def saved_reply_delete(request: WorkspaceRequest, pk: int) -> HttpResponse:
    reply = saved_replies.get_saved_reply_for_member(request.membership, pk)
    saved_replies.saved_reply_delete(reply=reply, by=request.membership)
    messages.success(request, _("Saved reply “%(title)s” deleted.") % {"title": reply.title})
    return redirect("saved_replies", slug=request.workspace.slug)


# --- Inbox settings -----------------------------------------------------------------------------------------


@workspace_view(Perm.MANAGE_WORKSPACE)
@require_http_methods(["GET", "POST"])
def inbox_settings(request: WorkspaceRequest) -> HttpResponse:
    policy = InboxPolicy.objects.filter(workspace=request.workspace).first() or InboxPolicy(
        workspace=request.workspace
    )
    form = InboxSettingsForm(request.POST or None, initial=InboxSettingsForm.initial_for(policy))
    if request.method == "POST" and form.is_valid():
        replies.inbox_policy_update(
            workspace=request.workspace,
            by=request.membership,
            agent_replies_need_approval=form.cleaned_data["agent_replies_need_approval"],
            first_response_minutes=form.cleaned_data["first_response_minutes"],
            business_hours=form.cleaned_data["business_hours"],
            after_reply=form.cleaned_data["after_reply"] or None,
        )
        messages.success(request, _("Inbox settings saved."))
        return redirect("inbox_settings", slug=request.workspace.slug)
    context = {"form": form, "timezone": request.workspace.timezone}
    return render(request, "inbox/replies/inbox_settings.html", context, status=400 if form.errors else 200)

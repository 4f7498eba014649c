"""Conversations, their messages, and replies: the inbox's list, filters and services, nothing of its own."""

import datetime as dt
from typing import Literal

from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from accounts.models import Membership
from accounts.policy import Perm
from api.auth import ApiRequest, require, scoped
from api.problems import forbidden, invalid, refused
from api.schemas import (
    ERRORS,
    ConversationOut,
    ConversationPage,
    ConversationPatch,
    MessageOut,
    ReplyIn,
    ThreadOut,
    conversation_out,
    message_out,
)
from core.errors import UserError
from inbox import selectors
from inbox import services as inbox_services
from inbox.forms import FilterForm
from inbox.models import Conversation, Intent, Label, Message
from inbox.replies.writing import reply_create
from inbox.selectors import Sort
from networks.models import Network

router = Router(tags=["conversations"])

MAX_LIMIT = 100
Status_ = Literal["", "all", "open", "pending", "resolved", "spam"]
assert set(Status_.__args__) == {"", "all", *Conversation.Status.values}  # type: ignore[attr-defined]


class ListQuery(Schema):
    q: str = Field("", max_length=200, description='Words, "phrases", -excluded; or a contact\'s name.')
    status: Status_ = Field("", description="open (the default), another status, or all.")
    channel: int | None = Field(None, ge=1)
    network: str = Field("", description=", ".join(n.value for n in Network))
    assignee: str = Field("", description="anyone, me, unassigned, or a member's user id.")
    label: int | None = Field(None, ge=1)
    priority: int | None = Field(None, ge=0, le=3, description="0 low, 1 normal, 2 high, 3 urgent.")
    date_from: dt.date | None = Field(None, description="Last message on or after this day (YYYY-MM-DD).")
    date_to: dt.date | None = Field(None, description="Last message on or before this day (YYYY-MM-DD).")
    overdue: bool = False
    intent: str = Field("", description=", ".join(Intent.values))
    kind: str = Field("", description=", ".join(Conversation.Kind.values))
    rating: int | None = Field(None, ge=1, le=5, description="Reviews with these stars (1 to 5).")
    sort: str = Field("", description=", ".join(s.value for s in Sort) + " (newest by default).")
    cursor: str = ""
    limit: int = Field(25, ge=1, le=MAX_LIMIT)


def _get(request: ApiRequest, conversation_id: int) -> Conversation:
    return selectors.get_conversation_for_member(request.member, conversation_id)


@router.get("/conversations", response={200: ConversationPage, **ERRORS}, summary="List conversations")
@scoped("conversations:read")
def list_conversations(request: ApiRequest, query: Query[ListQuery]) -> ConversationPage:
    """The inbox's list with its filters and search, newest first, a page at a time (cursor paging: no
    offsets, so a page is as fast at the millionth row as at the first)."""
    params = {
        name: value.isoformat() if isinstance(value, dt.date) else value
        for name, value in query.dict(exclude={"cursor", "limit"}).items()
        if value is not None and value != "" and value is not False  # 0 (low priority) is a value
    }
    form = FilterForm(params)
    if not form.is_valid():
        errors = [
            {"loc": ["query", name], "msg": " ".join(str(e) for e in found)}
            for name, found in form.errors.items()
        ]
        raise invalid(errors)
    cursor = selectors.Cursor.decode(query.cursor) if query.cursor else None
    if query.cursor and cursor is None:
        raise invalid([{"loc": ["query", "cursor"], "msg": "Not a cursor this API gave."}])
    member = request.member
    page = selectors.conversation_page(
        workspace=member.workspace, user=member.user, filters=form.filters(), cursor=cursor, limit=query.limit
    )
    slug = member.workspace.slug
    return ConversationPage(
        items=[conversation_out(row, slug=slug) for row in page.rows],
        next_cursor=page.next_cursor.encode() if page.next_cursor else None,
    )


@router.get(
    "/conversations/{conversation_id}",
    response={200: ConversationOut, **ERRORS},
    summary="Get a conversation",
)
@scoped("conversations:read")
def get_conversation(request: ApiRequest, conversation_id: int) -> ConversationOut:
    return conversation_out(_get(request, conversation_id), slug=request.member.workspace.slug)


@router.patch(
    "/conversations/{conversation_id}",
    response={200: ConversationOut, **ERRORS},
    summary="Update a conversation",
)
@scoped("conversations:write")
def update_conversation(
    request: ApiRequest, conversation_id: int, patch: ConversationPatch
) -> ConversationOut:
    """Status, priority, assignee and labels, each through the inbox's own service (same permissions,
    audit entries and refusals as the browser). Fields left out are left alone; every change is made, or
    none."""
    member = request.member
    conversation = _get(request, conversation_id)
    require(request, Perm.REPLY)
    sent = patch.model_fields_set
    assignee = None
    if "assignee_id" in sent and patch.assignee_id:
        found = (
            Membership.objects.filter(workspace_id=member.workspace_id, user_id=patch.assignee_id)
            .select_related("user")
            .first()
        )
        assignee = found.user if found is not None else None
        if assignee is None:
            raise invalid([{"loc": ["body", "assignee_id"], "msg": "Not a member of this workspace."}])
    if "assignee_id" in sent and not inbox_services.may_assign(
        member, current=conversation.assignee_id, to=assignee.pk if assignee else None
    ):
        raise forbidden(_("Only managers can assign conversations to others."))
    try:
        with transaction.atomic():
            if "status" in sent and patch.status:
                conversation = inbox_services.conversation_set_status(
                    conversation=conversation, status=patch.status, by=member
                )
            if "priority" in sent and patch.priority is not None:
                conversation = inbox_services.conversation_set_priority(
                    conversation=conversation, priority=patch.priority, by=member
                )
            if "assignee_id" in sent:
                conversation = inbox_services.conversation_assign(
                    conversation=conversation, assignee=assignee, by=member
                )
            if patch.add_labels or patch.remove_labels:
                add = [
                    inbox_services.label_get_or_create(name=name, by=member)[0] for name in patch.add_labels
                ]
                remove = list(
                    Label.objects.filter(workspace_id=member.workspace_id, pk__in=patch.remove_labels)
                )
                inbox_services.conversation_label(
                    conversation=conversation, add=add, remove=remove, by=member
                )
    except UserError as exc:
        raise refused(exc.message) from exc
    return conversation_out(_get(request, conversation_id), slug=member.workspace.slug)


@router.get(
    "/conversations/{conversation_id}/messages",
    response={200: ThreadOut, **ERRORS},
    summary="Messages of a conversation",
)
@scoped("conversations:read")
def list_messages(request: ApiRequest, conversation_id: int) -> ThreadOut:
    conversation = _get(request, conversation_id)
    messages = list(
        Message.objects.filter(conversation=conversation)
        .select_related("author_user", "author_contact")
        .order_by("created_at", "pk")
    )
    return ThreadOut(
        conversation_id=conversation.pk,
        thread_version=selectors.thread_version(conversation, messages),
        items=[message_out(m) for m in messages],
    )


@router.post(
    "/conversations/{conversation_id}/replies",
    response={201: MessageOut, **ERRORS},
    summary="Reply, or draft a reply for approval",
)
@scoped("conversations:write")
def create_reply(request: ApiRequest, conversation_id: int, reply: ReplyIn) -> Status:
    """Queued for sending through the delivery engine, or waiting for a person's approval when the
    workspace's policy says so or when `draft` is true (its `send_status` says which)."""
    conversation = _get(request, conversation_id)
    require(request, Perm.REPLY)
    version = reply.thread_version
    if version is None:
        version = selectors.thread_version(conversation)
    try:
        message = reply_create(
            conversation=conversation,
            author=request.member,
            text=reply.text,
            thread_version=version,
            confirm_stale=reply.confirm_stale,
            hold_for_approval=reply.draft,
        )
    except UserError as exc:
        raise refused(exc.message) from exc
    message = Message.objects.select_related("author_user", "author_contact").get(pk=message.pk)
    return Status(201, message_out(message))

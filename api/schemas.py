"""What the API answers and accepts. Output is built from the apps' rows by the `*_out` functions, so a
field means the same thing on every route."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.conf import settings
from django.urls import reverse
from ninja import Schema
from pydantic import ConfigDict, Field, StringConstraints

from inbox.models import Contact, Conversation, Label, Message
from inbox.services import LABEL_MAX_CHARS
from networks.models import Channel


class StrictIn(Schema):
    """A request body: a field this API does not know is an error, never silently ignored (a typo such as
    `assignee` for `assignee_id` would otherwise look like a success)."""

    model_config = ConfigDict(extra="forbid")


class ProblemOut(Schema):
    """RFC 9457 problem details, as every error is answered."""

    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    errors: list[dict[str, Any]] = Field(default_factory=list)


#: The errors any authenticated route may answer, for the OpenAPI document.
ERRORS: dict[int, Any] = {code: ProblemOut for code in (401, 403, 404, 409, 422, 429)}


def absolute(path: str) -> str:
    return settings.SITE_URL + path


class Ref(Schema):
    id: int
    name: str


class ChannelRef(Schema):
    id: int
    name: str
    network: str


class ContactOut(Schema):
    id: int
    network: str
    external_id: str
    name: str
    handle: str
    profile_url: str
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    message_count: int


class LabelOut(Schema):
    id: int
    name: str
    colour: str = ""


class ConversationOut(Schema):
    id: int
    channel: ChannelRef
    kind: str
    status: str
    priority: int
    sensitive: bool
    assignee: Ref | None
    labels: list[LabelOut]
    contact: ContactOut | None
    preview: str
    message_count: int
    rating: int | None = Field(None, description="A review's current stars, 1 to 5; null for other threads.")
    post_permalink: str
    external_id: str = Field(..., description="The thread's root on the network.")
    created_at: dt.datetime
    updated_at: dt.datetime
    last_message_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    link: str


class ConversationPage(Schema):
    items: list[ConversationOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


class ConversationPatch(StrictIn):
    status: Conversation.Status | None = None
    priority: int | None = Field(None, ge=0, le=3, description="0 low, 1 normal, 2 high, 3 urgent.")
    assignee_id: int | None = Field(None, ge=0, description="A member's user id; 0 or null unassigns.")
    add_labels: list[Annotated[str, StringConstraints(min_length=1, max_length=LABEL_MAX_CHARS)]] = Field(
        default_factory=list, max_length=20, description="Label names, created when new."
    )
    remove_labels: list[int] = Field(default_factory=list, max_length=100, description="Label ids.")


class MessageOut(Schema):
    id: int
    external_id: str | None
    direction: str
    kind: str
    text: str
    author: str
    author_user_id: int | None = Field(None, description="The member who wrote it (our replies).")
    author_contact_id: int | None = Field(None, description="The contact who wrote it (the public).")
    created_at: dt.datetime
    permalink: str
    edited_at: dt.datetime | None
    deleted_at: dt.datetime | None
    hidden: bool
    rating: int | None = Field(None, description="A review's stars, 1 to 5, as its author last set them.")
    replaced_at: dt.datetime | None = Field(
        None, description="Our answer, replaced on the network by a later one (one answer per review)."
    )
    send_status: str
    send_error: str
    attachments: list[dict[str, Any]]


class ReplyIn(StrictIn):
    text: str = Field(..., min_length=1, max_length=65000)
    draft: bool = Field(
        False, description="Wait for a person to approve it, whatever the workspace's approval policy."
    )
    thread_version: int | None = Field(
        None,
        description="The `thread_version` you read; a reply to a thread that moved since is refused "
        "unless `confirm_stale` is true. Omitted: the current thread.",
    )
    confirm_stale: bool = False


class ThreadOut(Schema):
    conversation_id: int
    thread_version: int
    items: list[MessageOut]


def channel_ref(channel: Channel) -> ChannelRef:
    return ChannelRef(id=channel.pk, name=channel.name, network=channel.network)


def contact_out(contact: Contact) -> ContactOut:
    return ContactOut(
        id=contact.pk,
        network=contact.network,
        external_id=contact.external_id,
        name=contact.display_name,
        handle=contact.handle,
        profile_url=contact.profile_url,
        first_seen_at=contact.first_seen_at,
        last_seen_at=contact.last_seen_at,
        message_count=contact.message_count,
    )


def label_out(label: Label) -> LabelOut:
    return LabelOut(id=label.pk, name=label.name, colour=label.color)


def conversation_out(conversation: Conversation, *, slug: str) -> ConversationOut:
    assignee = conversation.assignee
    return ConversationOut(
        id=conversation.pk,
        channel=channel_ref(conversation.channel),
        kind=conversation.kind,
        status=conversation.status,
        priority=conversation.priority,
        sensitive=conversation.sensitive,
        assignee=Ref(id=assignee.pk, name=assignee.name) if assignee else None,
        labels=[label_out(label) for label in conversation.labels.all()],
        contact=contact_out(conversation.contact) if conversation.contact else None,
        preview=conversation.preview,
        message_count=conversation.message_count,
        rating=conversation.rating,
        post_permalink=conversation.post_permalink,
        external_id=conversation.root_external_id,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        last_message_at=conversation.last_message_at,
        first_response_at=conversation.first_response_at,
        resolved_at=conversation.resolved_at,
        link=absolute(reverse("inbox_conversation", args=[slug, conversation.pk])),
    )


def message_out(message: Message) -> MessageOut:
    if message.author_user_id:
        author = message.author_user.name if message.author_user else ""
    else:
        author = message.author_contact.display_name if message.author_contact else ""
    return MessageOut(
        id=message.pk,
        external_id=message.external_id,
        author_user_id=message.author_user_id,
        author_contact_id=message.author_contact_id,
        direction=message.direction,
        kind=message.kind,
        text=message.text,
        author=author,
        created_at=message.created_at,
        permalink=message.permalink,
        edited_at=message.edited_at,
        deleted_at=message.deleted_at,
        hidden=message.hidden,
        rating=message.rating,
        replaced_at=message.replaced_at,
        send_status=message.send_status,
        send_error=message.send_error,
        attachments=list(message.attachments or []),
    )

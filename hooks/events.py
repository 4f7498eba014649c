"""The events outgoing webhooks announce, and the payload of each: {"type", "timestamp", "data"}.

The payloads are a public contract (README, "Outgoing webhooks"): fields are added, never renamed or
removed. Each builder reads what it needs in a bounded number of queries, whatever the batch size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from inbox.models import Conversation, Message
from networks.models import Channel
from posts.models import Post, PostTarget

CONVERSATION_CREATED = "conversation.created"
CONVERSATION_UPDATED = "conversation.updated"
MESSAGE_CREATED = "message.created"
REPLY_SENT = "reply.sent"
REPLY_FAILED = "reply.failed"
POST_APPROVED = "post.approved"
POST_PUBLISHED = "post.published"
POST_FAILED = "post.failed"
CHANNEL_NEEDS_RECONNECT = "channel.needs_reconnect"
TEST = "webhook.test"  # sent by hand from the settings page, to the one endpoint, whatever it subscribes to

#: The events an endpoint can subscribe to, with what the settings page says of each.
EVENTS: dict[str, Any] = {
    CONVERSATION_CREATED: _("A new conversation arrived"),
    CONVERSATION_UPDATED: _("A conversation's status, assignee, priority or labels changed"),
    MESSAGE_CREATED: _("A new message was stored (from the network)"),
    REPLY_SENT: _("A reply reached the network"),
    REPLY_FAILED: _("A reply could not be sent"),
    POST_APPROVED: _("A post was approved"),
    POST_PUBLISHED: _("A post was published on a channel"),
    POST_FAILED: _("A post could not be published on a channel"),
    CHANNEL_NEEDS_RECONNECT: _("A channel lost its connection and needs a reconnect"),
}

Payload = dict[str, Any]


def _iso(when: dt.datetime | None) -> str | None:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if when else None


def _link(name: str, *args: Any) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def envelope(event_type: str, data: dict[str, Any], *, at: dt.datetime | None = None) -> Payload:
    return {"type": event_type, "timestamp": _iso(at or timezone.now()), "data": data}


def _contact(conversation: Conversation) -> dict[str, Any] | None:
    contact = conversation.contact
    if contact is None:
        return None
    return {
        "id": contact.pk,
        "name": contact.name,
        "handle": contact.handle,
        "profile_url": contact.profile_url,
    }


def conversation_data(conversation: Conversation, workspace: Workspace) -> dict[str, Any]:
    """A conversation's public fields (select_related contact, channel, assignee; prefetched labels)."""
    return {
        "id": conversation.pk,
        "workspace": workspace.slug,
        "channel": {
            "id": conversation.channel_id,
            "network": conversation.channel.network,
            "name": conversation.channel.name,
        },
        "kind": conversation.kind,
        "status": conversation.status,
        "priority": conversation.priority,
        "assignee": conversation.assignee.email if conversation.assignee else None,
        "labels": sorted(label.name for label in conversation.labels.all()),
        "contact": _contact(conversation),
        "preview": conversation.preview,
        "message_count": conversation.message_count,
        "post_permalink": conversation.post_permalink or None,
        "last_message_at": _iso(conversation.last_message_at),
        "created_at": _iso(conversation.created_at),
        "url": _link("inbox_conversation", workspace.slug, conversation.pk),
    }


def conversations(ids: Iterable[int]) -> list[Conversation]:
    return list(
        Conversation.objects.filter(pk__in=list(ids))
        .select_related("contact", "channel", "assignee")
        .prefetch_related("labels")
        .order_by("pk")
    )


def message_data(message: Message, workspace: Workspace) -> dict[str, Any]:
    author = message.author_contact
    return {
        "id": message.pk,
        "workspace": workspace.slug,
        "conversation_id": message.conversation_id,
        "channel_id": message.channel_id,
        "direction": message.direction,
        "kind": message.kind,
        "text": message.text,
        "author": {"id": author.pk, "name": author.name, "handle": author.handle} if author else None,
        "permalink": message.permalink or None,
        "created_at": _iso(message.created_at),
        "url": _link("inbox_conversation", workspace.slug, message.conversation_id),
    }


def messages(ids: Iterable[int]) -> list[Message]:
    return list(Message.objects.filter(pk__in=list(ids)).select_related("author_contact").order_by("pk"))


def reply_data(message: Message, workspace: Workspace) -> dict[str, Any]:
    return {
        "id": message.pk,
        "workspace": workspace.slug,
        "conversation_id": message.conversation_id,
        "channel_id": message.channel_id,
        "text": message.text,
        "status": message.send_status,
        "error": message.send_error or None,
        "author": message.author_user.email if message.author_user else None,
        "permalink": message.permalink or None,
        "sent_at": _iso(message.sent_at),
        "url": _link("inbox_conversation", workspace.slug, message.conversation_id),
    }


def post_data(post: Post, workspace: Workspace) -> dict[str, Any]:
    return {
        "id": post.pk,
        "workspace": workspace.slug,
        "title": post.title,
        "text": post.text,
        "status": post.status,
        "scheduled_at": _iso(post.scheduled_at),
        "url": _link("post_detail", workspace.slug, post.pk),
    }


def target_data(target: PostTarget) -> dict[str, Any]:
    return {
        "id": target.pk,
        "channel": {"id": target.channel_id, "network": target.channel.network, "name": target.channel.name},
        "status": target.status,
        "permalink": target.permalink or None,
        "error": target.error or None,
        "published_at": _iso(target.published_at),
    }


def channel_data(channel: Channel, workspace: Workspace) -> dict[str, Any]:
    return {
        "id": channel.pk,
        "workspace": workspace.slug,
        "network": channel.network,
        "name": channel.name,
        "handle": channel.handle,
        "status": channel.status,
        "error": channel.last_error or None,
        "url": _link("channel_health", workspace.slug),
    }

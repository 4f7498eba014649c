"""The lower apps' events, written to the outbox of every subscribed endpoint.

Every signal connected here is sent inside the transaction that records its fact, so the outbox rows
commit with it or vanish with it. When no endpoint of the workspace wants the event, one query is all a
receiver costs; otherwise the payloads of a whole batch are read in a bounded number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.dispatch import receiver

from accounts.models import Workspace
from hooks import events
from hooks.services import subscribed_endpoints, webhooks_emit
from inbox import signals as inbox_signals
from inbox.models import Message
from networks import signals as network_signals
from posts import signals as post_signals
from posts.models import Post, PostTarget

#: (ordering key, data) of each message, given the workspace; called only when someone subscribes.
Items = Callable[[Workspace], list[tuple[str, dict[str, Any]]]]


def _emit(workspace_id: int, event_type: str, items: Items) -> None:
    endpoints = subscribed_endpoints(workspace_id, event_type)
    if not endpoints:
        return
    workspace = endpoints[0].workspace
    webhooks_emit(
        workspace_id=workspace_id, event_type=event_type, items=items(workspace), endpoints=endpoints
    )


@receiver(inbox_signals.conversations_created, dispatch_uid="hooks.conversations_created")
def _conversations_created(*, workspace_id: int, conversation_ids: list[int], **kwargs: Any) -> None:
    def items(workspace: Workspace) -> list[tuple[str, dict[str, Any]]]:
        return [
            (f"conversation:{c.pk}", {"conversation": events.conversation_data(c, workspace)})
            for c in events.conversations(conversation_ids)
        ]

    _emit(workspace_id, events.CONVERSATION_CREATED, items)


@receiver(inbox_signals.conversations_updated, dispatch_uid="hooks.conversations_updated")
def _conversations_updated(
    *, workspace_id: int, conversation_ids: list[int], changed: list[str], **kwargs: Any
) -> None:
    def items(workspace: Workspace) -> list[tuple[str, dict[str, Any]]]:
        return [
            (
                f"conversation:{c.pk}",
                {"conversation": events.conversation_data(c, workspace), "changed": sorted(changed)},
            )
            for c in events.conversations(conversation_ids)
        ]

    _emit(workspace_id, events.CONVERSATION_UPDATED, items)


@receiver(inbox_signals.messages_created, dispatch_uid="hooks.messages_created")
def _messages_created(*, workspace_id: int, message_ids: list[int], **kwargs: Any) -> None:
    def items(workspace: Workspace) -> list[tuple[str, dict[str, Any]]]:
        return [
            (f"conversation:{m.conversation_id}", {"message": events.message_data(m, workspace)})
            for m in events.messages(message_ids)
        ]

    _emit(workspace_id, events.MESSAGE_CREATED, items)


@receiver(inbox_signals.reply_settled, dispatch_uid="hooks.reply_settled")
def _reply_settled(*, message: Message, status: str, **kwargs: Any) -> None:
    def items(workspace: Workspace) -> list[tuple[str, dict[str, Any]]]:
        reply = Message.objects.select_related("author_user").get(pk=message.pk)
        reply.send_status, reply.send_error = message.send_status, message.send_error
        return [(f"conversation:{message.conversation_id}", {"reply": events.reply_data(reply, workspace)})]

    _emit(message.workspace_id, events.REPLY_SENT if status == "sent" else events.REPLY_FAILED, items)


@receiver(post_signals.post_approved, dispatch_uid="hooks.post_approved")
def _post_approved(*, post: Post, **kwargs: Any) -> None:
    def items(workspace: Workspace) -> list[tuple[str, dict[str, Any]]]:
        return [(f"post:{post.pk}", {"post": events.post_data(post, workspace)})]

    _emit(post.workspace_id, events.POST_APPROVED, items)


@receiver(post_signals.target_settled, dispatch_uid="hooks.target_settled")
def _target_settled(*, target_id: int, post_id: int, workspace_id: int, status: str, **kwargs: Any) -> None:
    def items(workspace: Workspace) -> list[tuple[str, dict[str, Any]]]:
        post = Post.objects.get(pk=post_id)
        target = PostTarget.objects.select_related("channel").get(pk=target_id)
        data = {"post": events.post_data(post, workspace), "target": events.target_data(target)}
        return [(f"post:{post_id}", data)]

    published = status == PostTarget.Status.PUBLISHED
    _emit(workspace_id, events.POST_PUBLISHED if published else events.POST_FAILED, items)


@receiver(network_signals.channel_needs_reconnect, dispatch_uid="hooks.channel_needs_reconnect")
def _channel_needs_reconnect(*, channel: Any, **kwargs: Any) -> None:
    def items(workspace: Workspace) -> list[tuple[str, dict[str, Any]]]:
        return [(f"channel:{channel.pk}", {"channel": events.channel_data(channel, workspace)})]

    _emit(channel.workspace_id, events.CHANNEL_NEEDS_RECONNECT, items)

"""What a reply must be before it is queued: the network's limits, approval, a thread that moved on."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.policy import Perm, can
from core.http import make_client
from inbox import dm_window
from inbox.models import Conversation, InboxPolicy, Message
from networks import registry
from networks.models import Channel
from networks.providers import base as p

from .common import MAX_TEXT_CHARS


def reply_needs_approval(
    *, conversation: Conversation, author: Membership, drafted_by_assistant: bool = False
) -> bool:
    """Sensitive conversations and assistant drafts always wait for a manager; other replies wait when the
    workspace says agents' replies do and the author may not approve replies."""
    if conversation.sensitive or drafted_by_assistant:
        return True
    policy = InboxPolicy.objects.filter(workspace_id=conversation.workspace_id).first()
    return bool(policy and policy.agent_replies_need_approval and not can(author, Perm.APPROVE_REPLIES))


def _text_kind(conversation: Conversation) -> p.TextKind:
    if conversation.kind == Conversation.Kind.DIRECT_MESSAGE:
        return p.TextKind.DIRECT_MESSAGE
    return p.TextKind.REPLY


def reply_limit(conversation: Conversation) -> p.TextLimit:
    """The length a reply in this conversation may have (what the composer's counter counts against)."""
    return registry.text_limit(conversation.channel, _text_kind(conversation))


def reply_length(conversation: Conversation, text: str) -> int:
    return registry.provider_class(conversation.channel.network).text_length(text)


@dataclass(frozen=True)
class TextCount:
    """What the composer's counter shows: the length as the network counts it, against its limit."""

    length: int
    limit: int
    weighted: bool  # the network counts some characters (links, emoji, many scripts) as more than one
    network_name: str
    counting: str = ""  # how, in words, when weighted

    @property
    def over(self) -> bool:
        return self.length > self.limit


def reply_count(conversation: Conversation, text: str) -> TextCount:
    """The counter for `text` as a reply in this conversation. Counted here only: the browser shows it."""
    limit = reply_limit(conversation)
    return TextCount(
        length=reply_length(conversation, text),
        limit=limit.max_length,
        weighted=limit.weighted,
        network_name=str(conversation.channel.get_network_display()),
        counting=registry.counting_words(conversation.channel),
    )


def reply_problems(*, conversation: Conversation, text: str) -> list[str]:
    """Everything that would make the network refuse this reply, said before it is queued."""
    if not text.strip():
        return [_("Write something first.")]
    if len(text) > MAX_TEXT_CHARS:
        return [_("This is far too long for any network.")]
    channel = conversation.channel
    with make_client() as http:
        provider = registry.build_provider(channel, http=http)
    kind = _text_kind(conversation)
    if kind == p.TextKind.DIRECT_MESSAGE and not provider.supports_direct_message_reply:
        return [_("%(network)s does not let CM Hub answer direct messages.") % _network(channel)]
    problems = provider.validate_reply(text, kind=kind) + dm_window.window_problems(conversation=conversation)
    return list(dict.fromkeys(problems))


def _network(channel: Channel) -> dict[str, str]:
    return {"network": str(channel.get_network_display())}


def thread_changes_since(*, conversation: Conversation, version: int, author: Membership) -> int:
    """Messages stored after `version` (the newest message id the author saw), their own replies aside."""
    return (
        Message.objects.filter(conversation=conversation, pk__gt=version)
        .exclude(direction=Message.Direction.OUT, author_user_id=author.user_id)
        .count()
    )

"""What reports does when the inbox tells it something: keep the facts in step."""

import datetime as dt
from typing import Any

from django.dispatch import receiver

from inbox.models import Conversation, Message
from inbox.signals import conversation_changed, conversations_changed, conversations_reopened, messages_stored
from reports.services import conversation_reopens_record, conversations_facts_refresh, facts_messages_received


@receiver(conversation_changed, dispatch_uid="reports_conversation_changed")
def _conversation_changed(
    sender: Any, *, conversation: Conversation, by_user_id: int | None = None, **kwargs: Any
) -> None:
    """Inside the inbox's transaction: the conversation's facts are rewritten with the change."""
    conversations_facts_refresh(conversation_ids=[conversation.pk], by_user_id=by_user_id)


@receiver(conversations_changed, dispatch_uid="reports_conversations_changed")
def _conversations_changed(
    sender: Any, *, conversation_ids: list[int], by_user_id: int | None = None, **kwargs: Any
) -> None:
    conversations_facts_refresh(conversation_ids=conversation_ids, by_user_id=by_user_id)


@receiver(conversations_reopened, dispatch_uid="reports_conversations_reopened")
def _conversations_reopened(
    sender: Any, *, reopened: dict[int, dt.datetime], user_id: int | None, **kwargs: Any
) -> None:
    conversation_reopens_record(reopened=reopened, user_id=user_id)


@receiver(messages_stored, sender=Message, dispatch_uid="reports_messages_stored")
def _messages_stored(sender: Any, *, inbound_ids: list[int], **kwargs: Any) -> None:
    """After a poll's commit: what arrived is counted at once (volumes, new conversations, the heatmap)."""
    facts_messages_received(message_ids=inbound_ids)

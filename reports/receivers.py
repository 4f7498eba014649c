"""What reports does when the inbox tells it something: keep the facts in step, in the same transaction."""

import datetime as dt
from typing import Any

from django.dispatch import receiver

from inbox.models import Conversation
from inbox.signals import conversation_changed, conversations_changed, conversations_reopened
from reports.services import conversation_reopens_record, conversations_facts_refresh


@receiver(conversation_changed, dispatch_uid="reports_conversation_changed")
def _conversation_changed(sender: Any, *, conversation: Conversation, **kwargs: Any) -> None:
    conversations_facts_refresh(conversation_ids=[conversation.pk])


@receiver(conversations_changed, dispatch_uid="reports_conversations_changed")
def _conversations_changed(sender: Any, *, conversation_ids: list[int], **kwargs: Any) -> None:
    conversations_facts_refresh(conversation_ids=conversation_ids)


@receiver(conversations_reopened, dispatch_uid="reports_conversations_reopened")
def _conversations_reopened(
    sender: Any, *, reopened: dict[int, dt.datetime], user_id: int | None, **kwargs: Any
) -> None:
    conversation_reopens_record(reopened=reopened, user_id=user_id)

"""What reports does when the inbox tells it something: keep the facts in step, in the same transaction."""

from typing import Any

from django.dispatch import receiver

from inbox.models import Conversation
from inbox.signals import conversation_changed
from reports.services import conversation_facts_refresh


@receiver(conversation_changed, dispatch_uid="reports_conversation_changed")
def _conversation_changed(
    sender: Any, *, conversation: Conversation, by_user_id: int | None = None, **kwargs: Any
) -> None:
    conversation_facts_refresh(conversation=conversation, by_user_id=by_user_id)

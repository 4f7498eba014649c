"""Helpers shared by the assistant's composer tests: a customer message arriving (ingested and triaged, as
the pipeline does it), and an agent sending a reply from the composer."""

from __future__ import annotations

from assistant import tasks
from inbox.ingest import message_ingest_batch
from inbox.models import Conversation, Message


def arrive(channel, make_item, text: str, **kwargs) -> Message:
    ids = message_ingest_batch(channel=channel, items=[make_item(text, **kwargs)]).new_message_ids
    tasks.triage_messages(ids)
    return Message.objects.select_related("conversation__channel").get(pk=ids[0])


def send_reply(client, conversation: Conversation, text: str, suggestion_id) -> None:
    """The composer's Send, with the suggestion it started from (if any) and the thread version it saw."""
    version = (
        Message.objects.filter(conversation=conversation).order_by("-pk").values_list("pk", flat=True)[0]
    )
    response = client.post(
        f"/w/acme/inbox/{conversation.pk}/reply/send/",
        {"text": text, "suggestion_id": suggestion_id, "thread_version": version},
    )
    assert response.status_code == 302, response.content.decode()[:500]

"""Storing what a poll fetched: contacts, conversations and messages, in bulk, in the caller's transaction.

The unique constraint on (channel, external_id) is the guard against duplicates; the channel row lock
taken here serialises ingestion per channel, so the counters stay exact when the same batch is replayed
concurrently. Query count per batch is constant (about ten), whatever the batch size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.utils import timezone

from inbox import sla
from inbox.models import Contact, Conversation, InboxPolicy, Message
from networks.models import Channel
from networks.providers import base as p

PREVIEW_CHARS = 280
_KIND = {
    p.ItemKind.COMMENT: Conversation.Kind.COMMENT,
    p.ItemKind.REPLY: Conversation.Kind.COMMENT,
    p.ItemKind.MENTION: Conversation.Kind.MENTION,
    p.ItemKind.DIRECT_MESSAGE: Conversation.Kind.DIRECT_MESSAGE,
}


@dataclass(frozen=True)
class IngestResult:
    new_message_ids: list[int]
    conversation_ids: list[int]
    reopened: int


def thread_root(item: p.EngagementItem) -> str:
    return item.thread_root_external_id or item.parent_external_id or item.external_id


@transaction.atomic
def message_ingest_batch(*, channel: Channel, items: list[p.EngagementItem]) -> IngestResult:
    if not items:
        return IngestResult([], [], 0)
    channel = Channel.objects.select_for_update().select_related("workspace").get(pk=channel.pk)
    # A batch can repeat an item (a page boundary moved); the first copy wins.
    unique: dict[str, p.EngagementItem] = {}
    for item in items:
        unique.setdefault(item.external_id, item)
    known = set(
        Message.objects.filter(channel=channel, external_id__in=list(unique)).values_list(
            "external_id", flat=True
        )
    )
    fresh = [item for key, item in unique.items() if key not in known]
    if not fresh:
        return IngestResult([], [], 0)

    now = timezone.now()
    contacts = _upsert_contacts(channel, fresh, now)
    conversations = _upsert_conversations(channel, fresh, contacts, now)
    messages = [_message(channel, item, conversations[thread_root(item)], contacts, now) for item in fresh]
    Message.objects.bulk_create(messages, ignore_conflicts=True, batch_size=1000)
    stored = list(
        Message.objects.filter(
            channel=channel, external_id__in=[item.external_id for item in fresh]
        ).values_list("pk", "conversation_id", "direction", "created_at", "text")
    )
    reopened = _update_conversations(channel, conversations, stored, now)
    _update_contact_counts(contacts, fresh)
    new_ids = [pk for pk, *_rest in stored]
    if connection.vendor == "postgresql":
        Message.objects.filter(pk__in=new_ids).update(
            search_vector=SearchVector("text", config="french") + SearchVector("text", config="english")
        )
    return IngestResult(new_ids, sorted({c.pk for c in conversations.values()}), reopened)


def _is_ours(channel: Channel, item: p.EngagementItem) -> bool:
    return item.author is not None and item.author.external_id == channel.external_id


def _upsert_contacts(channel: Channel, items: list[p.EngagementItem], now: dt.datetime) -> dict[str, Contact]:
    authors: dict[str, p.Author] = {}
    for item in items:
        if item.author is not None and item.author.external_id and not _is_ours(channel, item):
            authors[item.author.external_id] = item.author
    if not authors:
        return {}
    rows = [
        Contact(
            workspace_id=channel.workspace_id,
            network=channel.network,
            external_id=author.external_id,
            handle=author.handle[:200],
            name=author.name[:200],
            avatar_url=author.avatar_url[:1000],
            profile_url=author.profile_url[:1000],
            first_seen_at=now,
            last_seen_at=now,
        )
        for author in authors.values()
    ]
    Contact.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["workspace", "network", "external_id"],
        update_fields=["handle", "name", "avatar_url", "profile_url", "last_seen_at"],
        batch_size=1000,
    )
    found = Contact.objects.filter(
        workspace_id=channel.workspace_id, network=channel.network, external_id__in=list(authors)
    )
    return {contact.external_id: contact for contact in found}


def _upsert_conversations(
    channel: Channel, items: list[p.EngagementItem], contacts: dict[str, Contact], now: dt.datetime
) -> dict[str, Conversation]:
    first_by_root: dict[str, p.EngagementItem] = {}
    for item in sorted(items, key=lambda i: i.created_at):
        first_by_root.setdefault(thread_root(item), item)
    rows = []
    for root, item in first_by_root.items():
        author = contacts.get(item.author.external_id) if item.author else None
        rows.append(
            Conversation(
                workspace_id=channel.workspace_id,
                channel=channel,
                kind=_KIND.get(item.kind, Conversation.Kind.COMMENT),
                root_external_id=root,
                post_external_id=item.post_external_id[:300],
                contact=author,
                last_message_at=item.created_at,
                created_at=now,
                updated_at=now,
            )
        )
    Conversation.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    # Locked: a reply being sent updates the same counters.
    found = Conversation.objects.select_for_update().filter(
        channel=channel, root_external_id__in=list(first_by_root)
    )
    return {conversation.root_external_id: conversation for conversation in found}


def _message(
    channel: Channel, item: p.EngagementItem, conversation: Conversation, contacts: dict[str, Contact], now
) -> Message:
    ours = _is_ours(channel, item)
    return Message(
        workspace_id=channel.workspace_id,
        conversation=conversation,
        channel=channel,
        external_id=item.external_id,
        direction=Message.Direction.OUT if ours else Message.Direction.IN,
        # Something we posted on the network directly (not through CM Hub) is an outbound message, sent.
        send_status=Message.SendStatus.SENT if ours else "",
        sent_at=item.created_at if ours else None,
        kind=str(item.kind),
        author_contact=None if ours or item.author is None else contacts.get(item.author.external_id),
        parent_external_id=item.parent_external_id[:300],
        text=item.text,
        attachments=[
            {"kind": a.kind, "url": a.url, "preview_url": a.preview_url, "title": a.title}
            for a in item.attachments
        ],
        created_at=item.created_at,
        ingested_at=now,
        permalink=item.permalink[:1000],
        raw=item.raw,
    )


def _update_conversations(channel: Channel, conversations: dict[str, Conversation], stored, now) -> int:
    by_conversation: dict[int, list[tuple]] = defaultdict(list)
    for row in stored:
        by_conversation[row[1]].append(row)
    policy = InboxPolicy.objects.filter(workspace_id=channel.workspace_id).first()
    minutes = policy.first_response_minutes if policy else 0
    hours = policy.business_hours if policy else {}
    reopened = 0
    changed = []
    for conversation in conversations.values():
        rows = by_conversation.get(conversation.pk)
        if not rows:
            continue
        rows.sort(key=lambda r: r[3])
        latest = rows[-1]
        inbound = [r for r in rows if r[2] == Message.Direction.IN]
        conversation.message_count += len(rows)
        if latest[3] >= conversation.last_message_at or conversation.message_count == len(rows):
            conversation.last_message_at = latest[3]
            conversation.preview = latest[4][:PREVIEW_CHARS]
        if inbound:
            newest_in = inbound[-1][3]
            conversation.last_inbound_at = max(filter(None, [conversation.last_inbound_at, newest_in]))
            if conversation.status == Conversation.Status.RESOLVED:
                # A customer wrote again: the thread needs the team again.
                conversation.status = Conversation.Status.OPEN
                conversation.resolved_at = None
                conversation.first_response_at = None
                conversation.first_response_due_at = None
                reopened += 1
            if conversation.first_response_due_at is None and conversation.first_response_at is None:
                conversation.first_response_due_at = sla.due_at(
                    inbound[0][3],
                    minutes=minutes,
                    business_hours=hours,
                    timezone_name=channel.workspace.timezone,
                )
        conversation.updated_at = now
        changed.append(conversation)
    Conversation.objects.bulk_update(
        changed,
        [
            "message_count",
            "last_message_at",
            "preview",
            "last_inbound_at",
            "status",
            "resolved_at",
            "first_response_at",
            "first_response_due_at",
            "updated_at",
        ],
        batch_size=500,
    )
    return reopened


def _update_contact_counts(contacts: dict[str, Contact], items: list[p.EngagementItem]) -> None:
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        if item.author is not None and item.author.external_id in contacts:
            counts[item.author.external_id] += 1
    changed = []
    for external_id, count in counts.items():
        contact = contacts[external_id]
        contact.message_count += count
        changed.append(contact)
    Contact.objects.bulk_update(changed, ["message_count"], batch_size=500)

"""Storing what a poll fetched: contacts, conversations and messages, in bulk, in the caller's transaction.

The unique constraint on (channel, external_id) is the guard against duplicates; the channel row lock
taken here serialises ingestion per channel, so the counters stay exact when the same batch is replayed
concurrently. Query count per batch is constant (about ten), whatever the batch size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, CharField, F, Q, Value, When
from django.utils import timezone

from core.db import bulk_update_rows, insert_rows
from inbox import answered, edits, signals, sla
from inbox.models import Contact, Conversation, InboxPolicy, Message, PublishedPost
from inbox.replies import single
from inbox.signals import conversations_created, messages_created, messages_stored
from networks.models import Channel
from networks.providers import base as p

PREVIEW_CHARS = 280
_KIND = {
    p.ItemKind.COMMENT: Conversation.Kind.COMMENT,
    p.ItemKind.REPLY: Conversation.Kind.COMMENT,
    p.ItemKind.MENTION: Conversation.Kind.MENTION,
    p.ItemKind.DIRECT_MESSAGE: Conversation.Kind.DIRECT_MESSAGE,
    p.ItemKind.REVIEW: Conversation.Kind.REVIEW,
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
    # Where a thread holds one answer, an answer of ours read back with other words was replaced on the
    # network itself: ours is kept, marked replaced, and theirs is stored as new.
    known -= single.answers_replaced_on_network(
        channel=channel, items=[item for key, item in unique.items() if key in known], now=timezone.now()
    )
    fresh = [item for key, item in unique.items() if key not in known]
    # Read again with other words: an edit, never a new message (nothing announced, no triage again).
    edits.message_edits_apply(channel=channel, items=[item for key, item in unique.items() if key in known])
    # A new version of a message we hold (X gives an edit an id of its own): an edit too.
    fresh = edits.message_versions_apply(channel=channel, fresh=fresh)
    if not fresh:
        return IngestResult([], [], 0)

    now = timezone.now()
    policy = InboxPolicy.objects.filter(workspace_id=channel.workspace_id).first()
    contacts = _upsert_contacts(channel, fresh, now)
    conversations, created = _upsert_conversations(channel, fresh, contacts, policy, now)
    messages = [_message(channel, item, conversations[thread_root(item)], contacts, now) for item in fresh]
    # Under the channel lock nothing else inserts these rows; the unique constraint still has the last word.
    insert_rows(messages, key="external_id")
    touched = [c for root, c in conversations.items() if root not in created]
    _refresh_post_context(touched, fresh)
    reopened = _update_existing_conversations(channel, touched, messages, policy, now)
    _update_contact_counts(contacts, fresh)
    if reopened:
        # In this transaction: the reopens are the customer's (no person), recorded as they happen.
        signals.conversations_reopened.send(sender=Conversation, reopened=reopened, user_id=None)
    _announce(channel.pk, [m.pk for m in messages if m.direction == Message.Direction.IN])
    # In this transaction: what the apps above record of it (webhooks' outbox) commits with the messages.
    if created:
        conversations_created.send(
            sender=Conversation,
            workspace_id=channel.workspace_id,
            conversation_ids=sorted(conversations[root].pk for root in created),
        )
    messages_created.send(
        sender=Message, workspace_id=channel.workspace_id, message_ids=[m.pk for m in messages]
    )
    return IngestResult([m.pk for m in messages], sorted(c.pk for c in conversations.values()), len(reopened))


def _announce(channel_id: int, inbound_ids: list[int]) -> None:
    """Tell the apps above the inbox (the assistant triages) what was stored, once it is committed."""
    if inbound_ids:
        transaction.on_commit(
            lambda: messages_stored.send(sender=Message, channel_id=channel_id, inbound_ids=inbound_ids)
        )


def _refresh_post_context(conversations: list[Conversation], items: list[p.EngagementItem]) -> None:
    """The post's words, picture and link as the latest payload gives them (an edited post, or a thread
    stored before we kept them); saved with the conversation's counters."""
    latest = {thread_root(item): item for item in items}
    for conversation in conversations:
        item = latest.get(conversation.root_external_id)
        if item is None:
            continue
        conversation.post_text = item.post_text[:500] or conversation.post_text
        conversation.post_image_url = item.post_image_url[:1000] or conversation.post_image_url
        conversation.post_permalink = item.post_permalink[:1000] or conversation.post_permalink


def _from_our_posts(channel: Channel, conversations: list[Conversation]) -> None:
    """New threads under a post we published: its words and link when the payload lacked them (one
    query per batch; the picture is read from PublishedPost when the thread is drawn)."""
    wanted = {c.post_external_id for c in conversations if c.post_external_id and not c.post_text}
    if not wanted:
        return
    ours = {
        post.external_id: post
        for post in PublishedPost.objects.filter(channel=channel, external_id__in=list(wanted))
    }
    for conversation in conversations:
        post = ours.get(conversation.post_external_id)
        if post is not None:
            conversation.post_text = conversation.post_text or post.text
            conversation.post_permalink = conversation.post_permalink or post.permalink


def published_post_store(
    *, channel_id: int, external_id: str, text: str, image_name: str, permalink: str
) -> PublishedPost:
    """Remember a post of ours as it went out (one upsert: a burst publishes thousands), and name it in
    threads already under it (a comment can arrive, by webhook, before the publish is stored)."""
    post = PublishedPost(
        channel_id=channel_id,
        external_id=external_id[:300],
        text=text.strip()[:500],
        image_name=image_name[:500],
        permalink=permalink[:1000],
    )
    PublishedPost.objects.bulk_create(
        [post],
        update_conflicts=True,
        unique_fields=["channel", "external_id"],
        update_fields=["text", "image_name", "permalink"],
    )
    fill = {
        name: Case(
            When(**{name: ""}, then=Value(value)),
            default=F(name),
            output_field=CharField(),
        )
        for name, value in (("post_text", post.text), ("post_permalink", post.permalink))
    }
    under = Conversation.objects.filter(channel_id=channel_id, post_external_id=post.external_id)
    under.filter(Q(post_text="") | Q(post_permalink="")).update(**fill, updated_at=timezone.now())
    return post


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
    channel: Channel,
    items: list[p.EngagementItem],
    contacts: dict[str, Contact],
    policy: InboxPolicy | None,
    now: dt.datetime,
) -> tuple[dict[str, Conversation], set[str]]:
    """The conversation of every thread in the batch; new ones are created with their final counters
    (one INSERT, no UPDATE). Returns them by thread root, and the roots created here."""
    by_root: dict[str, list[p.EngagementItem]] = defaultdict(list)
    for item in sorted(items, key=lambda i: i.created_at):
        by_root[thread_root(item)].append(item)
    # Locked: a reply being sent updates the same counters.
    existing = {
        c.root_external_id: c
        for c in Conversation.objects.select_for_update().filter(
            channel=channel, root_external_id__in=list(by_root)
        )
    }
    new = []
    for root, thread in by_root.items():
        if root in existing:
            continue
        first = thread[0]
        conversation = Conversation(
            workspace_id=channel.workspace_id,
            channel=channel,
            kind=_KIND.get(first.kind, Conversation.Kind.COMMENT),
            root_external_id=root,
            post_external_id=first.post_external_id[:300],
            post_text=first.post_text[:500],
            post_image_url=first.post_image_url[:1000],
            post_permalink=first.post_permalink[:1000],
            contact=contacts.get(first.author.external_id) if first.author else None,
            last_message_at=first.created_at,
            message_count=0,
            rating=next((r for r in map(_rating, thread) if r is not None), None),
            created_at=now,
        )
        _apply_messages(channel, conversation, [_summary(channel, i) for i in thread], policy, now)
        new.append(conversation)
    _from_our_posts(channel, new)
    insert_rows(new, key="root_external_id")
    return {**existing, **{c.root_external_id: c for c in new}}, {c.root_external_id for c in new}


def _summary(channel: Channel, item: p.EngagementItem) -> tuple[str, dt.datetime, str]:
    direction = Message.Direction.OUT if _is_ours(channel, item) else Message.Direction.IN
    return direction, item.created_at, item.text


def _apply_messages(
    channel: Channel,
    conversation: Conversation,
    rows: list[tuple[str, dt.datetime, str]],
    policy: InboxPolicy | None,
    now: dt.datetime,
) -> bool:
    """Fold new messages (direction, time, text; oldest first) into the conversation's counters.
    Returns True when an inbound message reopened a pending or resolved conversation."""
    reopened = False
    latest = rows[-1]
    inbound = [r for r in rows if r[0] == Message.Direction.IN]
    outbound = [r for r in rows if r[0] == Message.Direction.OUT]
    first_ever = conversation.message_count == 0
    conversation.message_count += len(rows)
    if first_ever or latest[1] >= conversation.last_message_at:
        conversation.last_message_at = latest[1]
        conversation.preview = latest[2][:PREVIEW_CHARS]
        # Ours when the team wrote it on the network itself (a reply sent from CM Hub is stored by the send).
        conversation.preview_outbound = latest[0] == Message.Direction.OUT
        conversation.preview_author = None
    if inbound:
        newest_in = inbound[-1][1]
        conversation.last_inbound_at = max(filter(None, [conversation.last_inbound_at, newest_in]))
        # A customer wrote again: the thread needs the team again.
        reopened = answered.conversation_customer_wrote(conversation)
        if conversation.first_response_due_at is None and conversation.first_response_at is None and policy:
            conversation.first_response_due_at = sla.due_at(
                inbound[0][1],
                minutes=policy.first_response_minutes,
                business_hours=policy.business_hours,
                timezone_name=channel.workspace.timezone,
            )
    if outbound and not first_ever:
        # The team answered on the network itself (or this is our reply's echo): the same as a reply sent.
        answered.conversation_answered(conversation, at=outbound[-1][1], policy=policy)
    conversation.updated_at = now
    return reopened


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
        rating=_rating(item),
        hidden=item.held,
    )


_rating = edits.stars


def _update_existing_conversations(
    channel: Channel, conversations: list[Conversation], messages: list[Message], policy, now
) -> dict[int, dt.datetime]:
    """Fold the batch into the conversations it continues. Returns those it reopened (id -> when)."""
    if not conversations:
        return {}
    by_conversation: dict[int, list[tuple[str, dt.datetime, str]]] = defaultdict(list)
    for message in messages:
        by_conversation[message.conversation_id].append((message.direction, message.created_at, message.text))
    reopened: dict[int, dt.datetime] = {}
    for conversation in conversations:
        rows = sorted(by_conversation[conversation.pk], key=lambda r: r[1])
        if _apply_messages(channel, conversation, rows, policy, now):
            # Reopened by the first of the customer's new messages.
            reopened[conversation.pk] = next(r[1] for r in rows if r[0] == Message.Direction.IN)
    bulk_update_rows(
        conversations,
        [
            "message_count",
            "last_message_at",
            "preview",
            "last_inbound_at",
            "status",
            "resolved_at",
            "first_response_at",
            "first_response_due_at",
            "preview_outbound",
            "preview_author",
            "post_text",
            "post_image_url",
            "post_permalink",
            *(name for name in answered.FIELDS if name not in ("status", "resolved_at")),  # listed above
            "updated_at",
        ],
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
    bulk_update_rows(changed, ["message_count"])

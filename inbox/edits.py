"""Messages changed or deleted on the network after we stored them (issue 13, item 9).

A poll or a re-read may hand back an item we already hold. When its words differ, the person edited it:
the message takes the new words (the search index follows: triggers on UPDATE OF text), keeps the old ones
in `previous_texts`, and says when. When a complete listing of a post no longer holds a comment we stored
under it, the comment was deleted: the message is marked, never removed, so the thread, the answers given
to it and the assistant's triage keep their sense. Neither is a new message: nothing is announced, no
triage runs again, no notification goes out, and the conversation's counters do not move.

Only what customers wrote is followed: our own replies are ours to change, and their echo may differ in
spacing from what we sent.

A review's stars are part of what its author wrote: a reviewer who turns 2 stars into 4 edited the review
(the earlier version keeps its stars), and the thread's rating, which the list filters on, follows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.db import bulk_update_rows
from inbox.models import Conversation, Message
from inbox.signals import messages_reworded
from networks.models import Channel
from networks.providers import base as p

#: How many earlier versions one message keeps: a person editing in a loop cannot grow a row for ever.
MAX_PREVIOUS = 20
PREVIEW_CHARS = 280


def _same_words(a: str, b: str) -> bool:
    return p.reply_text_key(a) == p.reply_text_key(b)


def stars(item: p.EngagementItem) -> int | None:
    """The review's stars, when a network gave a sane number (the constraints allow 1 to 5)."""
    return item.rating if item.rating in (1, 2, 3, 4, 5) else None


def message_edits_apply(
    *, channel: Channel, items: Iterable[p.EngagementItem], now: dt.datetime | None = None
) -> list[int]:
    """Apply what the network says now about messages we hold; returns the ids of the messages changed.

    Runs in the caller's transaction (the ingest's, under the channel lock)."""
    by_id = {item.external_id: item for item in items}
    if not by_id:
        return []
    now = now or timezone.now()
    rows = list(
        Message.objects.filter(channel=channel, external_id__in=list(by_id), direction=Message.Direction.IN)
    )
    changed: list[Message] = []
    previews: dict[int, tuple[str, str]] = {}
    reworded: list[int] = []
    for message in rows:
        item = by_id[message.external_id or ""]
        if _apply_one(message, item, now, previews, reworded):
            changed.append(message)
    _save(changed, previews, now)
    _announce_reworded(reworded)
    return [m.pk for m in changed]


def _announce_reworded(ids: list[int]) -> None:
    """Tell the apps above (the assistant triages again) once the edit commits."""
    if ids:
        transaction.on_commit(lambda: messages_reworded.send(sender=Message, inbound_ids=list(ids)))


def _new_stars(message: Message, item: p.EngagementItem) -> int | None:
    """The review's new stars when the reviewer changed them (None: unchanged, or nothing sane given)."""
    rating = stars(item)
    return rating if rating is not None and rating != message.rating else None


def _apply_one(
    message: Message,
    item: p.EngagementItem,
    now: dt.datetime,
    previews: dict[int, tuple[str, str]],
    reworded: list[int],
) -> bool:
    """Fold what the network says now into `message`; True when something changed (its id joins
    `reworded` when its words or stars did)."""
    dirty = False
    if message.deleted_at is not None:
        # Listed again: it was hidden or the listing was wrong, not deleted.
        message.deleted_at = None
        dirty = True
    rating = _new_stars(message, item)
    if not _same_words(message.text, item.text) or rating is not None:
        before: dict[str, str | int] = {"text": message.text, "replaced_at": now.isoformat()}
        if message.rating is not None:
            before["rating"] = message.rating
        message.previous_texts = [*message.previous_texts, before][-MAX_PREVIOUS:]
        if not _same_words(message.text, item.text):
            previews[message.conversation_id] = (message.text[:PREVIEW_CHARS], item.text[:PREVIEW_CHARS])
        message.text = item.text
        message.rating = rating if rating is not None else message.rating
        message.edited_at = item.edited_at or now
        reworded.append(message.pk)
        dirty = True
    if item.moderation_known and message.hidden != item.held:
        # Approved (or held) on the network itself: the inbox shows what the public sees.
        message.hidden = item.held
        dirty = True
    return dirty


def _save(changed: list[Message], previews: dict[int, tuple[str, str]], now: dt.datetime) -> None:
    bulk_update_rows(changed, ["text", "previous_texts", "edited_at", "deleted_at", "rating", "hidden"])
    for conversation_id, (old, new) in previews.items():
        # The list shows the latest message's words: an edit of that message shows there too.
        Conversation.objects.filter(pk=conversation_id, preview=old).update(preview=new, updated_at=now)
    for message in changed:
        if message.rating is not None and message.kind == p.ItemKind.REVIEW:
            # The thread's stars are its review's, as the reviewer last set them (the list filters on them).
            Conversation.objects.filter(pk=message.conversation_id).exclude(rating=message.rating).update(
                rating=message.rating, updated_at=now
            )


def message_versions_apply(
    *, channel: Channel, fresh: list[p.EngagementItem], now: dt.datetime | None = None
) -> list[p.EngagementItem]:
    """Where an edit is a new item naming the versions it replaces (X), fold it into the message we
    hold for an earlier version instead of storing it as new; returns the items still to store.

    An earlier version in the same batch as its successor is not stored at all: the newest words win."""
    with_history = [item for item in fresh if item.replaces_external_ids]
    if not with_history:
        return fresh
    now = now or timezone.now()
    in_batch = {item.external_id for item in fresh}
    superseded = {rid for item in with_history for rid in item.replaces_external_ids if rid in in_batch}
    wanted = {rid for item in with_history for rid in item.replaces_external_ids}
    held = {
        m.external_id: m
        for m in Message.objects.filter(
            channel=channel, external_id__in=list(wanted), direction=Message.Direction.IN
        )
    }
    still: list[p.EngagementItem] = []
    changed: dict[int, Message] = {}
    previews: dict[int, tuple[str, str]] = {}
    reworded: list[int] = []
    for item in sorted(fresh, key=lambda i: i.created_at):
        if item.external_id in superseded:
            continue
        holder = next((held[r] for r in reversed(item.replaces_external_ids) if r in held), None)
        if holder is None:
            still.append(item)
        elif _apply_one(holder, item, now, previews, reworded):
            changed[holder.pk] = holder
    _save(list(changed.values()), previews, now)
    _announce_reworded(reworded)
    keep = {id(item) for item in still}
    return [item for item in fresh if id(item) in keep]


@transaction.atomic
def message_deletions_apply(*, channel: Channel, listings: Iterable[p.ThreadListing]) -> list[int]:
    """Mark deleted the comments we hold under each fully listed post that the listing lacks."""
    marked: list[int] = []
    for listing in listings:
        gone = (
            Message.objects.filter(
                channel=channel,
                conversation__post_external_id=listing.post_external_id,
                direction=Message.Direction.IN,
                kind__in=[p.ItemKind.COMMENT, p.ItemKind.REPLY],
                deleted_at__isnull=True,
                # A comment hidden from the public may be left out of some listings: hidden is not gone.
                hidden=False,
                # Stored before the listing was read: a comment written since may be missing from it.
                ingested_at__lt=listing.read_at,
            )
            .exclude(external_id__in=list(listing.item_ids))
            .exclude(Q(external_id__isnull=True) | Q(external_id=listing.post_external_id))
        )
        ids = list(gone.values_list("pk", flat=True))
        if ids:
            Message.objects.filter(pk__in=ids).update(deleted_at=listing.read_at)
            marked += ids
    return marked


def message_deleted_on_network(*, channel: Channel, external_ids: Iterable[str], at: dt.datetime) -> int:
    """A network's own deletion signal (a webhook's `remove` verb, an X delete event): mark those
    messages deleted. Returns how many were marked."""
    return Message.objects.filter(
        channel=channel, external_id__in=list(external_ids), deleted_at__isnull=True
    ).update(deleted_at=at)

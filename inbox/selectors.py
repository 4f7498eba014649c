"""Reads for the inbox, always scoped to one workspace: the list (filters, search, keyset pages), live
changes, a conversation with its thread, and small capped counts.

Nothing here counts a whole workspace: pages are keyset cursors (no OFFSET), "is there more" is one extra
row, and badges stop counting at a cap.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Membership, User, Workspace
from core import dates
from core.signed_media import inline_media_url
from core.urls_from_networks import http_url
from inbox import search
from inbox.models import Contact, Conversation, ConversationRead, Label, Message, Note, PublishedPost
from networks.models import Channel

PAGE_SIZE = 50
CHANGES_LIMIT = 100
# Live updates look this far behind the last poll: a writer's transaction can commit a little after the
# `updated_at` it stamped, and a row seen twice is dropped by the client's version check anyway.
CHANGES_OVERLAP = dt.timedelta(seconds=10)
BADGE_CAP = 99
SEARCH_MAX_CHARS = 200
ACTIVE_STATUSES = (Conversation.Status.OPEN, Conversation.Status.PENDING)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def micros(value: dt.datetime) -> int:
    """Exact microseconds since the epoch (float timestamps lose the last digit)."""
    return (value - _EPOCH) // dt.timedelta(microseconds=1)


def row_version(pk: int, updated_at: dt.datetime) -> str:
    """What the browser holds per row; a live update redraws the row only when this changes."""
    return f"{pk}:{micros(updated_at)}"


class Sort(enum.StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    SLA = "sla"


class AssigneeFilter(enum.StrEnum):
    ANYONE = "anyone"
    ME = "me"
    UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class InboxFilters:
    """What the list shows. Built by the view from GET parameters; every field has a safe default."""

    status: str = Conversation.Status.OPEN  # "" means every status
    channel_id: int | None = None
    network: str = ""
    assignee: str = AssigneeFilter.ANYONE  # "anyone", "me", "unassigned" or a member's user id
    label_id: int | None = None
    priority: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    overdue: bool = False
    intent: str = ""  # the intent of the conversation's latest triaged inbound message
    kind: str = ""  # a Conversation.Kind (comments, mentions, direct messages, reviews); "" for any
    rating: int | None = None  # a review's current stars, 1 to 5 (reviews only)
    sort: Sort = Sort.NEWEST
    q: str = ""
    # Exactly these conversations (a report's drill-down: the ones a figure counted); empty means any.
    conversation_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: the sort value and id of the last row of the previous page (value None is
    the "no SLA" tail of the SLA sort)."""

    value: dt.datetime | None
    pk: int

    def encode(self) -> str:
        return f"{self.value.astimezone(dt.UTC).isoformat() if self.value else 'none'},{self.pk}"

    @classmethod
    def decode(cls, raw: str) -> Cursor | None:
        """None for anything malformed: a bad cursor shows the first page, it never errors."""
        value, sep, pk = raw.rpartition(",")
        if not sep or not pk.isdigit():
            return None
        if value == "none":
            return cls(None, int(pk))
        parsed = dates.parse_datetime(value)
        return None if parsed is None else cls(parsed, int(pk))


@dataclass
class Page:
    rows: list[Conversation]
    next_cursor: Cursor | None
    sort: Sort = Sort.NEWEST
    extra: dict = field(default_factory=dict)


# --- The list -------------------------------------------------------------------------------------------


CONTACT_MATCHES_MAX = 200
RARE_WORD_HITS = 1000


def _search(workspace: Workspace, q: str) -> Q:
    """Conversations whose messages or contact match `q`.

    Messages: full-text search in websearch syntax, accents ignored, on both databases (inbox.search):
    PostgreSQL's French and English tsvector (GIN index), SQLite's FTS5 index. Both also match the
    contact's name or handle, so "léa" finds Léa's threads.

    How it stays fast at a million messages: one capped probe of the full-text index first. A rare
    query (under RARE_WORD_HITS messages) becomes a plain list of conversation ids; a common one becomes a
    correlated EXISTS, so the list walks its own index and stops at the first page. Contacts are looked up
    as a short list of ids too: an OR with a second subquery would force every subquery to be computed
    whole. Each alone is one plan PostgreSQL gets right; left to choose, it walks 100,000 conversations
    for a word that matches nothing.
    """
    q = q[:SEARCH_MAX_CHARS]
    matching = search.message_condition(q)
    hits = list(
        Message.objects.filter(workspace=workspace)
        .filter(matching)
        .values_list("conversation_id", flat=True)[:RARE_WORD_HITS]
    )
    if len(hits) < RARE_WORD_HITS:
        condition = Q(pk__in=set(hits))
    else:
        condition = Q(Exists(Message.objects.filter(matching, conversation=OuterRef("pk"))))
    # A name typed with search syntax ("Léa Martin" in quotes) is still a name: its words, in order.
    words = " ".join(search.parse(q).positive_words) or q
    contact_ids = list(
        Contact.objects.filter(workspace=workspace)
        .filter(Q(name__icontains=words) | Q(handle__icontains=q.lstrip("@")) | Q(name__icontains=q))
        .values_list("pk", flat=True)[:CONTACT_MATCHES_MAX]
    )
    if contact_ids:
        condition |= Q(contact_id__in=contact_ids)
    return condition


def attach_search_hits(rows: list[Conversation], q: str) -> list[Conversation]:
    """Set `search_hit` on each row: its newest message matching `q` (or None when only the contact
    matched), with `search_excerpt`, the parts of its text to show with the matches marked. Two queries
    for the page, whatever its size."""
    q = q.strip()[:SEARCH_MAX_CHARS]
    for row in rows:
        row.search_hit = None
    if not q or not rows:
        return rows
    matching = search.message_condition(q)
    newest = (
        Message.objects.filter(matching, conversation=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    hit_ids = dict(
        Conversation.objects.filter(pk__in=[r.pk for r in rows])
        .annotate(hit=Subquery(newest))
        .values_list("pk", "hit")
    )
    messages = Message.objects.in_bulk([pk for pk in hit_ids.values() if pk])
    words = search.parse(q).positive_words
    for row in rows:
        message = messages.get(hit_ids.get(row.pk))
        if message is not None:
            row.search_hit = message
            message.search_excerpt = search.excerpt(message.text, words)
    return rows


def _start_of(day: dt.date, workspace: Workspace, user: User) -> dt.datetime:
    """Midnight of `day` in the zone the person reads times in (theirs, else the workspace's): "from the
    3rd" means the 3rd the list's dates are shown in."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=dates.zone_for(user, workspace))


def overdue_q(now: dt.datetime) -> Q:
    """Past the first-response target with no first response yet, on a conversation still being worked."""
    return Q(first_response_due_at__lt=now, first_response_at__isnull=True, status__in=list(ACTIVE_STATUSES))


def conversations_filtered(
    *, workspace: Workspace, user: User, filters: InboxFilters, now: dt.datetime | None = None
) -> QuerySet[Conversation]:
    """The workspace's conversations matching `filters` (and search), unordered and unannotated."""
    now = now or timezone.now()
    qs = Conversation.objects.for_workspace(workspace)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.channel_id:
        qs = qs.filter(channel_id=filters.channel_id)
    if filters.network:
        qs = qs.filter(channel__network=filters.network)
    if filters.assignee == AssigneeFilter.ME:
        qs = qs.filter(assignee=user)
    elif filters.assignee == AssigneeFilter.UNASSIGNED:
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        qs = qs.filter(assignee_id=int(filters.assignee))
    if filters.label_id:
        qs = qs.filter(labels=filters.label_id)
    if filters.priority is not None:
        qs = qs.filter(priority=filters.priority)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.rating is not None:
        # Only reviews have stars; the partial index conv_ws_rating_recent serves this list.
        qs = qs.filter(rating=filters.rating, rating__isnull=False)
    if filters.date_from:
        qs = qs.filter(last_message_at__gte=_start_of(filters.date_from, workspace, user))
    if filters.date_to:
        qs = qs.filter(last_message_at__lt=_start_of(filters.date_to + dt.timedelta(days=1), workspace, user))
    if filters.overdue:
        qs = qs.filter(overdue_q(now))
    if filters.intent:
        qs = qs.alias(latest_intent=Subquery(_latest_triage_intent())).filter(latest_intent=filters.intent)
    if filters.q.strip():
        qs = qs.filter(_search(workspace, filters.q.strip()))
    if filters.conversation_ids:
        qs = qs.filter(pk__in=filters.conversation_ids)
    return qs


def _latest_inbound() -> QuerySet[Message]:
    """The newest inbound message of the outer conversation (index msg_conversation_order)."""
    return Message.objects.filter(conversation=OuterRef("pk"), direction=Message.Direction.IN).order_by(
        "-created_at", "-pk"
    )


def _latest_triage_intent() -> QuerySet[Message]:
    """The intent of the outer conversation's newest triaged inbound message. The triage is the row the
    assistant computes for a message (`Message.triage`): read here through the relation, never the app."""
    return (
        Message.objects.filter(
            conversation=OuterRef("pk"), direction=Message.Direction.IN, triage__isnull=False
        )
        .order_by("-created_at", "-pk")
        .values("triage__intent")[:1]
    )


# --- Triage badges --------------------------------------------------------------------------------------

SPAM_BADGE = 0.8  # a spam score from this on shows the spam badge
SENTIMENT_BAND = 0.2  # |sentiment| below this is neutral (the engine's NEUTRAL_BAND)


@dataclass(frozen=True)
class TriageBadges:
    """What the inbox shows of a message's triage."""

    language: str
    intent: str
    sentiment: str  # "negative", "neutral" or "positive"
    spam: bool

    @classmethod
    def of(cls, triage: Any) -> TriageBadges:  # a message's triage (language, intent, sentiment, spam_score)
        if triage.sentiment <= -SENTIMENT_BAND:
            sentiment = "negative"
        elif triage.sentiment >= SENTIMENT_BAND:
            sentiment = "positive"
        else:
            sentiment = "neutral"
        return cls(triage.language, triage.intent, sentiment, triage.spam_score >= SPAM_BADGE)


def attach_triage_badges(rows: list, message_id=lambda row: row.pk) -> list:
    """Set `triage_badges` (TriageBadges or None) on each row, from its message id, in one query."""
    ids = {mid for mid in map(message_id, rows) if mid}
    triaged = Message.objects.filter(pk__in=ids, triage__isnull=False).select_related("triage") if ids else []
    triages = {message.pk: message.triage for message in triaged}
    for row in rows:
        triage = triages.get(message_id(row))
        row.triage_badges = TriageBadges.of(triage) if triage else None
    return rows


def with_row_data(qs: QuerySet[Conversation], *, user: User) -> QuerySet[Conversation]:
    """Everything a list row draws, in the same query plus one for labels.

    The joins replace per-row queries for the channel (network badge), the contact (name, avatar) and the
    assignee; the subquery replaces one read-state query per row; the prefetch one labels query per row.
    """
    my_read = ConversationRead.objects.filter(conversation=OuterRef("pk"), user=user).values("read_at")[:1]
    return (
        qs.select_related("channel", "contact", "assignee", "preview_author")
        .prefetch_related(Prefetch("labels", queryset=Label.objects.order_by("name")))
        .annotate(
            my_read_at=Subquery(my_read), latest_inbound_id=Subquery(_latest_inbound().values("pk")[:1])
        )
    )


# A conversation "has an SLA" while it waits for its first response and has a due time; the SLA sort
# lists those by due time (partial index conv_ws_sla_due), then all the others by id.
_HAS_SLA = Q(first_response_at__isnull=True, first_response_due_at__isnull=False)


def _ordered(qs: QuerySet[Conversation], sort: Sort, cursor: Cursor | None) -> QuerySet[Conversation]:
    """Activity order (newest or oldest first) from `cursor` on. The SLA order is `_sla_rows`."""
    if sort == Sort.OLDEST:
        if cursor and cursor.value:
            qs = qs.filter(last_message_at__gte=cursor.value).filter(
                Q(last_message_at__gt=cursor.value) | Q(pk__gt=cursor.pk)
            )
        return qs.order_by("last_message_at", "pk")
    if cursor and cursor.value:
        # The first condition is the index range (conv_ws_status_recent); the second breaks ties by id.
        qs = qs.filter(last_message_at__lte=cursor.value).filter(
            Q(last_message_at__lt=cursor.value) | Q(pk__lt=cursor.pk)
        )
    return qs.order_by("-last_message_at", "-pk")


def _sla_rows(qs: QuerySet[Conversation], cursor: Cursor | None, count: int) -> list[Conversation]:
    """Most urgent first: conversations with an SLA by due time, then the rest by id, from `cursor` on.

    Two plain queries rather than one ORDER BY over a CASE: each walks an index and stops at `count`.
    """
    rows: list[Conversation] = []
    if cursor is None or cursor.value is not None:
        due = qs.filter(_HAS_SLA)
        if cursor is not None:
            due = due.filter(first_response_due_at__gte=cursor.value).filter(
                Q(first_response_due_at__gt=cursor.value) | Q(pk__gt=cursor.pk)
            )
        rows = list(due.order_by("first_response_due_at", "pk")[:count])
    if len(rows) < count:
        rest = qs.exclude(_HAS_SLA)
        if cursor is not None and cursor.value is None:
            rest = rest.filter(pk__gt=cursor.pk)
        rows += list(rest.order_by("pk")[: count - len(rows)])
    return rows


def _latest_inbound_id(conversation: Conversation) -> int | None:
    return getattr(conversation, "latest_inbound_id", None)


def sort_value(conversation: Conversation, sort: Sort) -> dt.datetime | None:
    if sort == Sort.SLA:
        return None if conversation.first_response_at else conversation.first_response_due_at
    return conversation.last_message_at


def decorate(rows: Iterable[Conversation], *, sort: Sort, now: dt.datetime) -> list[Conversation]:
    """Per-row display facts computed in Python from the row itself (no queries)."""
    rows = list(rows)
    soon = now + dt.timedelta(minutes=30)
    for c in rows:
        read_at = getattr(c, "my_read_at", None)
        # Unread: the customer wrote after this member last looked, and nobody of the team has answered it.
        seen = max(filter(None, [read_at, c.last_reply_at]), default=None)
        c.unread = c.last_inbound_at is not None and (seen is None or c.last_inbound_at > seen)
        waiting = c.first_response_at is None and c.status in ACTIVE_STATUSES and c.first_response_due_at
        c.overdue = bool(waiting and c.first_response_due_at < now)
        c.due_soon = bool(waiting and not c.overdue and c.first_response_due_at <= soon)
        c.waiting_first_response = bool(waiting)
        c.version = row_version(c.pk, c.updated_at)
        value = sort_value(c, sort)
        # A string the browser can sort rows by after live updates, in the page's order.
        stamp = f"{micros(value):020d}" if value else "~"
        c.sort_key = f"{stamp}:{c.pk:012d}"
        c.safe_avatar = http_url(c.contact.avatar_url) if c.contact else ""
    return rows


def conversation_page(
    *,
    workspace: Workspace,
    user: User,
    filters: InboxFilters,
    cursor: Cursor | None = None,
    limit: int | None = None,
    now: dt.datetime | None = None,
) -> Page:
    """One page of the list: `limit` rows after `cursor` in the chosen order; one extra row says whether
    there is a next page (no COUNT, no OFFSET)."""
    now = now or timezone.now()
    limit = limit or PAGE_SIZE
    qs = conversations_filtered(workspace=workspace, user=user, filters=filters, now=now)
    if filters.sort == Sort.SLA:
        rows = _sla_rows(with_row_data(qs, user=user), cursor, limit + 1)
    elif not filters.status:
        rows = _merged_across_statuses(qs, user=user, sort=filters.sort, cursor=cursor, count=limit + 1)
    else:
        rows = list(_ordered(with_row_data(qs, user=user), filters.sort, cursor)[: limit + 1])
    more = len(rows) > limit
    rows = attach_triage_badges(decorate(rows[:limit], sort=filters.sort, now=now), _latest_inbound_id)
    if filters.q.strip():
        attach_search_hits(rows, filters.q)
    next_cursor = Cursor(sort_value(rows[-1], filters.sort), rows[-1].pk) if more and rows else None
    return Page(rows=rows, next_cursor=next_cursor, sort=filters.sort)


def _merged_across_statuses(
    qs: QuerySet[Conversation], *, user: User, sort: Sort, cursor: Cursor | None, count: int
) -> list[Conversation]:
    """ "Any status" in activity order without sorting the whole workspace: no index orders conversations
    across statuses, but (workspace, status, last_message_at, id) orders each status. The first `count`
    of each status (short index scans) are merged here, then only the winners are fetched with their row
    data. One query per status plus one, whatever the workspace's size."""
    newest = sort == Sort.NEWEST
    candidates: list[tuple] = []
    for status in Conversation.Status.values:
        ordered = _ordered(qs.filter(status=status), sort, cursor)
        candidates += ordered.values_list("last_message_at", "pk")[:count]
    winners = [pk for _at, pk in sorted(candidates, reverse=newest)[:count]]
    found = {c.pk: c for c in with_row_data(Conversation.objects.filter(pk__in=winners), user=user)}
    return [found[pk] for pk in winners if pk in found]


@dataclass
class Changes:
    upsert: list[Conversation]  # rows to draw (new to the page, or changed)
    remove: list[int]  # ids on the page that no longer match the filters
    now: dt.datetime


def conversation_changes(
    *,
    workspace: Workspace,
    user: User,
    filters: InboxFilters,
    since: dt.datetime,
    shown: dict[int, str],
    now: dt.datetime | None = None,
) -> Changes:
    """What changed in the list since `since`, given the rows (id -> version) the page shows.

    One indexed query (workspace, updated_at) when nothing changed; two more (rows, labels) when
    something did.
    """
    now = now or timezone.now()
    changed = list(
        Conversation.objects.for_workspace(workspace)
        .filter(updated_at__gt=since - CHANGES_OVERLAP)
        .order_by("-updated_at")
        .values_list("pk", "updated_at")[:CHANGES_LIMIT]
    )
    fresh = [pk for pk, updated in changed if shown.get(pk) != row_version(pk, updated)]
    if not fresh:
        return Changes([], [], now)
    matching = conversations_filtered(workspace=workspace, user=user, filters=filters, now=now)
    rows = decorate(
        with_row_data(matching.filter(pk__in=fresh), user=user),  # the browser puts them in order
        sort=filters.sort,
        now=now,
    )
    attach_triage_badges(rows, _latest_inbound_id)
    if filters.q.strip():
        attach_search_hits(rows, filters.q)
    found = {c.pk for c in rows}
    remove = [pk for pk in fresh if pk in shown and pk not in found]
    return Changes(rows, remove, now)


# --- Counts ---------------------------------------------------------------------------------------------


def capped_count(qs: QuerySet, cap: int = BADGE_CAP) -> int:
    """COUNT over at most cap + 1 rows: "99+" costs the same with 100 or 100,000 conversations."""
    return qs[: cap + 1].count()


def my_queue_count(*, workspace: Workspace, user: User) -> int:
    """Open conversations that are mine or nobody's: the sidebar badge. Answered ones are pending or
    resolved (inbox.answered), so this counts what still needs a person."""
    return capped_count(
        Conversation.objects.for_workspace(workspace)
        .open()
        .filter(Q(assignee=user) | Q(assignee__isnull=True))
    )


def view_counts(*, workspace: Workspace, user: User, now: dt.datetime | None = None) -> dict[str, int]:
    """What each quick view holds that needs a person (open conversations), capped like the badge:
    four short index-backed counts, whatever the workspace's size."""
    now = now or timezone.now()
    open_ = Conversation.objects.for_workspace(workspace).open()
    return {
        "me": capped_count(open_.filter(assignee=user)),
        "unassigned": capped_count(open_.filter(assignee__isnull=True)),
        "anyone": capped_count(open_),
        "overdue": capped_count(Conversation.objects.for_workspace(workspace).filter(overdue_q(now))),
    }


# --- One conversation -----------------------------------------------------------------------------------


def get_conversation_for_member(member: Membership, pk: int) -> Conversation:
    return get_object_or_404(
        Conversation.objects.select_related("channel", "contact", "assignee"),
        pk=pk,
        workspace_id=member.workspace_id,
    )


def get_message_for_member(member: Membership, conversation: Conversation, pk: int) -> Message:
    return get_object_or_404(
        Message.objects.select_related("channel"),
        pk=pk,
        conversation=conversation,
        workspace_id=member.workspace_id,
    )


def get_label_for_member(member: Membership, pk: int) -> Label:
    return get_object_or_404(Label, pk=pk, workspace_id=member.workspace_id)


def thread(conversation: Conversation) -> list[Message]:
    """The messages in order, with who wrote ours and who approved it (one query), and the inbound
    messages' triage badges (one more)."""
    messages = (
        Message.objects.filter(conversation=conversation)
        .select_related("author_user", "author_contact", "approved_by")
        .order_by("created_at", "pk")
    )
    messages = [decorate_message(message) for message in messages]
    return attach_triage_badges(messages, inbound_message_id)


def inbound_message_id(message: Message) -> int | None:
    return message.pk if message.direction == Message.Direction.IN else None


def decorate_message(message: Message) -> Message:
    """Links and attachments from the network, reduced to http(s) URLs (they are untrusted)."""
    message.safe_permalink = http_url(message.permalink)
    message.safe_attachments = [
        {
            "kind": str(a.get("kind", "")),
            "title": str(a.get("title", "")),
            "url": http_url(str(a.get("url", ""))),
            "preview_url": http_url(str(a.get("preview_url", ""))),
        }
        for a in (message.attachments if isinstance(message.attachments, list) else [])
        if isinstance(a, dict)
    ]
    return message


def post_context(conversation: Conversation) -> dict[str, str]:
    """What names the post a thread is about: its first line, its picture and its link (http(s) only:
    they come from the network). Empty strings where nothing is known."""
    text = (conversation.post_text or "").strip()
    first_line = text.splitlines()[0].strip() if text else ""
    if len(first_line) > 140:
        first_line = first_line[:139].rstrip() + "…"
    picture = http_url(conversation.post_image_url)
    if not picture and conversation.post_external_id:
        # One of our own posts: its first picture, from our storage, at a signed same-site URL.
        ours = (
            PublishedPost.objects.filter(
                channel_id=conversation.channel_id, external_id=conversation.post_external_id
            )
            .exclude(image_name="")
            .values_list("image_name", flat=True)
            .first()
        )
        picture = inline_media_url(ours or "")
    return {
        "post_first_line": first_line,
        "post_picture": picture,
        "post_link": http_url(conversation.post_permalink),
    }


def decorate_contact(contact: Contact | None) -> Contact | None:
    if contact is not None:
        contact.safe_avatar = http_url(contact.avatar_url)
        contact.safe_profile = http_url(contact.profile_url)
    return contact


def thread_version(conversation: Conversation, messages: list[Message] | None = None) -> int:
    """The id of the newest stored message (0 for none): what a composer compares before sending."""
    if messages is not None:
        return max((m.pk for m in messages), default=0)
    return Message.objects.filter(conversation=conversation).aggregate(v=Max("pk"))["v"] or 0


def has_messages_after(conversation: Conversation, version: int) -> bool:
    return Message.objects.filter(conversation=conversation, pk__gt=version).exists()


def notes(conversation: Conversation) -> list[Note]:
    return list(
        Note.objects.filter(conversation=conversation).select_related("author").order_by("created_at")
    )


def contact_history(conversation: Conversation, limit: int = 10) -> list[Conversation]:
    """The contact's other conversations in this workspace, newest first."""
    if conversation.contact_id is None:
        return []
    return list(
        Conversation.objects.for_workspace(conversation.workspace_id)
        .filter(contact_id=conversation.contact_id)
        .exclude(pk=conversation.pk)
        .select_related("channel")
        .order_by("-last_message_at", "-pk")[:limit]
    )


# --- What the pages offer in their menus ----------------------------------------------------------------


def workspace_labels(workspace: Workspace) -> list[Label]:
    return list(Label.objects.filter(workspace=workspace).order_by("name"))


def workspace_channels(workspace: Workspace) -> list[Channel]:
    return list(Channel.objects.for_workspace(workspace).order_by("network", "name"))


def workspace_members(workspace: Workspace) -> list[User]:
    return list(
        User.objects.filter(memberships__workspace=workspace, is_active=True).order_by(
            "display_name", "email"
        )
    )


def label_colours(labels: Iterable[Label]) -> list[tuple[int, str]]:
    """(id, colour) pairs safe to write into the page's nonce'd stylesheet: only #rrggbb survives."""
    out = []
    for label in labels:
        colour = label.color or ""
        if len(colour) == 7 and colour[0] == "#" and all(ch in "0123456789abcdefABCDEF" for ch in colour[1:]):
            out.append((label.pk, colour))
    return out

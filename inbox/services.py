"""Writes for triage: assignment, status, priority, labels, read state, hiding, notes and mentions.

Every function takes the acting membership (`by`) and asks the policy through `can()`; every change bumps
`Conversation.updated_at`, which the list's live updates poll. Bulk variants take ids and only ever touch
conversations of the acting member's workspace.

Assignment rule: members with Perm.ASSIGN (managers, admins) assign anyone or nobody. Members without it
(agents) may take an unassigned conversation for themselves and hand back their own, nothing else.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from accounts.policy import Perm, can
from core.errors import UserError
from core.mail import email_send
from inbox import signals
from inbox.models import Contact, Conversation, ConversationRead, Label, Note
from notifications.models import Notification
from notifications.services import notification_send

log = logging.getLogger(__name__)

LABEL_MAX_CHARS = 50
NOTE_MAX_CHARS = 10_000
CONTACT_NOTES_MAX_CHARS = 10_000
BULK_MAX = 500


class InboxError(UserError):
    """A refused triage action, with a message in plain words for the person who tried it."""


@dataclass(frozen=True)
class BulkResult:
    changed: int
    skipped: int = 0


def _require(by: Membership, perm: Perm) -> None:
    if not can(by, perm):
        raise InboxError(_("Your role in this workspace does not allow this."))


def _touch(conversation: Conversation, fields: list[str]) -> None:
    conversation.updated_at = timezone.now()
    conversation.save(update_fields=[*fields, "updated_at"])


def _updated(workspace_id: int, ids: Iterable[int], changed: str) -> None:
    """Tell the apps above (outgoing webhooks) what a person changed; call inside the transaction that
    changed it."""
    ids = sorted(ids)
    if ids:
        signals.conversations_updated.send(
            sender=Conversation, workspace_id=workspace_id, conversation_ids=ids, changed=[changed]
        )


def _same_workspace(by: Membership, conversation: Conversation) -> None:
    # Views fetch through get_conversation_for_member; this guards every other caller.
    if conversation.workspace_id != by.workspace_id:
        raise InboxError(_("This conversation belongs to another workspace."))


# --- Assignment -----------------------------------------------------------------------------------------


def may_assign(by: Membership, *, current: int | None, to: int | None) -> bool:
    """Whether `by` may move a conversation from assignee id `current` to `to` (None = nobody)."""
    if can(by, Perm.ASSIGN):
        return True
    if not can(by, Perm.REPLY):
        return False
    me = by.user_id
    taking = to == me and current in (None, me)
    handing_back = to is None and current == me
    return taking or handing_back


def _check_assignee(by: Membership, assignee: User | None) -> None:
    if assignee is None:
        return
    member = Membership.objects.filter(workspace_id=by.workspace_id, user=assignee, user__is_active=True)
    if not member.exists():
        raise InboxError(_("%(name)s is not a member of this workspace.") % {"name": assignee.name})


def conversation_assign(*, conversation: Conversation, assignee: User | None, by: Membership) -> Conversation:
    _same_workspace(by, conversation)
    to = assignee.pk if assignee else None
    current = conversation.assignee_id
    if not may_assign(by, current=current, to=to):
        if to == by.user_id:
            raise InboxError(_("Someone else already has this conversation; ask a manager to reassign it."))
        raise InboxError(_("Only managers can assign conversations to others."))
    _check_assignee(by, assignee)
    if current == to:
        return conversation
    # A conditional UPDATE: if someone else (re)assigned it since we read it, nobody's choice is lost.
    unchanged = Q(assignee__isnull=True) if current is None else Q(assignee_id=current)
    now = timezone.now()
    with transaction.atomic():
        claimed = Conversation.objects.filter(unchanged, pk=conversation.pk).update(
            assignee_id=to, updated_at=now
        )
        if not claimed:
            raise InboxError(_("Someone changed the assignment in the meantime; check it and try again."))
        _updated(conversation.workspace_id, [conversation.pk], "assignee")
    conversation.assignee = assignee
    conversation.updated_at = now
    return conversation


def conversations_bulk_assign(*, ids: Iterable[int], assignee: User | None, by: Membership) -> BulkResult:
    """Assign many at once. Without Perm.ASSIGN only what the rule allows changes (taking unassigned
    conversations, handing back one's own); the rest is counted as skipped."""
    _check_assignee(by, assignee)
    to = assignee.pk if assignee else None
    if can(by, Perm.ASSIGN):
        allowed_q = Q()
    elif not can(by, Perm.REPLY):
        raise InboxError(_("Your role in this workspace does not allow this."))
    elif to == by.user_id:
        allowed_q = Q(assignee__isnull=True) | Q(assignee_id=by.user_id)
    elif to is None:
        allowed_q = Q(assignee_id=by.user_id)
    else:
        raise InboxError(_("Only managers can assign conversations to others."))
    scoped = _scoped(by, ids)
    total = scoped.count()
    allowed = scoped.filter(allowed_q)
    allowed_count = allowed.count()
    pending = allowed.exclude(assignee__isnull=True) if to is None else allowed.exclude(assignee_id=to)
    with transaction.atomic():
        pks = list(pending.values_list("pk", flat=True))
        changed = _bulk_update(Conversation.objects.filter(pk__in=pks), assignee_id=to)
        _updated(by.workspace_id, pks, "assignee")
    return BulkResult(changed=changed, skipped=total - allowed_count)


# --- Status, priority, sensitivity ----------------------------------------------------------------------


def _status_fields(status: str, now) -> dict:
    return {"status": status, "resolved_at": now if status == Conversation.Status.RESOLVED else None}


def conversation_set_status(*, conversation: Conversation, status: str, by: Membership) -> Conversation:
    _same_workspace(by, conversation)
    _require(by, Perm.REPLY)
    if status not in Conversation.Status.values:
        raise InboxError(_("Unknown status."))
    if conversation.status != status:
        reopening = _reopens(conversation.status, status)
        now = timezone.now()
        for name, value in _status_fields(status, now).items():
            setattr(conversation, name, value)
        with transaction.atomic():
            _touch(conversation, ["status", "resolved_at"])
            if reopening:
                signals.conversations_reopened.send(
                    sender=Conversation, reopened={conversation.pk: now}, user_id=by.user_id
                )
            signals.conversation_changed.send(
                sender=Conversation, conversation=conversation, by_user_id=by.user_id
            )
            _updated(conversation.workspace_id, [conversation.pk], "status")
    return conversation


def _reopens(old: str, new: str) -> bool:
    """A person reopens what was resolved (a pending thread set open was never closed; the customer's new
    message reopening a pending one is ingestion's)."""
    return old == Conversation.Status.RESOLVED and new == Conversation.Status.OPEN


def conversation_set_priority(*, conversation: Conversation, priority: int, by: Membership) -> Conversation:
    _same_workspace(by, conversation)
    _require(by, Perm.REPLY)
    if priority not in Conversation.Priority.values:
        raise InboxError(_("Unknown priority."))
    if conversation.priority != priority:
        conversation.priority = priority
        with transaction.atomic():
            _touch(conversation, ["priority"])
            _updated(conversation.workspace_id, [conversation.pk], "priority")
    return conversation


def conversation_set_sensitive(
    *, conversation: Conversation, sensitive: bool, by: Membership
) -> Conversation:
    """Anyone who replies may flag a conversation sensitive (its replies then need approval); lifting the
    flag removes that safeguard, so it takes someone who approves replies."""
    _same_workspace(by, conversation)
    _require(by, Perm.REPLY if sensitive else Perm.APPROVE_REPLIES)
    if conversation.sensitive != sensitive:
        conversation.sensitive = sensitive
        _touch(conversation, ["sensitive"])
    return conversation


def _scoped(by: Membership, ids: Iterable[int]):
    clean = [int(i) for i in ids if str(i).isdigit()][:BULK_MAX]
    return Conversation.objects.filter(workspace_id=by.workspace_id, pk__in=clean)


def _bulk_update(qs, **values) -> int:
    return qs.update(**values, updated_at=timezone.now())


def conversations_bulk_set_status(*, ids: Iterable[int], status: str, by: Membership) -> BulkResult:
    _require(by, Perm.REPLY)
    if status not in Conversation.Status.values:
        raise InboxError(_("Unknown status."))
    now = timezone.now()
    with transaction.atomic():
        before = dict(_scoped(by, ids).exclude(status=status).values_list("pk", "status"))
        changed = _bulk_update(
            Conversation.objects.filter(pk__in=list(before)).exclude(status=status),
            **_status_fields(status, now),
        )
        # The apps above (reports' facts) hear of the change once, with every conversation it moved.
        moved = list(
            Conversation.objects.filter(pk__in=list(before), status=status).values_list("pk", flat=True)
        )
        reopened = {pk: now for pk in moved if _reopens(before[pk], status)}
        if reopened:
            signals.conversations_reopened.send(sender=Conversation, reopened=reopened, user_id=by.user_id)
        if moved:
            signals.conversations_changed.send(
                sender=Conversation, conversation_ids=moved, by_user_id=by.user_id
            )
        _updated(by.workspace_id, moved, "status")
    return BulkResult(changed=changed)


def conversations_bulk_set_priority(*, ids: Iterable[int], priority: int, by: Membership) -> BulkResult:
    _require(by, Perm.REPLY)
    if priority not in Conversation.Priority.values:
        raise InboxError(_("Unknown priority."))
    with transaction.atomic():
        pks = list(_scoped(by, ids).exclude(priority=priority).values_list("pk", flat=True))
        changed = _bulk_update(Conversation.objects.filter(pk__in=pks), priority=priority)
        _updated(by.workspace_id, pks, "priority")
    return BulkResult(changed=changed)


# --- Labels ---------------------------------------------------------------------------------------------


def label_get_or_create(*, name: str, by: Membership) -> tuple[Label, bool]:
    """The workspace's label called `name` (whatever its case), created if new; and whether it was."""
    _require(by, Perm.REPLY)
    name = " ".join(name.split())[:LABEL_MAX_CHARS]
    if not name:
        raise InboxError(_("A label needs a name."))
    existing = Label.objects.filter(workspace_id=by.workspace_id, name__iexact=name).first()
    if existing:
        return existing, False
    return Label.objects.get_or_create(workspace_id=by.workspace_id, name=name)


def _check_labels(by: Membership, labels: Iterable[Label]) -> list[Label]:
    labels = list(labels)
    if any(label.workspace_id != by.workspace_id for label in labels):
        raise InboxError(_("This label belongs to another workspace."))
    return labels


@transaction.atomic
def conversation_label(
    *,
    conversation: Conversation,
    by: Membership,
    add: Iterable[Label] = (),
    remove: Iterable[Label] = (),
) -> Conversation:
    _same_workspace(by, conversation)
    _require(by, Perm.REPLY)
    add, remove = _check_labels(by, add), _check_labels(by, remove)
    if add:
        conversation.labels.add(*add)
    if remove:
        conversation.labels.remove(*remove)
    if add or remove:
        _touch(conversation, [])
        _updated(conversation.workspace_id, [conversation.pk], "labels")
    return conversation


@transaction.atomic
def conversations_bulk_label(
    *, ids: Iterable[int], label: Label, by: Membership, add: bool = True
) -> BulkResult:
    _require(by, Perm.REPLY)
    _check_labels(by, [label])
    scoped = list(_scoped(by, ids).values_list("pk", flat=True))
    through = Conversation.labels.through
    if add:
        have = set(
            through.objects.filter(label=label, conversation_id__in=scoped).values_list(
                "conversation_id", flat=True
            )
        )
        targets = [pk for pk in scoped if pk not in have]
        through.objects.bulk_create(
            [through(conversation_id=pk, label=label) for pk in targets], ignore_conflicts=True
        )
    else:
        targets = list(
            through.objects.filter(label=label, conversation_id__in=scoped).values_list(
                "conversation_id", flat=True
            )
        )
        through.objects.filter(label=label, conversation_id__in=targets).delete()
    Conversation.objects.filter(pk__in=targets).update(updated_at=timezone.now())
    _updated(by.workspace_id, targets, "labels")
    return BulkResult(changed=len(targets))


# --- Read state -----------------------------------------------------------------------------------------


def conversation_mark_read(*, conversation: Conversation, user: User, at=None) -> None:
    """Remember that `user` has read the conversation up to now: one upsert, whatever happened before."""
    ConversationRead.objects.bulk_create(
        [ConversationRead(conversation=conversation, user=user, read_at=at or timezone.now())],
        update_conflicts=True,
        unique_fields=["conversation", "user"],
        update_fields=["read_at"],
    )


def conversations_bulk_mark_read(*, ids: Iterable[int], user: User, by: Membership) -> BulkResult:
    now = timezone.now()
    scoped = list(_scoped(by, ids).values_list("pk", flat=True))
    ConversationRead.objects.bulk_create(
        [ConversationRead(conversation_id=pk, user=user, read_at=now) for pk in scoped],
        update_conflicts=True,
        unique_fields=["conversation", "user"],
        update_fields=["read_at"],
    )
    return BulkResult(changed=len(scoped))


def conversations_mark_unread(*, ids: Iterable[int], user: User, by: Membership) -> BulkResult:
    deleted, _rows = ConversationRead.objects.filter(user=user, conversation__in=_scoped(by, ids)).delete()
    return BulkResult(changed=deleted)


# --- Notes and mentions ---------------------------------------------------------------------------------

MENTION = re.compile(r"(?<![\w@.])@([\w][\w.\-]*[\w]|[\w])", re.UNICODE)


def _mention_keys(user: User) -> set[str]:
    name = user.name
    keys = {
        user.email.split("@")[0].lower(),
        "".join(name.split()).lower(),
        "".join(name.split()).replace(".", "").lower(),
    }
    parts = name.split()
    if parts:
        keys.add(parts[0].lower())
    if len(parts) > 1:
        keys.add(".".join(parts).lower())
    return {key for key in keys if key}


def resolve_mentions(text: str, members: Iterable[User]) -> list[User]:
    """Members named by `@token` in `text`. A token matches a member's email name (ada.lovelace), their
    name without spaces (@AdaLovelace), with dots (@ada.lovelace) or their first name (@ada) when only one
    member has that first name. Ambiguous or unknown tokens mention nobody."""
    tokens = {token.lower() for token in MENTION.findall(text)}
    if not tokens:
        return []
    owners: dict[str, list[User]] = {}
    for member in members:
        for key in _mention_keys(member):
            owners.setdefault(key, []).append(member)
    found: dict[int, User] = {}
    for token in tokens:
        candidates = owners.get(token, [])
        if len(candidates) == 1:
            found[candidates[0].pk] = candidates[0]
    return list(found.values())


@transaction.atomic
def note_create(*, conversation: Conversation, author: User, text: str, by: Membership | None = None) -> Note:
    """An internal note; members it @mentions are stored and emailed once the note is committed."""
    if by is not None:
        _same_workspace(by, conversation)
        _require(by, Perm.REPLY)
    text = text.strip()
    if not text:
        raise InboxError(_("A note cannot be empty."))
    if len(text) > NOTE_MAX_CHARS:
        raise InboxError(_("A note is limited to %(max)s characters.") % {"max": NOTE_MAX_CHARS})
    note = Note.objects.create(conversation=conversation, author=author, text=text)
    members = User.objects.filter(memberships__workspace_id=conversation.workspace_id, is_active=True)
    mentioned = [user for user in resolve_mentions(text, members) if user.pk != author.pk]
    if mentioned:
        note.mentioned.add(*mentioned)
        transaction.on_commit(lambda: _email_mentions(note.pk))
    _touch(conversation, [])
    return note


def _email_mentions(note_id: int) -> None:
    note = (
        Note.objects.select_related("author", "conversation__workspace", "conversation__contact")
        .filter(pk=note_id)
        .first()
    )
    if note is None:
        return
    conversation = note.conversation
    workspace = conversation.workspace
    url = settings.SITE_URL + reverse("inbox_conversation", args=[workspace.slug, conversation.pk])
    author = note.author.name if note.author else _("Someone")
    mentioned = list(note.mentioned.filter(is_active=True).exclude(pk=note.author_id))
    notification_send(
        recipients=mentioned,
        workspace=workspace,
        kind=Notification.Kind.MENTIONED,
        url=reverse("inbox_conversation", args=[workspace.slug, conversation.pk]),
        text=lambda: (
            _("%(author)s mentioned you in %(workspace)s")
            % {"author": note.author.name if note.author else _("Someone"), "workspace": workspace.name}
        ),
    )
    for user in mentioned:
        with translation.override(user.language or workspace.default_language):
            subject = _("%(author)s mentioned you in %(workspace)s") % {
                "author": author,
                "workspace": workspace.name,
            }
            body = render_to_string(
                "inbox/email/mention.txt",
                {"note": note, "author": author, "user": user, "url": url, "workspace": workspace},
            )
        email_send(subject=subject, body=body, to=[user.email])


# --- Contacts -------------------------------------------------------------------------------------------


def contact_set_notes(*, contact: Contact, notes: str, by: Membership) -> Contact:
    if contact.workspace_id != by.workspace_id:
        raise InboxError(_("This contact belongs to another workspace."))
    _require(by, Perm.REPLY)
    notes = notes.strip()
    if len(notes) > CONTACT_NOTES_MAX_CHARS:
        raise InboxError(_("Notes are limited to %(max)s characters.") % {"max": CONTACT_NOTES_MAX_CHARS})
    if contact.notes != notes:
        contact.notes = notes
        contact.save(update_fields=["notes"])
    return contact

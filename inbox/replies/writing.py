"""Writing, approving, rejecting and retrying replies, and the workspace's inbox rules for them."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import AuditAction, AuditEvent, audit_record
from accounts.models import Membership, Workspace
from accounts.policy import Perm, can
from inbox.models import Conversation, InboxPolicy, Message
from networks.models import Channel

from . import single
from .common import ReplyError, StaleThread, _enqueue, _require, _touch
from .pipeline import S
from .rules import reply_needs_approval, reply_problems, thread_changes_since


def reply_parent(conversation: Conversation) -> Message | None:
    """The message a new reply in this conversation answers: the newest from the public (the composer
    names it, so the person sees whom they answer before sending)."""
    return (
        Message.objects.filter(conversation=conversation, direction=Message.Direction.IN)
        .exclude(external_id=None)
        .select_related("author_contact")
        .order_by("-created_at", "-pk")
        .first()
    )


def reply_create(
    *,
    conversation: Conversation,
    author: Membership,
    text: str,
    thread_version: int,
    confirm_stale: bool = False,
    drafted_by_assistant: bool = False,
    by_assistant: bool = False,
    hold_for_approval: bool = False,
) -> Message:
    """A reply to the conversation's latest inbound message, queued for sending or waiting for approval.

    `by_assistant`: written by an auto-reply rule (in `author`'s name), so the audit log says the
    assistant sent it, not the person. `hold_for_approval`: a draft that waits for a person to approve it
    whatever the workspace's policy (a bot drafts through the API, a human sends).

    Refused (StaleThread) when messages arrived after `thread_version` unless the author confirms they
    want to send anyway; refused (ReplyError) when the network would refuse the text.
    """
    _require(author, Perm.REPLY, conversation)
    text = text.strip()
    channel = conversation.channel
    if channel.status == Channel.Status.NEEDS_RECONNECT:
        raise ReplyError(
            _("%(channel)s lost its connection: reconnect it before replying.") % {"channel": channel}
        )
    problems = reply_problems(conversation=conversation, text=text)
    if problems:
        raise ReplyError(" ".join(problems))
    newer = thread_changes_since(conversation=conversation, version=thread_version, author=author)
    if newer and not confirm_stale:
        raise StaleThread(newer)
    needs_approval = hold_for_approval or reply_needs_approval(
        conversation=conversation, author=author, drafted_by_assistant=drafted_by_assistant
    )
    parent = reply_parent(conversation)
    now = timezone.now()
    with transaction.atomic():
        # Lock order shared with ingestion (channel, then conversation): the insert below takes key locks
        # on both rows, and taking them the other way round deadlocks against a poll storing this thread.
        Channel.objects.select_for_update(no_key=True).filter(pk=channel.pk).first()
        # Where a new answer replaces the first, one at a time (checked under the lock: two people
        # answering at once are serialised here).
        reason = single.in_flight_refusal(conversation)
        if reason:
            raise ReplyError(reason)
        message = Message.objects.create(
            workspace_id=conversation.workspace_id,
            conversation=conversation,
            channel=channel,
            direction=Message.Direction.OUT,
            kind="direct_message" if conversation.kind == Conversation.Kind.DIRECT_MESSAGE else "reply",
            author_user=author.user,
            parent_external_id=(parent.external_id if parent else conversation.root_external_id)[:300],
            text=text,
            created_at=now,
            ingested_at=now,
            send_status=S.PENDING_APPROVAL if needs_approval else S.QUEUED,
            next_step_at=None if needs_approval else now,
            raw={"drafted_by_assistant": True} if drafted_by_assistant else {},
        )
        _touch(conversation.pk, now)
        if not needs_approval:
            _enqueue(message.pk, now)
        _audit_reply(
            message,
            action=(
                (AuditAction.REPLY_SUBMITTED if needs_approval else AuditAction.REPLY_AUTO_SENT)
                if by_assistant
                else (AuditAction.REPLY_SUBMITTED if needs_approval else AuditAction.REPLY_SENT)
            ),
            by=None if by_assistant else author,
            after={"text": text, "status": message.send_status},
        )
    return message


def _audit_reply(message: Message, *, action: AuditAction, by: Membership | None, **values) -> None:
    conversation_label = f"{message.conversation} · {message.text[:80]}"
    audit_record(
        workspace=message.workspace_id,
        action=action,
        target=("message", message.pk, conversation_label),
        actor=by,
        actor_kind=AuditEvent.ActorKind.PERSON if by is not None else AuditEvent.ActorKind.ASSISTANT,
        only_changes=False,
        **values,
    )


def _review(message: Message, by: Membership) -> None:
    _require(by, Perm.APPROVE_REPLIES, message)
    if message.author_user_id is not None and message.author_user_id == by.user_id:
        raise ReplyError(_("Someone else must approve your own reply."))


def _decide(message: Message, by: Membership, **values) -> Message:
    """Move a reply out of pending_approval, once: a second reviewer clicking at the same time loses."""
    now = timezone.now()
    before_text = message.text
    with transaction.atomic():
        if values.get("send_status") == S.QUEUED:
            _one_at_a_time(message)
        changed = Message.objects.filter(pk=message.pk, send_status=S.PENDING_APPROVAL).update(
            approved_by=by.user, **values
        )
        if not changed:
            raise ReplyError(_("This reply was already reviewed."))
        _touch(message.conversation_id, now)
        if values.get("send_status") == S.QUEUED:
            _enqueue(message.pk, now)
        message.refresh_from_db()
        approved = message.send_status == S.QUEUED
        edited = approved and message.text != before_text
        _audit_reply(
            message,
            action=AuditAction.REPLY_APPROVED if approved else AuditAction.REPLY_REJECTED,
            by=by,
            before={"status": S.PENDING_APPROVAL, **({"text": before_text} if edited else {})},
            after={
                "status": message.send_status,
                **({"text": message.text} if edited else {}),
                **({"comment": message.review_comment} if not approved else {}),
            },
        )
    return message


def _one_at_a_time(message: Message) -> None:
    """Refuse to put `message` on its way while another answer is, where a new answer replaces the first
    (under the channel lock reply_create takes too)."""
    conversation = message.conversation
    Channel.objects.select_for_update(no_key=True).filter(pk=conversation.channel_id).first()
    reason = single.in_flight_refusal(conversation, statuses=single.ON_ITS_WAY, exclude=message.pk)
    if reason:
        raise ReplyError(reason)


def reply_approve(*, message: Message, by: Membership) -> Message:
    _review(message, by)
    return _decide(message, by, send_status=S.QUEUED, next_step_at=timezone.now())


def reply_edit_and_approve(*, message: Message, by: Membership, text: str) -> Message:
    _review(message, by)
    text = text.strip()
    problems = reply_problems(conversation=message.conversation, text=text)
    if problems:
        raise ReplyError(" ".join(problems))
    return _decide(message, by, text=text, send_status=S.QUEUED, next_step_at=timezone.now())


def reply_reject(*, message: Message, by: Membership, comment: str) -> Message:
    _review(message, by)
    comment = comment.strip()
    if not comment:
        raise ReplyError(_("Say why, so the author can do better next time."))
    return _decide(message, by, send_status=S.REJECTED, review_comment=comment[:2000])


def reply_retry(*, message: Message, by: Membership) -> Message:
    """Send a failed reply again (after a reconnect, an edit of the thread on the network...)."""
    _require(by, Perm.REPLY, message)
    now = timezone.now()
    with transaction.atomic():
        _one_at_a_time(message)
        changed = Message.objects.filter(pk=message.pk, send_status=S.FAILED).update(
            send_status=S.QUEUED, send_attempts=0, send_error="", next_step_at=now
        )
        if not changed:
            raise ReplyError(_("Only a reply that failed can be sent again."))
        _touch(message.conversation_id, now)
        _enqueue(message.pk, now)
    message.refresh_from_db()
    return message


@transaction.atomic
def inbox_policy_update(
    *,
    workspace: Workspace,
    by: Membership,
    agent_replies_need_approval: bool,
    first_response_minutes: int,
    business_hours: dict[str, list[str]],
    after_reply: str | None = None,
) -> InboxPolicy:
    """Who needs approval, the first-response target and what a conversation becomes once answered
    (None keeps the current choice). Applies to replies written and messages received from now on; what
    is already waiting keeps the rule it was written under."""
    if by.workspace_id != workspace.pk or not can(by, Perm.MANAGE_WORKSPACE):
        raise ReplyError(_("Your role in this workspace does not allow this."))
    defaults = {
        "agent_replies_need_approval": agent_replies_need_approval,
        "first_response_minutes": first_response_minutes,
        "business_hours": business_hours,
    }
    if after_reply is not None:
        if after_reply not in InboxPolicy.AfterReply.values:
            raise ReplyError(_("Choose what a conversation becomes once answered."))
        defaults["after_reply"] = after_reply
    current = InboxPolicy.objects.filter(workspace=workspace).values(*defaults).first() or {}
    policy, _created = InboxPolicy.objects.update_or_create(workspace=workspace, defaults=defaults)
    audit_record(
        workspace=workspace,
        action=AuditAction.INBOX_POLICY_CHANGED,
        target=("inboxpolicy", policy.pk, _("Inbox policy")),
        actor=by,
        before=current,
        after={field: getattr(policy, field) for field in defaults},
    )
    return policy

"""Auto-replies, with a person in the loop.

By default an auto-reply is a draft that waits for approval (`reply_create(drafted_by_assistant=True)`).
It goes out directly only when the workspace's AutoReplyPolicy allows it and every guard holds: the kill
switch is on, the FAQ answer is on the list, the engine is confident enough, the channel is allowed, the
daily cap is not reached, and the customer is neither complaining nor unhappy. Direct replies use the
normal send pipeline, are marked in the thread (`raw["auto_sent"]`) and leave an AutoReply audit row.

A customer who answers an auto-reply is handed back to the humans (`hand_back`).

The rule's author is the reply's author: a rule is a manager's standing instruction, and a reply needs a
member who may reply. A rule whose author left the workspace drafts and sends nothing.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.audit import AuditAction, audit_record
from accounts.models import Membership, Workspace
from accounts.policy import Perm, can
from assistant import engine, selectors
from assistant.models import AutoReply, AutoReplyPolicy, FaqEntry, Language, MessageTriage, Rule
from inbox import signals
from inbox.models import Conversation, Label, Message
from inbox.replies import ReplyError, reply_create

if TYPE_CHECKING:
    from assistant.rules import State

NEGATIVE = -0.2  # at or below: never answered without a person
ANSWERED_LABEL = "auto-reply answered"

# Why an auto-reply was not sent directly (or not made at all); stored as codes, shown in words.
REASONS = {
    "no_answer": _("No FAQ answer fits."),
    "no_author": _("The rule's author can no longer reply in this workspace."),
    "refused": _("The network would refuse this reply."),
    "kill_switch": _("Direct sending is off."),
    "complaint": _("Complaints always go to a person."),
    "negative": _("Unhappy customers always go to a person."),
    "sensitive": _("The conversation is sensitive."),
    "not_allowed": _("This answer is not on the list of answers that may go out directly."),
    "low_confidence": _("The assistant is not confident enough."),
    "channel": _("Direct replies are not allowed on this channel."),
    "already_answered": _("The assistant already answered this conversation."),
    "daily_cap": _("The daily limit of direct replies is reached."),
    "needs_approval": _("The reply needs approval."),
}


def best_faq(message: Message, triage: MessageTriage) -> tuple[FaqEntry, float] | None:
    """The FAQ answer that fits the message best, with the engine's confidence."""
    if triage.intent == "spam":
        return None
    index, entries = selectors.faq_index_for(message.workspace_id)
    language = triage.language if triage.language in Language.values else None
    found = index.suggest(message.text, language=language, limit=1, intent=triage.intent)
    if not found or int(found[0].entry_id) not in entries:
        return None
    return entries[int(found[0].entry_id)], found[0].confidence


def _author(rule: Rule, workspace_id: int) -> Membership | None:
    member = (
        Membership.objects.filter(workspace_id=workspace_id, user_id=rule.created_by_id, user__is_active=True)
        .select_related("user", "workspace")
        .first()
    )
    return member if member is not None and can(member, Perm.REPLY) else None


def _day_start(workspace: Workspace, now: dt.datetime) -> dt.datetime:
    try:
        zone = zoneinfo.ZoneInfo(workspace.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def sent_today(workspace_id: int) -> int:
    workspace = Workspace.objects.get(pk=workspace_id)
    return AutoReply.objects.filter(
        workspace_id=workspace_id,
        mode=AutoReply.Mode.SENT,
        created_at__gte=_day_start(workspace, timezone.now()),
    ).count()


def _auto_answered(conversation_id: int) -> bool:
    return AutoReply.objects.filter(
        message__conversation_id=conversation_id, mode=AutoReply.Mode.SENT
    ).exists()


def why_not_direct(
    *,
    policy: AutoReplyPolicy | None,
    message: Message,
    triage: MessageTriage,
    entry: FaqEntry,
    confidence: float,
    state: State,
) -> str | None:
    """The first guard that keeps this reply from going out directly, or None when none does."""
    conversation = message.conversation
    if policy is None or not policy.enabled:
        return "kill_switch"
    if triage.intent == "complaint":
        return "complaint"
    if triage.sentiment <= NEGATIVE:
        return "negative"
    if conversation.sensitive:
        return "sensitive"
    if not policy.faq_entries.filter(pk=entry.pk).exists():
        return "not_allowed"
    if confidence < max(policy.min_confidence, engine.AUTO_SEND_THRESHOLD):
        return "low_confidence"  # below the calibrated default, an answer is never sent alone
    if not policy.channels.filter(pk=message.channel_id).exists():
        return "channel"
    if conversation.pk in state.auto_answered or _auto_answered(conversation.pk):
        return "already_answered"
    if state.sent_today is None:
        state.sent_today = sent_today(message.workspace_id)
    if state.sent_today >= policy.daily_cap:
        return "daily_cap"
    return None


def decide(*, rule: Rule, message: Message, triage: MessageTriage, state: State) -> dict:
    """What the auto-reply action would do for this message, reading only. Updates `state` for the next
    message of the same run (the cap, conversations already answered)."""
    step: dict = {"type": "auto_reply"}
    best = best_faq(message, triage)
    if best is None:
        return {**step, "mode": AutoReply.Mode.SKIPPED.value, "reason": "no_answer"}
    entry, confidence = best
    step.update(faq_entry=entry.pk, confidence=round(confidence, 4))
    if _author(rule, message.workspace_id) is None:
        return {**step, "mode": AutoReply.Mode.SKIPPED.value, "reason": "no_author"}
    policy = AutoReplyPolicy.objects.filter(workspace_id=message.workspace_id).first()
    reason = why_not_direct(
        policy=policy, message=message, triage=triage, entry=entry, confidence=confidence, state=state
    )
    if reason is None:
        state.sent_today = (state.sent_today or 0) + 1
        state.auto_answered.add(message.conversation_id)
        return {**step, "mode": AutoReply.Mode.SENT.value, "reason": ""}
    return {**step, "mode": AutoReply.Mode.DRAFTED.value, "reason": reason}


def carry_out(step: dict, *, rule: Rule, message: Message) -> dict:
    """Write what `decide` said: a draft, a direct reply, or only the audit row. Returns the step as done."""
    M = AutoReply.Mode
    done = dict(step)
    reply = None
    entry = FaqEntry.objects.filter(pk=step.get("faq_entry"), workspace_id=message.workspace_id).first()
    author = _author(rule, message.workspace_id)
    if step["mode"] != M.SKIPPED and (entry is None or author is None):
        done.update(mode=M.SKIPPED.value, reason="no_answer" if entry is None else "no_author")
    if done["mode"] != M.SKIPPED:
        direct = done["mode"] == M.SENT
        conversation = Conversation.objects.select_related("channel").get(pk=message.conversation_id)
        try:
            with transaction.atomic():
                reply = reply_create(
                    conversation=conversation,
                    author=author,
                    text=entry.answer,
                    thread_version=message.pk,
                    confirm_stale=True,
                    drafted_by_assistant=not direct,
                    by_assistant=True,
                )
        except ReplyError:
            done.update(mode=M.SKIPPED.value, reason="refused")
        else:
            if direct and reply.send_status != Message.SendStatus.QUEUED:
                done.update(mode=M.DRAFTED.value, reason="needs_approval")
            elif direct:
                reply.raw = {**reply.raw, "auto_sent": True, "auto_reply_rule": rule.pk}
                reply.save(update_fields=["raw"])
    AutoReply.objects.create(
        workspace_id=message.workspace_id,
        rule=rule,
        message=message,
        reply=reply,
        faq_entry=entry,
        confidence=step.get("confidence") or 0.0,
        mode=done["mode"],
        reason=done["reason"],
    )
    return done


UNSEEN = (Message.SendStatus.PENDING_APPROVAL, Message.SendStatus.REJECTED, Message.SendStatus.FAILED)


def hand_back(messages: list[Message]) -> list[int]:
    """Conversations where a customer answered a direct auto-reply go back to the humans: labelled, open,
    and at least high priority. Returns their ids. What the customer answered is the last reply they could
    see: drafts waiting for approval, rejected or failed replies never reached them."""
    handed = []
    for message in messages:
        if message.direction != Message.Direction.IN:
            continue
        last_ours = (
            Message.objects.filter(
                conversation_id=message.conversation_id, direction=Message.Direction.OUT, pk__lt=message.pk
            )
            .exclude(send_status__in=UNSEEN)
            .order_by("-pk")
            .values_list("pk", "raw")
            .first()
        )
        if last_ours is None or not (last_ours[1] or {}).get("auto_sent"):
            continue
        # The reports count hand-backs from here (the label can be taken off later); once per reply.
        AutoReply.objects.filter(reply_id=last_ours[0], mode=AutoReply.Mode.SENT, handed_back_at=None).update(
            handed_back_at=timezone.now()
        )
        label = Label.objects.filter(workspace_id=message.workspace_id, name__iexact=ANSWERED_LABEL).first()
        if label is None:
            label, _created = Label.objects.get_or_create(
                workspace_id=message.workspace_id, name=ANSWERED_LABEL
            )
        conversation = Conversation.objects.get(pk=message.conversation_id)
        was = conversation.status
        with transaction.atomic():
            conversation.labels.add(label)
            conversation.status, conversation.resolved_at = Conversation.Status.OPEN, None
            conversation.priority = max(conversation.priority, Conversation.Priority.HIGH)
            conversation.updated_at = timezone.now()
            conversation.save(update_fields=["status", "resolved_at", "priority", "updated_at"])
            # Usually the poll that stored the customer's answer has reopened it already; if not, this is
            # the reopen (the customer's, so no person's), and the reports hear of it.
            if was in (Conversation.Status.PENDING, Conversation.Status.RESOLVED):
                signals.conversations_reopened.send(
                    sender=Conversation, reopened={conversation.pk: message.created_at}, user_id=None
                )
            if was != Conversation.Status.OPEN:
                signals.conversation_changed.send(sender=Conversation, conversation=conversation)
        handed.append(conversation.pk)
    return handed


@transaction.atomic
def auto_reply_policy_update(
    *,
    workspace: Workspace,
    by: Membership,
    enabled: bool,
    faq_entries: list[FaqEntry],
    min_confidence: float,
    channels: list,
    daily_cap: int,
) -> AutoReplyPolicy:
    if by.workspace_id != workspace.pk or not can(by, Perm.MANAGE_RULES):
        raise ReplyError(gettext("Your role in this workspace does not allow this."))
    if any(e.workspace_id != workspace.pk for e in faq_entries) or any(
        c.workspace_id != workspace.pk for c in channels
    ):
        raise ReplyError(gettext("This belongs to another workspace."))
    if not engine.AUTO_SEND_THRESHOLD <= min_confidence <= 1.0:
        raise ReplyError(
            gettext("The confidence threshold must be between %(low)s and 1.")
            % {"low": engine.AUTO_SEND_THRESHOLD}
        )
    current = AutoReplyPolicy.objects.filter(workspace=workspace).first()
    before = _auto_reply_state(current) if current is not None else {}
    policy, _created = AutoReplyPolicy.objects.update_or_create(
        workspace=workspace,
        defaults={
            "enabled": enabled,
            "min_confidence": min_confidence,
            "daily_cap": daily_cap,
            "updated_at": timezone.now(),
        },
    )
    policy.faq_entries.set(faq_entries)
    policy.channels.set(channels)
    audit_record(
        workspace=workspace,
        action=AuditAction.AUTO_REPLY_SETTINGS_CHANGED,
        target=policy,
        actor=by,
        before=before,
        after=_auto_reply_state(policy),
    )
    return policy


def _auto_reply_state(policy: AutoReplyPolicy) -> dict:
    """The settings as the audit log keeps them: FAQ entries and channels by name, sorted."""
    return {
        "enabled": policy.enabled,
        "min_confidence": policy.min_confidence,
        "daily_cap": policy.daily_cap,
        "faq_entries": sorted(str(e) for e in policy.faq_entries.all()),
        "channels": sorted(str(c) for c in policy.channels.all()),
    }

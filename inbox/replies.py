"""Replies: writing an answer, approving it, and sending it to the network exactly once.

States (`Message.send_status`) and who moves them:
    pending_approval --approve--> queued --claim--> sending --> sent
                     --reject---> rejected            |-> queued   (transient trouble, rate limit)
                                                     |-> failed   (refused; retry by hand -> queued)
                                                     '-> unknown  (may have landed; read back: sent|queued)

The rules are the delivery engine's (`core.delivery`), shared with publishing: the claim is a conditional
UPDATE (`queued -> sending`) whose row count says which worker sends, so a task delivered twice, two
workers, or the dispatcher handing out a reply already on its way never send it twice. A send whose outcome
is unknown is never retried blindly: the thread is read back first.

The database is the schedule: `next_step_at` says when a reply's next step is due (or when its send
began), a new or approved reply is enqueued at once, and every later step (a retry, a read-back, a reply
whose enqueue was lost or whose worker died) is handed out by the dispatcher's tick when it is due.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import httpx
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership, Workspace
from accounts.policy import Perm, can
from core import dates, delivery
from core.errors import UserError
from core.http import make_client, worker_client
from inbox import answered
from inbox.models import Conversation, InboxPolicy, Message
from networks import registry
from networks import services as network_services
from networks.models import Channel
from networks.providers import base as p

log = logging.getLogger(__name__)

S = Message.SendStatus
PREVIEW_CHARS = 280
MAX_TEXT_CHARS = 65_000  # above every network's limit: a guard against pasted novels, not a rule
DUE_TOLERANCE = dt.timedelta(seconds=5)  # a task arriving a little early (clock skew) still sends
RECONCILE_DELAY = 15.0  # seconds before reading back a reply that may have landed: let the network index it
POLICY = delivery.Policy(
    max_attempts=5,
    max_checks=10,
    backoff_base=dt.timedelta(seconds=10),
    backoff_cap=dt.timedelta(minutes=5),
    reconcile_delay=dt.timedelta(seconds=RECONCILE_DELAY),
)
MAX_ATTEMPTS = POLICY.max_attempts
# send_reply is killed at this hard limit, so no send lives longer: a reply still "sending" a margin past it
# (clock skew, a slow database) lost its worker. A longer timer only makes a crash's recovery late.
SEND_TIME_LIMIT = 60  # seconds
SENDING_STALE = dt.timedelta(seconds=SEND_TIME_LIMIT + 30)
DISPATCH_LEASE = dt.timedelta(minutes=2)  # an enqueue lost on the way is handed out again after this
DISPATCH_BATCH = 500
PIPELINE = delivery.Pipeline(
    model=Message,
    policy=POLICY,
    status="send_status",
    due="next_step_at",
    attempts="send_attempts",
    waiting=S.QUEUED,
    in_flight=S.SENDING,
    unknown=S.UNKNOWN,
    stale_after=SENDING_STALE,
    lease=DISPATCH_LEASE,
    tolerance=DUE_TOLERANCE,
)


class ReplyError(UserError):
    """A refused reply action, in plain words for the person who tried it."""


class StaleThread(ReplyError):
    """New messages arrived after the version of the thread the author was looking at."""

    def __init__(self, newer: int):
        super().__init__(_("New messages arrived in this conversation since you started writing."))
        self.newer = newer


@dataclass(frozen=True)
class SendOutcome:
    status: str
    #: Seconds until the next step is due (a retry, a read-back: the dispatcher hands it out then); None
    #: when nothing more is to do.
    retry_in: float | None = None


# --- Rules ------------------------------------------------------------------------------------------------


def reply_needs_approval(
    *, conversation: Conversation, author: Membership, drafted_by_assistant: bool = False
) -> bool:
    """Sensitive conversations and assistant drafts always wait for a manager; other replies wait when the
    workspace says agents' replies do and the author may not approve replies."""
    if conversation.sensitive or drafted_by_assistant:
        return True
    policy = InboxPolicy.objects.filter(workspace_id=conversation.workspace_id).first()
    return bool(policy and policy.agent_replies_need_approval and not can(author, Perm.APPROVE_REPLIES))


def _text_kind(conversation: Conversation) -> p.TextKind:
    if conversation.kind == Conversation.Kind.DIRECT_MESSAGE:
        return p.TextKind.DIRECT_MESSAGE
    return p.TextKind.REPLY


def reply_limit(conversation: Conversation) -> p.TextLimit:
    """The length a reply in this conversation may have (what the composer's counter counts against)."""
    return registry.provider_class(conversation.channel.network).text_limit(_text_kind(conversation))


def reply_length(conversation: Conversation, text: str) -> int:
    return registry.provider_class(conversation.channel.network).text_length(text)


def reply_problems(*, conversation: Conversation, text: str) -> list[str]:
    """Everything that would make the network refuse this reply, said before it is queued."""
    if not text.strip():
        return [_("Write something first.")]
    if len(text) > MAX_TEXT_CHARS:
        return [_("This is far too long for any network.")]
    channel = conversation.channel
    with make_client() as http:
        provider = registry.build_provider(channel, http=http)
    kind = _text_kind(conversation)
    if kind == p.TextKind.DIRECT_MESSAGE and not provider.supports_direct_message_reply:
        return [_("%(network)s does not let CM Hub answer direct messages.") % _network(channel)]
    return list(dict.fromkeys(provider.validate_reply(text, kind=kind)))


def _network(channel: Channel) -> dict[str, str]:
    return {"network": str(channel.get_network_display())}


def thread_changes_since(*, conversation: Conversation, version: int, author: Membership) -> int:
    """Messages stored after `version` (the newest message id the author saw), their own replies aside."""
    return (
        Message.objects.filter(conversation=conversation, pk__gt=version)
        .exclude(direction=Message.Direction.OUT, author_user_id=author.user_id)
        .count()
    )


def _require(member: Membership, perm: Perm, conversation_or_message) -> None:
    if member.workspace_id != conversation_or_message.workspace_id:
        raise ReplyError(_("This belongs to another workspace."))
    if not can(member, perm):
        raise ReplyError(_("Your role in this workspace does not allow this."))


def _touch(conversation_id: int, now: dt.datetime) -> None:
    # The inbox's live updates poll updated_at: every change a teammate should see bumps it.
    Conversation.objects.filter(pk=conversation_id).update(updated_at=now)


def _enqueue(message_id: int, now: dt.datetime) -> None:
    """Send now (on commit), leased so the dispatcher's next tick does not hand it out a second time."""
    from inbox.tasks import enqueue_send  # tasks import this module

    Message.objects.filter(pk=message_id).update(leased_until=now + DISPATCH_LEASE)
    enqueue_send(message_id)


# --- Writing and reviewing ----------------------------------------------------------------------------------


def reply_create(
    *,
    conversation: Conversation,
    author: Membership,
    text: str,
    thread_version: int,
    confirm_stale: bool = False,
    drafted_by_assistant: bool = False,
) -> Message:
    """A reply to the conversation's latest inbound message, queued for sending or waiting for approval.

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
    needs_approval = reply_needs_approval(
        conversation=conversation, author=author, drafted_by_assistant=drafted_by_assistant
    )
    parent = (
        Message.objects.filter(conversation=conversation, direction=Message.Direction.IN)
        .exclude(external_id=None)
        .order_by("-created_at", "-pk")
        .first()
    )
    now = timezone.now()
    with transaction.atomic():
        # Lock order shared with ingestion (channel, then conversation): the insert below takes key locks
        # on both rows, and taking them the other way round deadlocks against a poll storing this thread.
        Channel.objects.select_for_update(no_key=True).filter(pk=channel.pk).first()
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
    return message


def _review(message: Message, by: Membership) -> None:
    _require(by, Perm.APPROVE_REPLIES, message)
    if message.author_user_id is not None and message.author_user_id == by.user_id:
        raise ReplyError(_("Someone else must approve your own reply."))


def _decide(message: Message, by: Membership, **values) -> Message:
    """Move a reply out of pending_approval, once: a second reviewer clicking at the same time loses."""
    now = timezone.now()
    with transaction.atomic():
        changed = Message.objects.filter(pk=message.pk, send_status=S.PENDING_APPROVAL).update(
            approved_by=by.user, **values
        )
        if not changed:
            raise ReplyError(_("This reply was already reviewed."))
        _touch(message.conversation_id, now)
        if values.get("send_status") == S.QUEUED:
            _enqueue(message.pk, now)
    message.refresh_from_db()
    return message


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
    policy, _created = InboxPolicy.objects.update_or_create(workspace=workspace, defaults=defaults)
    return policy


# --- Sending -----------------------------------------------------------------------------------------------


def reply_claim(message_id: int, *, now: dt.datetime | None = None) -> bool:
    """Take a due queued reply for sending. Exactly one caller gets True, however many try at once."""
    return delivery.claim(PIPELINE, message_id, now=now or timezone.now())


def reply_target(message: Message) -> p.ReplyTarget:
    """What the network needs to thread our answer under the message it answers."""
    conversation = message.conversation
    parent = (
        Message.objects.filter(channel_id=message.channel_id, external_id=message.parent_external_id)
        .select_related("author_contact")
        .first()
        if message.parent_external_id
        else None
    )
    fallback_kind = {
        Conversation.Kind.MENTION: p.ItemKind.MENTION,
        Conversation.Kind.DIRECT_MESSAGE: p.ItemKind.DIRECT_MESSAGE,
    }.get(conversation.kind, p.ItemKind.COMMENT)
    kind = p.ItemKind(parent.kind) if parent and parent.kind in p.ItemKind else fallback_kind
    author = parent.author_contact if parent and parent.author_contact else conversation.contact
    return p.ReplyTarget(
        external_id=parent.external_id
        if parent
        else (message.parent_external_id or conversation.root_external_id),
        kind=kind,
        post_external_id=conversation.post_external_id,
        parent_external_id=parent.parent_external_id if parent else "",
        thread_root_external_id=conversation.root_external_id,
        author_external_id=author.external_id if author else "",
    )


def _load(message_id: int) -> Message:
    return Message.objects.select_related("conversation__contact", "channel__workspace").get(pk=message_id)


def reply_send(message_id: int, *, http: httpx.Client | None = None) -> SendOutcome | None:
    """Claim the reply and send it. None when another worker has it, it is not due, or it is gone."""
    if not reply_claim(message_id):
        return None
    message = _load(message_id)
    client = http or worker_client()
    try:
        target = reply_target(message)
        provider = _provider(message.channel, client)
    except Exception:
        # Nothing left our side: the reply certainly was not sent.
        _settle(message, S.FAILED, error=_("CM Hub could not prepare this reply for sending."))
        raise
    try:
        result = _reply(message, provider, target, client)
    except p.ProviderError as exc:
        return _send_failed(message, exc)
    except Exception:
        # A bug or the task's time limit while the request may have left: never guess, check.
        log.exception("reply send interrupted", extra={"reply": message.pk})
        _settle(message, S.UNKNOWN, attempt=True, error=_("Interrupted while sending."))
        raise
    return _store_sent(message, result)


def _provider(channel: Channel, client: httpx.Client) -> p.Provider:

    provider = registry.build_provider(channel, http=client)
    if network_services.channel_refresh_if_expiring(channel, provider):
        channel.refresh_from_db()
        provider = registry.build_provider(channel, http=client)
    return provider


def _reply(message: Message, provider: p.Provider, target: p.ReplyTarget, client) -> p.PublishResult:

    try:
        return provider.reply(target=target, text=message.text)
    except p.AuthExpired:
        # A 401 means the write was not applied: renew the token where the network allows it, once.
        channel = message.channel
        if not network_services.channel_refresh_if_expiring(channel, provider, force=True):
            raise
        channel.refresh_from_db()
        return registry.build_provider(channel, http=client).reply(target=target, text=message.text)


def _settle(
    message: Message,
    status: str,
    *,
    error: str = "",
    due: dt.datetime | None = None,
    attempt: bool = False,
    states: tuple[str, ...] = (S.SENDING, S.UNKNOWN),
) -> Message | None:
    """Record the outcome of a send step, if the reply is still where that step left it."""
    now = timezone.now()
    with transaction.atomic():
        locked = Message.objects.select_for_update().filter(pk=message.pk, send_status__in=states).first()
        if locked is None:
            log.warning("reply moved on during a send step", extra={"reply": message.pk, "to": status})
            return None
        locked.send_status = status
        locked.send_error = error
        locked.next_step_at = due or now
        locked.leased_until = None  # the step is over: the dispatcher hands out the next one when due
        locked.send_attempts += int(attempt)
        locked.save(
            update_fields=["send_status", "send_error", "next_step_at", "leased_until", "send_attempts"]
        )
        _touch(locked.conversation_id, now)
    return locked


def _send_failed(message: Message, exc: p.ProviderError) -> SendOutcome:
    now = timezone.now()
    decision = delivery.after_send_error(exc, attempts=message.send_attempts, now=now, policy=POLICY)
    Next = delivery.Next
    with translation.override(message.channel.workspace.default_language):
        if decision.next is Next.WAIT:
            error = _("%(network)s asks us to wait until %(time)s; it will be sent then.") % {
                **_network(message.channel),
                "time": dates.clock(decision.due, message.channel.workspace.timezone),
            }
            _settle(message, S.QUEUED, error=error, due=decision.due)
            return SendOutcome(S.QUEUED, (decision.due - now).total_seconds())
        if decision.next is Next.RETRY:
            error = _("%(network)s had a problem; trying again shortly.") % _network(message.channel)
            _settle(message, S.QUEUED, error=error, due=decision.due, attempt=True)
            return SendOutcome(S.QUEUED, (decision.due - now).total_seconds())
        if decision.next is Next.GAVE_UP:
            error = _("%(network)s kept failing (%(count)s attempts): %(words)s") % {
                **_network(message.channel),
                "count": message.send_attempts + 1,
                "words": decision.words,
            }
            _settle(message, S.FAILED, error=error, attempt=True)
            return SendOutcome(S.FAILED)
        if decision.next is Next.AUTH_LOST:
            network_services.channel_auth_lost(channel=message.channel, error=exc)
            error = _("%(channel)s lost its connection: reconnect it, then send this again. (%(words)s)") % {
                "channel": message.channel.name,
                "words": decision.words,
            }
            _settle(message, S.FAILED, error=error, attempt=True)
            return SendOutcome(S.FAILED)
        if decision.next is Next.REFUSED:
            _settle(message, S.FAILED, error=decision.words, attempt=True)
            return SendOutcome(S.FAILED)
        if decision.next is Next.DUPLICATE:
            error = _("%(network)s says this reply exists already; checking which one it is.") % _network(
                message.channel
            )
        else:
            error = _("%(network)s did not confirm this reply; checking whether it was posted.") % _network(
                message.channel
            )
        _settle(message, S.UNKNOWN, error=error, due=decision.due, attempt=True)
        return SendOutcome(S.UNKNOWN, RECONCILE_DELAY)


def _store_sent(message: Message, result: p.PublishResult) -> SendOutcome:
    """Mark the reply sent with the network's id. If a poll already stored that id (our reply's echo, read
    before we could store the id), the echo is merged into ours and removed, in the same transaction."""
    now = timezone.now()
    with transaction.atomic():
        # Ingestion holds this lock while it checks and inserts ids: the echo is either there or not yet.
        Channel.objects.select_for_update().filter(pk=message.channel_id).first()
        conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
        locked = (
            Message.objects.select_for_update()
            .filter(pk=message.pk, send_status__in=[S.SENDING, S.UNKNOWN])
            .first()
        )
        if locked is None:
            log.error("sent reply no longer in a sending state", extra={"reply": message.pk})
            return SendOutcome(Message.objects.get(pk=message.pk).send_status)
        echo = (
            Message.objects.select_for_update()
            .filter(channel_id=message.channel_id, external_id=result.external_id)
            .exclude(pk=message.pk)
            .first()
        )
        if echo is not None and (echo.next_step_at is not None or echo.author_user_id is not None):
            # Another reply of ours already holds this id (the same words, settled first): this one is
            # still unaccounted for. Read the thread again, that reply's id now excluded.
            log.warning("network id already taken by another reply", extra={"reply": message.pk})
            locked.send_status = S.UNKNOWN
            locked.next_step_at = now + POLICY.reconcile_delay
            locked.save(update_fields=["send_status", "next_step_at"])
            return SendOutcome(S.UNKNOWN, RECONCILE_DELAY)
        created_at, counted = now, False
        if echo is not None:
            created_at = echo.created_at  # the network's own time for it
            locked.permalink = locked.permalink or result.permalink or echo.permalink
            counted = echo.conversation_id == conversation.pk
            if not counted:
                Conversation.objects.filter(pk=echo.conversation_id).update(
                    message_count=Greatest(F("message_count") - 1, 0), updated_at=now
                )
            echo.delete()
        # What the author saw when writing: a customer message after this was not answered by it.
        written_at = min(locked.created_at, created_at)
        locked.external_id = result.external_id[:300]
        locked.permalink = (result.permalink or locked.permalink)[:1000]
        locked.send_status = S.SENT
        locked.send_error = ""
        locked.sent_at = now
        locked.created_at = created_at
        locked.save(
            update_fields=["external_id", "permalink", "send_status", "send_error", "sent_at", "created_at"]
        )
        if not counted:
            conversation.message_count += 1
        if created_at >= conversation.last_message_at:
            conversation.last_message_at = created_at
            conversation.preview = locked.text[:PREVIEW_CHARS]
            conversation.preview_outbound = True
            conversation.preview_author_id = locked.author_user_id
        conversation.first_response_at = conversation.first_response_at or now
        policy = InboxPolicy.objects.filter(workspace_id=conversation.workspace_id).first()
        answered.conversation_answered(conversation, at=written_at, policy=policy)
        conversation.updated_at = now
        conversation.save(
            update_fields=[
                "message_count",
                "last_message_at",
                "preview",
                "preview_outbound",
                "preview_author",
                "first_response_at",
                *answered.FIELDS,
                "updated_at",
            ]
        )
    return SendOutcome(S.SENT)


# --- Settling unknown replies ------------------------------------------------------------------------------


def _known_ids(message: Message) -> set[str]:
    """Ids of the other replies CM Hub sent in this thread: the same words found there are not this one.
    (An echo stored by a poll has no next_step_at: it may be this very reply, so it stays a candidate.)"""
    return set(
        Message.objects.filter(conversation_id=message.conversation_id, direction=Message.Direction.OUT)
        .exclude(pk=message.pk)
        .exclude(Q(external_id=None) | Q(next_step_at=None))
        .values_list("external_id", flat=True)
    )


def reply_reconcile(message: Message, *, http: httpx.Client | None = None) -> SendOutcome:
    """Settle an `unknown` reply by reading the thread back: found -> sent with its id; not there ->
    queued again (sent by the next step). Nothing is ever re-sent before this read says it is not there."""
    message = _load(message.pk)
    if message.send_status != S.UNKNOWN:
        return SendOutcome(message.send_status)
    client = http or worker_client()
    try:
        provider = registry.build_provider(message.channel, http=client)
        found = provider.find_reply(
            target=reply_target(message),
            text=message.text,
            since=message.created_at - delivery.FIND_MARGIN,
            exclude=_known_ids(message),
        )
    except p.ProviderError as exc:
        return _check_failed(message, exc)
    if found is not None:
        return _store_sent(message, found)
    if message.send_attempts >= MAX_ATTEMPTS:
        error = _("Not sent after %(count)s attempts.") % {"count": message.send_attempts}
        _settle(message, S.FAILED, error=error, states=(S.UNKNOWN,))
        return SendOutcome(S.FAILED)
    if _settle(message, S.QUEUED, error="", states=(S.UNKNOWN,)) is None:
        return SendOutcome(Message.objects.get(pk=message.pk).send_status)
    return SendOutcome(S.QUEUED, 0.0)


def _check_failed(message: Message, exc: p.ProviderError) -> SendOutcome:
    """Reading the thread failed: the reply stays unknown and is checked again later, within bounds, or a
    person is asked to look."""
    now = timezone.now()
    decision = delivery.after_check_error(exc, attempts=message.send_attempts, now=now, policy=POLICY)
    Next = delivery.Next
    with translation.override(message.channel.workspace.default_language):
        if decision.next is Next.CHECK:
            error = _("%(network)s did not confirm this reply; checking whether it was posted.") % _network(
                message.channel
            )
            _settle(message, S.UNKNOWN, error=error, due=decision.due, attempt=True, states=(S.UNKNOWN,))
            return SendOutcome(S.UNKNOWN, max((decision.due - now).total_seconds(), 0.0))
        if decision.next is Next.AUTH_LOST:
            network_services.channel_auth_lost(channel=message.channel, error=exc)
        if decision.next is Next.REFUSED:
            error = decision.words  # the thread itself is gone: a reply in it is gone too
        elif isinstance(exc, p.ReadBackIncomplete):
            error = _(
                "CM Hub could not tell whether this reply was posted: the account has posted more since "
                "than the network lets us read back. Look at the conversation on the network before "
                "sending it again."
            )
        else:
            error = _(
                "CM Hub could not check whether this reply was posted (%(words)s). "
                "Look at the conversation on the network before sending it again."
            ) % {"words": decision.words}
        _settle(message, S.FAILED, error=error, attempt=decision.attempt, states=(S.UNKNOWN,))
        return SendOutcome(S.FAILED)


# --- What the task and the sweeper run ---------------------------------------------------------------------


def reply_process(message_id: int, *, http: httpx.Client | None = None) -> SendOutcome | None:
    """The next step for one reply: settle it if unknown, send it if queued and due."""
    message = Message.objects.filter(pk=message_id, direction=Message.Direction.OUT).first()
    if message is None:
        return None
    now = timezone.now()
    if (
        message.send_status in (S.QUEUED, S.UNKNOWN)
        and message.next_step_at
        and message.next_step_at > now + DUE_TOLERANCE
    ):
        # Early (a duplicate delivery, a retry scheduled twice): the backoff or the rate limit still holds.
        return SendOutcome(message.send_status, (message.next_step_at - now).total_seconds())
    if message.send_status == S.UNKNOWN:
        outcome = reply_reconcile(message, http=http)
        if outcome.status != S.QUEUED:
            return outcome
        message.refresh_from_db()
    if message.send_status != S.QUEUED:
        return None
    return reply_send(message_id, http=http)


def replies_dispatch_due(*, now: dt.datetime | None = None) -> list[int]:
    """Replies whose next step is due: queued ones (a retry's time came, or their enqueue was lost), unknown
    ones to read back, and sending ones whose worker died (unknown first: they may have landed). Leased and
    enqueued on commit; returns their ids."""
    from inbox.tasks import enqueue_send  # tasks import this module

    def hand_out(due: list[Message]) -> list[int]:
        for message in due:
            enqueue_send(message.pk)
        return [message.pk for message in due]

    ids, _full = delivery.dispatch_due(
        PIPELINE, now=now or timezone.now(), batch=DISPATCH_BATCH, hand_out=hand_out
    )
    return ids

"""Sending one reply exactly once, and settling a send whose outcome is unknown."""

from __future__ import annotations

import datetime as dt
import logging

import httpx
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import dates, delivery
from core.http import worker_client
from inbox import answered, signals
from inbox.models import Conversation, InboxPolicy, Message
from networks import registry
from networks import services as network_services
from networks.models import Channel
from networks.providers import base as p

from . import single
from .common import PREVIEW_CHARS, SendOutcome, _touch
from .pipeline import MAX_ATTEMPTS, PIPELINE, POLICY, RECONCILE_DELAY, S
from .rules import _network

log = logging.getLogger(__name__)


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
        provider = network_services.provider_with_fresh_token(message.channel, http=client)
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


def _reply(message: Message, provider: p.Provider, target: p.ReplyTarget, client) -> p.PublishResult:

    key = delivery.delivery_key("reply", message.pk)
    try:
        return provider.reply(target=target, text=message.text, delivery_key=key)
    except p.AuthExpired:
        # A 401 means the write was not applied: renew the token where the network allows it, once.
        channel = message.channel
        if not network_services.channel_refresh_if_expiring(channel, provider, force=True):
            raise
        channel.refresh_from_db()
        renewed = registry.build_provider(channel, http=client)
        return renewed.reply(target=target, text=message.text, delivery_key=key)


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
        if status == S.FAILED:
            signals.reply_settled.send(sender=Message, message=locked, status="failed")
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
        one_answer = single.one_answer(message.channel)
        if one_answer and echo is not None and not single.is_own_echo(echo, locked):
            # The network names every answer of this thread the same: the message holding the id is the
            # answer this one replaced (marked so below), not a conflict.
            echo = None
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
        if one_answer:
            # Before this reply takes the id: the earlier answers hold it, and are kept, marked replaced.
            single.answers_replace(conversation_id=conversation.pk, by=locked, now=now)
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
        signals.reply_settled.send(sender=Message, message=locked, status="sent")
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
    # In the same transaction: the reports' facts of this thread are rewritten with the reply in them.
    # The reply's author resolved it when the workspace resolves answered conversations.
    signals.conversation_changed.send(
        sender=Conversation, conversation=conversation, by_user_id=locked.author_user_id
    )
    return SendOutcome(S.SENT)


def _known_ids(message: Message) -> set[str]:
    """Ids of the other replies CM Hub sent in this thread: the same words found there are not this one.
    (An echo stored by a poll has no next_step_at: it may be this very reply, so it stays a candidate.)
    Where a thread holds one answer (a new one replacing it under the same id) none is excluded: what the
    network shows is the one answer, this reply's if its words are there."""
    if single.one_answer(message.channel):
        return set()
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

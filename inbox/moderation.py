"""Moderation from the inbox: hide and show again, delete, and answer a comment privately, on the network;
and block a message's author there, where the network allows it.

Each request is a ModerationAction row, sent exactly once through the delivery engine (`core.delivery`),
like a reply:
    queued --claim--> running --> done
                         |-> queued   (certainly not applied: transient trouble, a rate limit)
                         |-> failed   (refused, or given up)
                         '-> unknown  (may have landed: the comment is read back before anything else)
An unclear hide is settled by reading the comment's `hidden` state, an unclear delete by whether the
comment still exists, an unclear private reply by whether the comment still allows one: nothing is ever
written twice on a guess. A block is the exception that proves it: blocking twice is harmless, so an unclear
one is simply made again.

What is allowed where is the provider's to say (`Provider.supports`, read through the registry); who may
do it is the role's (`accounts.policy`): agents hide, show again and answer privately, only managers delete.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import httpx
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.policy import Perm, can
from core import dates, delivery
from core.errors import UserError
from core.http import worker_client
from inbox.models import Conversation, Message, ModerationAction
from networks import registry
from networks import services as network_services
from networks.models import Channel
from networks.providers import base as p

log = logging.getLogger(__name__)

A = ModerationAction.Action
S = ModerationAction.State
Capability = p.Capability

POLICY = delivery.Policy(
    max_attempts=5,
    max_checks=10,
    backoff_base=dt.timedelta(seconds=10),
    backoff_cap=dt.timedelta(minutes=5),
    reconcile_delay=dt.timedelta(seconds=10),
)
# The task's hard time limit: an action still "running" a margin past it lost its worker.
TIME_LIMIT = 60  # seconds
PIPELINE = delivery.Pipeline(
    model=ModerationAction,
    policy=POLICY,
    status="state",
    due="next_step_at",
    attempts="attempts",
    waiting=S.QUEUED,
    in_flight=S.RUNNING,
    unknown=S.UNKNOWN,
    stale_after=dt.timedelta(seconds=TIME_LIMIT + 30),
    lease=dt.timedelta(minutes=2),
)
DISPATCH_BATCH = 200
MAX_TEXT_CHARS = 10_000  # a guard against pasted novels; the network's own limit is checked too
#: Messages whose comment can be moderated: comments and replies under our posts, not DMs nor mentions.
COMMENT_KINDS = ("comment", "reply")
#: Who may ask for what: hiding is undone in a click and a private reply is a reply, so agents may; a
#: deletion cannot be undone, so only managers (and admins) may.
PERMISSION: dict[str, Perm] = {
    A.HIDE: Perm.HIDE_MESSAGES,
    A.UNHIDE: Perm.HIDE_MESSAGES,
    A.DELETE: Perm.DELETE_MESSAGES,
    A.PRIVATE_REPLY: Perm.REPLY,
    # Blocking cuts the brand off from a person (they can no longer answer, mention or write to it): a
    # manager's decision, like a deletion.
    A.BLOCK: Perm.DELETE_MESSAGES,
}


class ModerationError(UserError):
    """A refused moderation request, in plain words for the person who asked."""


# --- Rules: what may be done to a message, and by whom ----------------------------------------------------


@dataclass(frozen=True)
class MessageModeration:
    """What the thread shows about one message: its moderation state and the buttons a member gets."""

    hidden_pending: bool = False  # a hide or an unhide is on its way
    deleted: bool = False
    deleting: bool = False
    private_reply: ModerationAction | None = None  # the comment's one private reply, if asked
    last_failed: ModerationAction | None = None  # the latest refused change, to say why
    last_done: ModerationAction | None = None  # the latest change that landed: who hid or deleted it, when
    can_hide: bool = False
    can_unhide: bool = False
    can_delete: bool = False
    can_reply_privately: bool = False
    can_block: bool = False
    blocked: bool = False  # the author was blocked on the network from this message
    blocking: bool = False
    words: ModerationLabels | None = None  # what hiding and showing again are called on this network
    done_label: str = ""  # the latest change that landed, named as the network names it
    failed_label: str = ""  # the latest refused change, likewise


@dataclass(frozen=True)
class ModerationLabels:
    """Hiding and showing again in the network's own words (Provider.moderation_words: YouTube holds a
    comment for review and approves it), else the inbox's."""

    hide: str
    unhide: str
    hidden: str
    hiding: str
    unhiding: str
    hid: str
    unhid: str
    already_hidden: str
    not_hidden: str

    def of(self, row: ModerationAction) -> str:
        """What a hide or an unhide is called here; other actions keep their own name."""
        if row.action == A.HIDE:
            return self.hid
        if row.action == A.UNHIDE:
            return self.unhid
        return str(row.get_action_display())


def labels(channel: Channel) -> ModerationLabels:
    network = {"network": channel.get_network_display()}
    provider = _provider_class(channel)
    custom = provider.moderation_words if provider is not None else None
    if custom is not None:
        return ModerationLabels(
            **{name: str(getattr(custom, name)) % network for name in ModerationLabels.__dataclass_fields__}
        )
    return ModerationLabels(
        hide=_("Hide on %(network)s") % network,
        unhide=_("Show again on %(network)s") % network,
        hidden=_("Hidden on the network"),
        hiding=_("Hiding it on the network…"),
        unhiding=_("Showing it again on the network…"),
        hid=str(A.HIDE.label),
        unhid=str(A.UNHIDE.label),
        already_hidden=_("This comment is already hidden."),
        not_hidden=_("This comment is not hidden."),
    )


def _provider_class(channel: Channel) -> type[p.Provider] | None:
    try:
        return registry.provider_class(channel.network)
    except KeyError:
        return None


def _is_comment(message: Message) -> bool:
    return (
        bool(message.external_id)
        and message.kind in COMMENT_KINDS
        and message.conversation.kind == Conversation.Kind.COMMENT
    )


def refusal(*, message: Message, action: str, by: Membership, now: dt.datetime | None = None) -> str:
    """Why `by` may not ask for `action` on `message` now, in plain words; "" when they may. The one
    place the rules live: the buttons are drawn from it, and the request checks it again."""
    now = now or timezone.now()
    network = message.channel.get_network_display()
    provider = _provider_class(message.channel)
    capability = _capability(message, action)
    if message.workspace_id != by.workspace_id:
        return _("This message belongs to another workspace.")
    if not can(by, PERMISSION[action]):
        if action == A.DELETE:
            return _("Only managers may delete messages on the network.")
        if action == A.BLOCK:
            return _("Only managers may block people on the network.")
        return _("Your role in this workspace does not allow this.")
    if provider is None or capability is None or not provider.supports(capability):
        return _("%(network)s does not let CM Hub do this.") % {"network": network}
    if action == A.BLOCK:
        return _block_refusal(message)
    if message.direction == Message.Direction.OUT:
        # Our own answers: deleted where the network allows it (a comment, a reply under a mention), and
        # nothing else: hiding or privately answering ourselves makes no sense.
        if action != A.DELETE:
            return _("Only comments from other people can be hidden or answered privately.")
        if message.conversation.kind == Conversation.Kind.DIRECT_MESSAGE:
            return _("Direct messages cannot be deleted from CM Hub.")
        if message.replaced_at is not None:
            return _("A later answer replaced this one on the network: delete that one instead.")
        if message.send_status != Message.SendStatus.SENT or not message.external_id:
            return _("This reply has not reached the network.")
    elif not _is_comment(message):
        return _("Only comments under the posts of this channel can be moderated.")
    done = {a.action for a in _actions(message) if a.state == S.DONE}
    if A.DELETE in done:
        return _("This comment was deleted on the network.")
    if action in (A.HIDE, A.UNHIDE) and message.kind == "reply" and not provider.hides_nested_replies:
        return _(
            "%(network)s hides only replies made to the post itself, with the answers under them: hide the "
            "reply this one answers."
        ) % {"network": network}
    if action == A.HIDE and message.hidden:
        return labels(message.channel).already_hidden
    if action == A.UNHIDE and not message.hidden:
        return labels(message.channel).not_hidden
    if action == A.PRIVATE_REPLY:
        if any(a.action == A.PRIVATE_REPLY and a.state != S.FAILED for a in _actions(message)):
            return _("This comment was already answered privately: %(network)s allows one private reply.") % {
                "network": network
            }
        window = provider.private_reply_window
        if window is not None and now - message.created_at > window:
            return _(
                "%(network)s allows a private reply within %(days)s days of the comment; this one is older."
            ) % {"network": network, "days": window.days}
    if message.channel.status == Channel.Status.NEEDS_RECONNECT:
        return _("%(channel)s lost its connection: reconnect it first.") % {"channel": message.channel.name}
    return ""


def _block_refusal(message: Message) -> str:
    """Any message from a person may lead to blocking them (a comment, a mention, a DM), once."""
    if message.direction == Message.Direction.OUT or message.author_contact_id is None:
        return _("Only people writing to this channel can be blocked.")
    if not message.author_contact or not message.author_contact.external_id:
        return _("The network did not say who wrote this message.")
    blocks = [a for a in _actions(message) if a.action == A.BLOCK]
    if any(a.state == S.DONE for a in blocks):
        return _("This person is already blocked.")
    if any(a.state in ModerationAction.PENDING for a in blocks):
        return _("This person is being blocked already.")
    if message.channel.status == Channel.Status.NEEDS_RECONNECT:
        return _("%(channel)s lost its connection: reconnect it first.") % {"channel": message.channel.name}
    return ""


def _capability(message: Message, action: str) -> p.Capability | None:
    if action == A.BLOCK:
        return Capability.BLOCK
    if action in (A.HIDE, A.UNHIDE):
        return Capability.HIDE
    if action == A.PRIVATE_REPLY:
        return Capability.PRIVATE_REPLY
    if action == A.DELETE:
        provider = _provider_class(message.channel)
        own = message.direction == Message.Direction.OUT
        if own and provider is not None and provider.supports(Capability.DELETE_OWN):
            return Capability.DELETE_OWN
        return Capability.DELETE
    return None


def _actions(message: Message) -> list[ModerationAction]:
    """The message's moderation requests, newest first (prefetched by `attach` for a whole thread)."""
    cached = getattr(message, "_moderation_actions", None)
    if cached is None:
        cached = list(message.moderation_actions.order_by("-requested_at", "-pk"))
        message._moderation_actions = cached  # type: ignore[attr-defined]
    return cached


def attach(
    messages: list[Message], *, member: Membership, conversation: Conversation | None = None
) -> list[Message]:
    """Each message's moderation (state and allowed buttons) as `message.moderation`, in one query. With
    the thread's `conversation` (and its channel) in hand, no message reads them again."""
    by_message: dict[int, list[ModerationAction]] = {m.pk: [] for m in messages}
    for message in messages:
        if conversation is not None and message.conversation_id == conversation.pk:
            message.conversation = conversation
            message.channel = conversation.channel
    rows = (
        ModerationAction.objects.filter(message__in=[m.pk for m in messages])
        .select_related("requested_by")  # the thread names who sent each private reply
        .order_by("-requested_at", "-pk")
    )
    for row in rows:
        by_message[row.message_id].append(row)
    now = timezone.now()
    for message in messages:
        message._moderation_actions = by_message.get(message.pk, [])  # type: ignore[attr-defined]
        message.moderation = describe(message, member=member, now=now)  # type: ignore[attr-defined]
    return messages


def describe(message: Message, *, member: Membership, now: dt.datetime | None = None) -> MessageModeration:
    actions = _actions(message)
    pending = [a for a in actions if a.state in ModerationAction.PENDING]
    # Changes of the message itself (hide, show again, delete); private replies and blocks are shown apart.
    changes = [a for a in actions if a.action not in (A.PRIVATE_REPLY, A.BLOCK)]
    blocks = [a for a in actions if a.action == A.BLOCK]
    latest_change = changes[0] if changes else None
    private = next((a for a in actions if a.action == A.PRIVATE_REPLY and a.state != S.FAILED), None)
    failed_private = next((a for a in actions if a.action == A.PRIVATE_REPLY), None)
    last_failed = latest_change if latest_change and latest_change.state == S.FAILED else None
    if private is None and failed_private is not None and failed_private.state == S.FAILED:
        last_failed = last_failed or failed_private
    if blocks and blocks[0].state == S.FAILED and not any(a.state == S.DONE for a in blocks):
        last_failed = last_failed or blocks[0]
    busy = any(a in pending for a in changes)

    def allowed(action: str) -> bool:
        return not busy and not refusal(message=message, action=action, by=member, now=now)

    words = labels(message.channel)
    last_done = next((a for a in changes if a.state == S.DONE), None)
    return MessageModeration(
        words=words,
        done_label=words.of(last_done) if last_done else "",
        failed_label=words.of(last_failed) if last_failed else "",
        hidden_pending=any(a.action in (A.HIDE, A.UNHIDE) for a in pending),
        deleted=any(a.action == A.DELETE and a.state == S.DONE for a in actions),
        deleting=any(a.action == A.DELETE for a in pending),
        private_reply=private,
        last_failed=last_failed,
        last_done=last_done,
        can_hide=allowed(A.HIDE),
        can_unhide=allowed(A.UNHIDE),
        can_delete=allowed(A.DELETE),
        can_reply_privately=private is None
        and not refusal(message=message, action=A.PRIVATE_REPLY, by=member),
        blocked=any(a.state == S.DONE for a in blocks),
        blocking=any(a.state in ModerationAction.PENDING for a in blocks),
        can_block=not refusal(message=message, action=A.BLOCK, by=member, now=now),
    )


# --- Asking ------------------------------------------------------------------------------------------------


def moderation_request(*, message: Message, by: Membership, action: str, text: str = "") -> ModerationAction:
    """Queue `action` on `message` for the network, after checking who asks, what the network allows and
    the comment's own rules (one private reply, within the network's window). Refused with the reason."""
    if action not in A.values:
        raise ModerationError(_("Choose what to do with this message."))
    text = text.strip()
    if action == A.PRIVATE_REPLY:
        _check_private_text(message, text)
    reason = refusal(message=message, action=action, by=by)
    if reason:
        raise ModerationError(reason)
    now = timezone.now()
    try:
        with transaction.atomic():
            row = ModerationAction.objects.create(
                workspace_id=message.workspace_id,
                channel_id=message.channel_id,
                message=message,
                action=action,
                text=text if action == A.PRIVATE_REPLY else "",
                requested_by=by.user,
                requested_at=now,
                next_step_at=now,
                leased_until=now + PIPELINE.lease,  # enqueued now: the dispatcher leaves it alone
            )
            _touch(message.conversation_id, now)
            _enqueue(row.pk)
    except IntegrityError:
        # A colleague's click won the race (the constraints are the guard, not this check).
        if action == A.PRIVATE_REPLY:
            raise ModerationError(_("This comment was already answered privately.")) from None
        raise ModerationError(_("This comment is already being changed on the network.")) from None
    log.info("moderation requested", extra={"action": action, "moderation": row.pk, "message_id": message.pk})
    return row


def _check_private_text(message: Message, text: str) -> None:
    if not text:
        raise ModerationError(_("Write the private reply first."))
    if len(text) > MAX_TEXT_CHARS:
        raise ModerationError(_("This is far too long for any network."))
    provider = _provider_class(message.channel)
    if provider is None:
        return
    limit = provider.text_limit(p.TextKind.PRIVATE_REPLY, server_limits=message.channel.server_limits)
    length = provider.text_length(text)
    if length > limit.max_length:
        raise ModerationError(
            _("The private reply has %(length)s characters; %(network)s allows %(limit)s.")
            % {"length": length, "network": message.channel.get_network_display(), "limit": limit.max_length}
        )


def _touch(conversation_id: int, now: dt.datetime) -> None:
    # The inbox's live updates poll updated_at: every change a teammate should see bumps it.
    Conversation.objects.filter(pk=conversation_id).update(updated_at=now)


def _enqueue(action_id: int) -> None:
    from inbox.moderation_tasks import enqueue_moderation  # the tasks import this module

    enqueue_moderation(action_id)


# --- Doing: one step per task, exactly once ---------------------------------------------------------------


def moderation_process(action_id: int, *, http: httpx.Client | None = None) -> str | None:
    """The next step of one action: read it back if unknown, send it if queued and due. Returns its state."""
    row = _load(action_id)
    if row is None:
        return None
    now = timezone.now()
    if (
        row.state in (S.QUEUED, S.UNKNOWN)
        and row.next_step_at
        and row.next_step_at > now + PIPELINE.tolerance
    ):
        return row.state  # early: a backoff or a rate limit still holds
    if row.state == S.UNKNOWN:
        state = _reconcile(row, http=http)
        if state != S.QUEUED:
            return state
        row = _load(action_id)
        if row is None:
            return None
    if row.state != S.QUEUED or not delivery.claim(PIPELINE, row.pk, now=now):
        return row.state
    return _run(row, http=http)


def _load(action_id: int) -> ModerationAction | None:
    return (
        ModerationAction.objects.select_related("message__conversation", "channel__workspace")
        .filter(pk=action_id)
        .first()
    )


def _run(row: ModerationAction, *, http: httpx.Client | None) -> str:
    client = http or worker_client()
    comment_id = row.message.external_id or ""
    try:
        provider = network_services.provider_with_fresh_token(row.channel, http=client)
    except Exception:
        _settle(row, S.FAILED, error=_("CM Hub could not prepare this action."))  # nothing left our side
        raise
    try:
        external_id = ""
        if row.action in (A.HIDE, A.UNHIDE):
            provider.hide_comment(comment_id=comment_id, hidden=row.action == A.HIDE)
        elif row.action == A.DELETE:
            provider.delete_comment(comment_id=comment_id)
        elif row.action == A.BLOCK:
            contact = row.message.author_contact
            provider.block_author(author_id=contact.external_id if contact else "", comment_id=comment_id)
        else:
            external_id = provider.private_reply(comment_id=comment_id, text=row.text).external_id
    except p.NotFound as exc:
        if row.action == A.DELETE:
            return _done(row)  # gone already (its author deleted it): what was asked is true
        with translation.override(row.channel.workspace.default_language):
            error = _("This comment no longer exists on %(network)s.") % _network(row)
        log.info("moderated comment gone", extra={"moderation": row.pk, "error": str(exc)})
        _settle(row, S.FAILED, error=error, attempt=True)
        return S.FAILED
    except p.ProviderError as exc:
        return _send_failed(row, exc)
    except NotImplementedError:
        _settle(row, S.FAILED, error=_("%(network)s does not let CM Hub do this.") % _network(row))
        return S.FAILED
    except Exception:
        # A bug or the time limit while the request may have left: never guess, read back.
        log.exception("moderation step interrupted", extra={"moderation": row.pk})
        _settle(row, S.UNKNOWN, error=_("Interrupted; checking the network."), attempt=True)
        raise
    return _done(row, external_id=external_id)


def _network(row: ModerationAction) -> dict[str, str]:
    return {"network": str(row.channel.get_network_display())}


def _settle(
    row: ModerationAction,
    state: str,
    *,
    error: str = "",
    due: dt.datetime | None = None,
    attempt: bool = False,
    states: tuple[str, ...] = (S.RUNNING, S.UNKNOWN),
) -> bool:
    """Record a step's outcome, if the action is still where that step left it."""
    now = timezone.now()
    changed = ModerationAction.objects.filter(pk=row.pk, state__in=states).update(
        state=state,
        error=error[:2000],
        next_step_at=due or now,
        leased_until=None,
        attempts=row.attempts + int(attempt),
    )
    if changed:
        row.state, row.error, row.attempts = state, error, row.attempts + int(attempt)
        _touch(row.message.conversation_id, now)
    else:
        log.warning("moderation moved on during a step", extra={"moderation": row.pk, "to": state})
    return bool(changed)


def _done(row: ModerationAction, *, external_id: str = "") -> str:
    now = timezone.now()
    with transaction.atomic():
        changed = ModerationAction.objects.filter(pk=row.pk, state__in=[S.RUNNING, S.UNKNOWN]).update(
            state=S.DONE, error="", done_at=now, leased_until=None, external_id=external_id[:300]
        )
        if not changed:
            return ModerationAction.objects.get(pk=row.pk).state
        if row.action in (A.HIDE, A.UNHIDE):
            Message.objects.filter(pk=row.message_id).update(hidden=row.action == A.HIDE)
        _touch(row.message.conversation_id, now)
    return S.DONE


def _send_failed(row: ModerationAction, exc: p.ProviderError) -> str:
    now = timezone.now()
    decision = delivery.after_send_error(exc, attempts=row.attempts, now=now, policy=POLICY)
    Next = delivery.Next
    workspace = row.channel.workspace
    with translation.override(workspace.default_language):
        if decision.next in (Next.WAIT, Next.RETRY):
            assert decision.due is not None
            error = _("%(network)s asks us to wait; trying again at %(time)s.") % {
                **_network(row),
                "time": dates.clock(decision.due, workspace.timezone),
            }
            _settle(row, S.QUEUED, error=error, due=decision.due, attempt=decision.next is Next.RETRY)
            return S.QUEUED
        if decision.next is Next.AUTH_LOST:
            network_services.channel_auth_lost(channel=row.channel, error=exc)
            error = _("%(channel)s lost its connection: reconnect it, then try again. (%(words)s)") % {
                "channel": row.channel.name,
                "words": decision.words,
            }
            _settle(row, S.FAILED, error=error, attempt=True)
            return S.FAILED
        if decision.next in (Next.GAVE_UP, Next.REFUSED):
            _settle(row, S.FAILED, error=decision.words, attempt=True)
            return S.FAILED
        error = _("%(network)s did not confirm this; checking before anything is sent again.") % _network(row)
        _settle(row, S.UNKNOWN, error=error, due=decision.due, attempt=True)
        return S.UNKNOWN


def _reconcile(row: ModerationAction, *, http: httpx.Client | None) -> str:
    """Settle an unknown outcome by reading the comment back: done, queued again (certainly not applied),
    or failed with a request to look on the network when it cannot tell."""
    client = http or worker_client()
    comment_id = row.message.external_id or ""
    if row.action == A.BLOCK:
        # Blocking an account already blocked is no error: made again rather than read back.
        if row.attempts >= POLICY.max_attempts:
            _settle(row, S.FAILED, error=_("Not done after %(count)s attempts.") % {"count": row.attempts})
            return S.FAILED
        _settle(row, S.QUEUED, states=(S.UNKNOWN,))
        return S.QUEUED
    try:
        state = registry.build_provider(row.channel, http=client).comment_state(comment_id=comment_id)
    except (p.ProviderError, NotImplementedError) as exc:
        return _check_failed(row, exc)
    landed: bool | None
    if row.action == A.DELETE:
        landed = not state.exists
    elif not state.exists:
        landed = None  # the comment is gone: whether our step landed first cannot be told, nor matters much
    elif row.action == A.PRIVATE_REPLY:
        landed = state.private_reply_sent
    else:
        landed = None if state.hidden is None else state.hidden == (row.action == A.HIDE)
    if landed:
        return _done(row)
    if landed is None:
        return _undecidable(row)
    if row.attempts >= POLICY.max_attempts:
        _settle(row, S.FAILED, error=_("Not done after %(count)s attempts.") % {"count": row.attempts})
        return S.FAILED
    _settle(row, S.QUEUED, states=(S.UNKNOWN,))
    return S.QUEUED


def _undecidable(row: ModerationAction) -> str:
    with translation.override(row.channel.workspace.default_language):
        error = _(
            "CM Hub could not tell whether this was done. Look at the comment on %(network)s."
        ) % _network(row)
    _settle(row, S.FAILED, error=error, states=(S.UNKNOWN,))
    return S.FAILED


def _check_failed(row: ModerationAction, exc: Exception) -> str:
    now = timezone.now()
    decision = delivery.after_check_error(exc, attempts=row.attempts, now=now, policy=POLICY)
    if decision.next is delivery.Next.CHECK:
        _settle(row, S.UNKNOWN, error=row.error, due=decision.due, attempt=True, states=(S.UNKNOWN,))
        return S.UNKNOWN
    if decision.next is delivery.Next.AUTH_LOST:
        network_services.channel_auth_lost(channel=row.channel, error=exc)
    return _undecidable(row)


def moderation_dispatch_due(*, now: dt.datetime | None = None) -> list[int]:
    """Actions whose next step is due (a retry, a read-back, a lost enqueue, a dead worker's): leased and
    enqueued on commit; returns their ids."""
    from inbox.moderation_tasks import enqueue_moderation

    return delivery.dispatch_due_to(
        PIPELINE, enqueue=enqueue_moderation, now=now or timezone.now(), batch=DISPATCH_BATCH
    )

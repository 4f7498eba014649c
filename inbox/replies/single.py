"""Threads that hold one answer of ours at most (`Provider.one_reply_per_thread`: a Google review's reply).

There, answering again replaces the first answer on the network, under the same network id. So:
- the composer says the new answer replaces the current one (`current_answer`);
- one answer is on its way at a time (`in_flight_refusal`): two answers racing to the network would leave
  whichever landed last, and the thread could not say which one the public sees;
- once the new answer is sent, the earlier ones are marked replaced (`answers_replace`), in the send's own
  transaction: kept in the thread, struck and dated, their network id passed to the new answer;
- an answer someone gave on the network itself, over ours, comes back from the poll under the id our
  answer holds, with other words: ours is marked replaced and the poll stores theirs
  (`answers_replaced_on_network`).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from inbox.models import Conversation, Message, ModerationAction
from networks import registry
from networks.models import Channel
from networks.providers import base as p

S = Message.SendStatus
#: An answer not settled yet: waiting for a manager, or on its way to the network.
UNSETTLED = (S.PENDING_APPROVAL, S.QUEUED, S.SENDING, S.UNKNOWN)
ON_ITS_WAY = (S.QUEUED, S.SENDING, S.UNKNOWN)


def one_answer(channel: Channel) -> bool:
    """Whether a thread on `channel`'s network holds one answer of ours, a new one replacing it."""
    try:
        return registry.provider_class(channel.network).one_reply_per_thread
    except KeyError:
        return False


def _answers(conversation_id: int):
    return Message.objects.filter(conversation_id=conversation_id, direction=Message.Direction.OUT)


def current_answer(conversation: Conversation) -> Message | None:
    """Our answer the public sees in this thread now: the newest sent, neither replaced nor deleted."""
    deleted = ModerationAction.objects.filter(
        action=ModerationAction.Action.DELETE, state=ModerationAction.State.DONE
    ).values("message_id")
    return (
        _answers(conversation.pk)
        .filter(send_status=S.SENT, replaced_at__isnull=True, deleted_at__isnull=True)
        .exclude(pk__in=deleted)
        .order_by("-sent_at", "-pk")
        .first()
    )


def in_flight_refusal(
    conversation: Conversation, *, statuses: tuple[str, ...] = UNSETTLED, exclude: int | None = None
) -> str:
    """Why another answer may not go now ("" when it may): an earlier one in `statuses` is not settled."""
    if not one_answer(conversation.channel):
        return ""
    waiting = _answers(conversation.pk).filter(send_status__in=statuses)
    if exclude is not None:
        waiting = waiting.exclude(pk=exclude)
    status = waiting.values_list("send_status", flat=True).first()
    if status is None:
        return ""
    network = {"network": conversation.channel.get_network_display()}
    if status == S.PENDING_APPROVAL:
        return (
            _(
                "An answer to this is already waiting for a manager's approval, and %(network)s keeps one "
                "answer only: approve or reject that one first."
            )
            % network
        )
    return (
        _(
            "An answer to this is already on its way, and %(network)s keeps one answer only: wait until it "
            "is sent, then write again to replace it."
        )
        % network
    )


def answers_replace(*, conversation_id: int, by: Message, now: dt.datetime) -> list[int]:
    """Mark replaced every earlier sent answer of the thread, now that `by` is the one the network shows;
    their network id goes to `by` (the caller stores it after this). Returns the ids marked."""
    earlier = list(
        _answers(conversation_id)
        .filter(send_status=S.SENT, replaced_at__isnull=True)
        .exclude(pk=by.pk)
        .values_list("pk", flat=True)
    )
    if earlier:
        Message.objects.filter(pk__in=earlier).update(replaced_at=now, external_id=None)
    return earlier


def is_own_echo(echo: Message, reply: Message) -> bool:
    """Whether `echo`, a message a poll stored under the id our reply was just given, is that reply read
    back (the same words, stored by a poll) rather than the earlier answer it replaces."""
    from_poll = echo.next_step_at is None and echo.author_user_id is None
    return from_poll and p.reply_text_key(echo.text) == p.reply_text_key(reply.text)


def answers_replaced_on_network(
    *, channel: Channel, items: list[p.EngagementItem], now: dt.datetime
) -> set[str]:
    """Where the poll reads an answer of ours back with other words (replaced on the network itself, as a
    Google reply edited there), mark the answer we hold replaced and free its id; returns the ids freed,
    for the caller to store those items as new answers. Runs in the ingest's transaction."""
    if not items or not one_answer(channel):
        return set()
    by_id = {item.external_id: item for item in items}
    ours = Message.objects.filter(
        channel=channel, external_id__in=list(by_id), direction=Message.Direction.OUT, send_status=S.SENT
    ).values_list("pk", "external_id", "text")
    replaced = {
        (pk, external_id)
        for pk, external_id, text in ours
        if external_id and p.reply_text_key(text) != p.reply_text_key(by_id[external_id].text)
    }
    if replaced:
        Message.objects.filter(pk__in=[pk for pk, _id in replaced]).update(replaced_at=now, external_id=None)
    return {external_id for _pk, external_id in replaced if external_id}

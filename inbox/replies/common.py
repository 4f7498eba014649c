"""What the reply modules share: errors, the send outcome, permission checks and the enqueue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.policy import Perm, can
from core.errors import UserError
from inbox.models import Conversation, Message

from .pipeline import DISPATCH_LEASE

PREVIEW_CHARS = 280
MAX_TEXT_CHARS = 65_000  # above every network's limit: a guard against pasted novels, not a rule


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

"""The messaging window of a direct-message conversation: until when the network accepts an answer.

Instagram (and Messenger) take a business's message only within 24 hours of the person's last one; the
provider says how long (`Provider.direct_message_window`, None where there is no window, as on X). The
composer shows when the window closes, and a reply written after it is refused before it is queued, in
words the agent can act on, instead of failing on the network later. The provider checks again when it
sends, from the thread as the network has it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from inbox.models import Conversation
from networks import registry


@dataclass(frozen=True)
class ReplyWindow:
    closes_at: dt.datetime | None  # None: the person never wrote in this thread
    hours: int

    def closed(self, now: dt.datetime) -> bool:
        return self.closes_at is None or now >= self.closes_at


def reply_window(conversation: Conversation) -> ReplyWindow | None:
    """The window of this conversation, or None when an answer can be sent at any time."""
    if conversation.kind != Conversation.Kind.DIRECT_MESSAGE:
        return None
    window = registry.provider_class(conversation.channel.network).direct_message_window
    if window is None:
        return None
    last = conversation.last_inbound_at
    return ReplyWindow(last + window if last else None, int(window.total_seconds() // 3600))


def window_problems(*, conversation: Conversation, now: dt.datetime | None = None) -> list[str]:
    """Why an answer cannot be sent now, in the agent's language; [] while the window is open."""
    window = reply_window(conversation)
    now = now or timezone.now()
    if window is None or not window.closed(now):
        return []
    values = {"network": conversation.channel.get_network_display(), "hours": window.hours}
    if window.closes_at is None:
        return [
            _(
                "%(network)s lets a business answer only within %(hours)s hours of the person's last "
                "message, and they have not written in this conversation. Nothing can be sent."
            )
            % values
        ]
    values["when"] = formats.date_format(timezone.localtime(window.closes_at), "DATETIME_FORMAT")
    return [
        _(
            "%(network)s lets a business answer only within %(hours)s hours of the person's last message: "
            "this conversation's window closed on %(when)s. Nothing can be sent until they write again."
        )
        % values
    ]

"""What the inbox tells the apps above it (the assistant), without knowing them (dependencies point one way).

`messages_stored` is sent once the transaction that stored new messages commits, with their ids: a
receiver sees rows that exist, and a rolled-back poll announces nothing.
"""

from django.dispatch import Signal

# sender=Message class; kwargs: channel_id (int), inbound_ids (list[int]: new messages from the public)
messages_stored = Signal()

# sender=Message class; kwargs: message (the reply just written), suggestion_id (str: what the form said
# the reply started from, unchecked), user. Sent once the reply is saved, so what it started from is known.
reply_written = Signal()

# sender=Conversation class; kwargs: conversation. Sent inside the transaction that changed what the
# reports count about it (a reply reached the network): a receiver rewrites its facts atomically.
conversation_changed = Signal()

# The signals below are sent INSIDE the transaction that records the fact, so a receiver that writes rows
# (outgoing webhooks' outbox) commits with it or rolls back with it: a rolled-back change announces nothing,
# and a committed one is never missed. Receivers must not do slow work here.

# sender=Conversation class; kwargs: workspace_id (int), conversation_ids (list[int]: created by a poll)
conversations_created = Signal()

# sender=Message class; kwargs: workspace_id (int), message_ids (list[int]: new messages a poll stored)
messages_created = Signal()

# sender=Conversation class; kwargs: workspace_id (int), conversation_ids (list[int]), changed (list[str]:
# what a person changed: "status", "assignee", "priority", "labels")
conversations_updated = Signal()

# sender=Message class; kwargs: message (Message: the reply, as stored), status ("sent" or "failed").
reply_settled = Signal()

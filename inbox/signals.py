"""What the inbox tells the apps above it (the assistant), without knowing them (dependencies point one way).

`messages_stored` is sent once the transaction that stored new messages commits, with their ids: a
receiver sees rows that exist, and a rolled-back poll announces nothing.
"""

from django.dispatch import Signal

# sender=Message class; kwargs: channel_id (int), inbound_ids (list[int]: new messages from the public)
messages_stored = Signal()

# sender=Message class; kwargs: inbound_ids (list[int]: messages from the public whose words or stars the
# network says changed). Sent once the edit commits: what the assistant made of the old words (a 2-star
# complaint raised to 4 stars) is made again.
messages_reworded = Signal()

# sender=Message class; kwargs: message (the reply just written), suggestion_id (str: what the form said
# the reply started from, unchecked), user. Sent once the reply is saved, so what it started from is known.
reply_written = Signal()

# sender=Conversation class; kwargs: conversation, by_user_id (who made the change, None for the system).
# Sent inside the transaction that changed what the reports count about it (a reply reached the network,
# a status changed): a receiver rewrites its facts atomically.
conversation_changed = Signal()

# sender=Conversation class; kwargs: conversation_ids (list[int]), by_user_id (int | None: who made the
# change). The same for a change of many at once (a bulk status change): sent once with every id, never
# once per conversation, so a receiver can do its work in a fixed number of queries.
conversations_changed = Signal()

# sender=Conversation class; kwargs: reopened (dict[int, datetime]: conversation id -> when it was reopened),
# user_id (int | None: the person who reopened them; None when the customer wrote again or the assistant
# handed the thread back). Sent inside the transaction that reopened them: a resolved conversation set open
# again, or a pending or resolved one that a new inbound message put back in the queue. The inbox keeps no
# status history, so this is the only moment a reopen can be recorded.
conversations_reopened = Signal()

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

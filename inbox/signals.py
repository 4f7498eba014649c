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

# sender=Conversation class; kwargs: conversation, by_user_id (who made the change, None for the system).
# Sent inside the transaction that changed what the reports count about it (a reply reached the network,
# a status changed): a receiver rewrites its facts atomically.
conversation_changed = Signal()

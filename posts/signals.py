"""What posts tell the apps above them (outgoing webhooks), without knowing them.

Both are sent INSIDE the transaction that records the fact: a receiver's rows commit or roll back with it.
"""

from django.dispatch import Signal

# sender=Post class; kwargs: post (Post, now approved)
post_approved = Signal()

# sender=PostTarget class; kwargs: target_id (int), post_id (int), workspace_id (int), status ("published",
# "failed" or "missed"): one channel's copy of a post reached its end.
target_settled = Signal()

"""The posts' queue in the navigation (core/waiting.py): posts that wait for this reviewer."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import Membership
from accounts.policy import Perm, can
from posts import selectors
from posts.models import Post, Review


def posts_awaiting_my_review(member: Membership) -> QuerySet[Post] | None:
    """In review, not theirs (someone else approves an author's post) and not already approved by them on
    this version (a second approval is someone else's); None for a role that reviews none."""
    if not can(member, Perm.APPROVE_POSTS):
        return None
    mine = Review.objects.filter(
        post=OuterRef("pk"), reviewer_id=member.user_id, decision=Review.Decision.APPROVE, current=True
    )
    return (
        selectors.posts_awaiting_review(member)
        .exclude(author_id=member.user_id)
        .exclude(Exists(mine))
        .select_related(None)
    )

"""Managers' approvals and change requests."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import AuditAction
from accounts.models import Membership
from accounts.policy import Perm
from posts.models import (
    Post,
    Review,
)
from posts.signals import post_approved
from posts.states import IllegalTransition

from .common import P, PostError, _audit, _event, _lock, _move, _require
from .compose import _drop_approvals
from .notify import _notify_author


def _reviewable(post: Post, by: Membership) -> Post:
    _require(by, Perm.APPROVE_POSTS, post)
    if post.author_id is not None and post.author_id == by.user_id:
        raise PostError(_("Someone else must approve your own post."))
    locked = _lock(post)
    if locked.status != P.IN_REVIEW:
        raise IllegalTransition(_("This post is not waiting for review."))
    return locked


@transaction.atomic
def review_approve(*, post: Post, by: Membership, comment: str = "") -> Post:
    """One approval; the post is approved once it has as many distinct approvers as its policy asks."""
    post = _reviewable(post, by)
    if Review.objects.filter(post=post, reviewer=by.user, decision="approve", current=True).exists():
        raise PostError(_("You already approved this post; another person must approve it too."))
    Review.objects.create(post=post, reviewer=by.user, decision=Review.Decision.APPROVE, comment=comment)
    _event(post, "approved", by=by.user, detail=comment)
    approvals = Review.objects.filter(post=post, decision="approve", current=True).count()
    if approvals >= post.approvals_required:
        _move(post, P.APPROVED)
        post_approved.send(sender=Post, post=post)
        transaction.on_commit(lambda: _notify_author(post.pk, approved=True, comment=comment))
    _audit(
        post,
        AuditAction.POST_APPROVED,
        by=by,
        before={"status": P.IN_REVIEW, "approvals": approvals - 1},
        after={"status": post.status, "approvals": approvals, "comment": comment or None},
    )
    return post


@transaction.atomic
def review_request_changes(*, post: Post, by: Membership, comment: str) -> Post:
    comment = comment.strip()
    if not comment:
        raise PostError(_("Say what to change, so the author can fix it."))
    post = _reviewable(post, by)
    _drop_approvals(post)
    Review.objects.create(
        post=post, reviewer=by.user, decision=Review.Decision.REQUEST_CHANGES, comment=comment
    )
    _move(post, P.CHANGES_REQUESTED)
    _event(post, "changes_requested", by=by.user, detail=comment)
    _audit(
        post,
        AuditAction.POST_REJECTED,
        by=by,
        before={"status": P.IN_REVIEW},
        after={"status": post.status, "comment": comment},
    )
    transaction.on_commit(lambda: _notify_author(post.pk, approved=False, comment=comment))
    return post

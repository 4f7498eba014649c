"""Who hears about a post: reviewers, its author, and the team when a publish fails."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from accounts.policy import Perm, permissions_for
from core.mail import email_send
from notifications.models import Notification
from notifications.services import notification_send
from posts.models import (
    Post,
    PostTarget,
)

from .common import T


def _notify_reviewers(post_id: int) -> None:
    post = Post.objects.select_related("workspace").filter(pk=post_id).first()
    if post is None:
        return
    roles = [role for role in Membership.Role.values if Perm.APPROVE_POSTS in permissions_for(role)]
    reviewers = list(
        User.objects.filter(
            memberships__workspace=post.workspace, memberships__role__in=roles, is_active=True
        ).exclude(pk=post.author_id)
    )
    notification_send(
        recipients=reviewers,
        workspace=post.workspace,
        kind=Notification.Kind.REVIEW_REQUESTED,
        url=_post_url(post),
        text=lambda: _("“%(post)s” is ready for review.") % {"post": str(post)},
    )
    for reviewer in reviewers:
        with translation.override(reviewer.language or post.workspace.default_language):
            subject = _("A post waits for your review in %(workspace)s") % {"workspace": post.workspace.name}
            body = _("“%(post)s” is ready for review.") % {"post": str(post)}
        email_send(subject=subject, body=body, to=[reviewer.email])


def _notify_author(post_id: int, *, approved: bool, comment: str) -> None:
    post = Post.objects.select_related("workspace", "author").filter(pk=post_id).first()
    if post is None or post.author is None:
        return
    notification_send(
        recipients=[post.author],
        workspace=post.workspace,
        kind=Notification.Kind.POST_APPROVED if approved else Notification.Kind.CHANGES_REQUESTED,
        url=_post_url(post),
        text=lambda: (
            (
                _("Your post “%(post)s” was approved")
                if approved
                else _("Changes requested on your post “%(post)s”")
            )
            % {"post": str(post)}
        ),
    )
    with translation.override(post.author.language or post.workspace.default_language):
        if approved:
            subject = _("Your post “%(post)s” was approved") % {"post": str(post)}
        else:
            subject = _("Changes requested on your post “%(post)s”") % {"post": str(post)}
        body = comment or subject
    email_send(subject=subject, body=body, to=[post.author.email])


def _post_url(post: Post) -> str:
    return reverse("post_detail", args=[post.workspace.slug, post.pk])


def _notify_failed(target_id: int) -> None:
    """The author hears that the post did not go out on one channel, refused or missed (once each:
    `_settle` moves a target there once)."""
    target = (
        PostTarget.objects.select_related("post__workspace", "post__author", "channel")
        .filter(pk=target_id, status__in=[T.FAILED, T.MISSED])
        .first()
    )
    if target is None or target.post.author is None:
        return
    post = target.post
    notification_send(
        recipients=[post.author],
        workspace=post.workspace,
        kind=Notification.Kind.POST_FAILED,
        url=_post_url(post),
        text=lambda: (
            _("“%(post)s” could not be published on %(channel)s.")
            % {"post": str(post), "channel": target.channel.name}
        ),
    )

"""What every part of post writing shares: the error, permission checks, events, locks and state moves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import AuditAction, audit_record
from accounts.models import Membership, User, Workspace
from accounts.policy import Perm, can
from core.errors import UserError
from networks.models import Channel
from posts import states
from posts.models import (
    MediaAsset,
    Post,
    PostEvent,
    PostMedia,
    PostTarget,
    PublishingPolicy,
)

P = Post.Status
T = PostTarget.Status


class PostError(UserError):
    """A refused post action, in plain words for the person who tried it."""

    def __init__(self, message: str, *, problems: dict[str, list[str]] | None = None):
        super().__init__(message)
        #: Per channel name, what its network would refuse (post_submit).
        self.problems = problems or {}


def _require(member: Membership, perm: Perm, post: Post | MediaAsset) -> None:
    if member.workspace_id != post.workspace_id:
        raise PostError(_("This belongs to another workspace."))
    if not can(member, perm):
        raise PostError(_("Your role in this workspace does not allow this."))


def _event(post: Post, action: str, *, by: User | None = None, target=None, detail: str = "") -> None:
    PostEvent.objects.create(post=post, actor=by, target=target, action=action, detail=detail[:2000])


def _audit(post: Post, action: AuditAction, *, by: Membership, before: dict, after: dict) -> None:
    audit_record(
        workspace=post.workspace_id, action=action, target=post, actor=by, before=before, after=after
    )


def _lock(post: Post) -> Post:
    return Post.objects.select_for_update().get(pk=post.pk)


def _move(post: Post, new: str, *, fields: Iterable[str] = ()) -> None:
    """Move a locked post, the state machine permitting."""
    states.check_post(post.status, new)
    post.status = new
    post.updated_at = timezone.now()
    post.save(update_fields=["status", "updated_at", *fields])


def _grace(workspace: Workspace) -> dt.timedelta:
    """The workspace's grace period, from its policy when loaded with it (select_related) or stored."""
    try:
        policy = workspace.publishing_policy
    except PublishingPolicy.DoesNotExist:
        policy = PublishingPolicy(workspace=workspace)
    return dt.timedelta(minutes=policy.missed_grace_minutes)


def _policy(workspace_id: int) -> PublishingPolicy:
    policy = PublishingPolicy.objects.filter(workspace_id=workspace_id).first()
    return policy or PublishingPolicy(workspace_id=workspace_id)


def _channels(member: Membership, channels: Iterable[Channel]) -> list[Channel]:
    channels = list(channels)
    if any(c.workspace_id != member.workspace_id for c in channels):
        raise PostError(_("This belongs to another workspace."))
    if not channels:
        raise PostError(_("Choose at least one channel."))
    from networks import registry

    for channel in channels:
        provider = registry.provider_class(channel.network)
        if not (provider.supports_text_posts or provider.supports_image_posts):
            # The composer does not offer it; the API and older drafts may still name it (YouTube).
            raise PostError(str(provider.no_posts_words) % {"network": channel.get_network_display()})
    return channels


def _aware(when: dt.datetime) -> dt.datetime:
    if timezone.is_naive(when):
        raise PostError(_("A publication time needs its time zone."))
    return when


def _set_media(post: Post, assets: Iterable[MediaAsset]) -> None:
    PostMedia.objects.filter(post=post).delete()
    for position, asset in enumerate(assets):
        if asset.workspace_id != post.workspace_id:
            raise PostError(_("This belongs to another workspace."))
        PostMedia.objects.create(post=post, asset=asset, position=position)


def _media_ids(post: Post) -> list[tuple[int, str]]:
    return list(PostMedia.objects.filter(post=post).order_by("position", "pk").values_list("asset_id", "fit"))


def _content(post: Post) -> tuple:
    """What an approval covers: the words, per-network words, and the pictures."""
    overrides = sorted(PostTarget.objects.filter(post=post).values_list("channel_id", "text_override"))
    return (post.text, tuple(overrides), tuple(_media_ids(post)))

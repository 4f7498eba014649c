"""Reads for posts, always scoped to the member's workspace: another workspace's id answers 404."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Membership
from networks.models import Channel
from posts.models import MediaAsset, Post, PostTarget


def get_post_for_member(member: Membership, pk: int) -> Post:
    return get_object_or_404(
        Post.objects.select_related("workspace", "author"), pk=pk, workspace_id=member.workspace_id
    )


def get_target_for_member(member: Membership, pk: int) -> PostTarget:
    return get_object_or_404(
        PostTarget.objects.select_related("post", "channel"), pk=pk, post__workspace_id=member.workspace_id
    )


def get_asset_for_member(member: Membership, pk: int) -> MediaAsset:
    return get_object_or_404(MediaAsset, pk=pk, workspace_id=member.workspace_id)


def posts_in_range(member: Membership, start: dt.datetime, end: dt.datetime) -> QuerySet[Post]:
    """The calendar: posts scheduled in [start, end), their targets' channels fetched with them."""
    return (
        Post.objects.filter(workspace_id=member.workspace_id, scheduled_at__gte=start, scheduled_at__lt=end)
        .select_related("author")
        .prefetch_related("targets__channel")
        .order_by("scheduled_at", "pk")
    )


def posts_awaiting_review(member: Membership) -> QuerySet[Post]:
    return (
        Post.objects.filter(workspace_id=member.workspace_id, status=Post.Status.IN_REVIEW)
        .select_related("author")
        .order_by("updated_at")
    )


def channels_for_member(member: Membership) -> QuerySet[Channel]:
    """The workspace's channels, in the order the composer and the filters list them."""
    return Channel.objects.filter(workspace_id=member.workspace_id).order_by("network", "name")


def publishing_channels_for_member(member: Membership) -> QuerySet[Channel]:
    """The channels a post can go to: those of networks CM Hub publishes on (not YouTube, not a Google
    Business Profile place)."""
    from networks import registry

    return channels_for_member(member).filter(
        network__in=[n for n in registry.SPECS if registry.publishes(n)]
    )


def channels_without_posts(member: Membership) -> list[tuple[Channel, str]]:
    """The workspace's channels a post cannot go to, each with why, in plain words (the composer says
    so where a person looks for them)."""
    from networks import registry

    out = []
    for channel in channels_for_member(member).exclude(
        network__in=[n for n in registry.SPECS if registry.publishes(n)]
    ):
        words = registry.provider_class(channel.network).no_posts_words
        out.append((channel, str(words) % {"network": channel.get_network_display()} if words else ""))
    return out

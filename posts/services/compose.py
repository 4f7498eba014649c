"""Creating and editing posts, and submitting them for review."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.policy import Perm, can
from core.http import make_client
from networks import registry
from networks.models import Channel
from networks.providers import limits
from posts import media as media_lib
from posts import states
from posts.models import (
    MediaAsset,
    Post,
    PostTarget,
    Review,
)
from posts.states import IllegalTransition

from .common import (
    P,
    PostError,
    T,
    _aware,
    _channels,
    _content,
    _event,
    _lock,
    _move,
    _policy,
    _require,
    _set_media,
)
from .media import _media_files
from .notify import _notify_reviewers


@transaction.atomic
def post_create(
    *,
    author: Membership,
    text: str,
    channels: Iterable[Channel],
    title: str = "",
    campaign: str = "",
    overrides: dict[int, str] | None = None,
    media: Iterable[MediaAsset] = (),
    scheduled_at: dt.datetime | None = None,
) -> Post:
    """A draft with one target per channel (its own words where `overrides` has some)."""
    if not can(author, Perm.DRAFT_POSTS):
        raise PostError(_("Your role in this workspace does not allow this."))
    channels = _channels(author, channels)
    post = Post.objects.create(
        workspace_id=author.workspace_id,
        author=author.user,
        title=title.strip()[:200],
        text=text.strip(),
        campaign=campaign.strip()[:100],
        scheduled_at=_aware(scheduled_at) if scheduled_at else None,
        approvals_required=_policy(author.workspace_id).approvals_required,
    )
    overrides = overrides or {}
    PostTarget.objects.bulk_create(
        PostTarget(post=post, channel=c, text_override=overrides.get(c.pk, "").strip()) for c in channels
    )
    _set_media(post, media)
    _event(post, "created", by=author.user)
    return post


def _drop_approvals(post: Post) -> int:
    return Review.objects.filter(post=post, current=True).update(current=False)


@transaction.atomic
def post_update(
    *,
    post: Post,
    by: Membership,
    text: str | None = None,
    title: str | None = None,
    campaign: str | None = None,
    overrides: dict[int, str] | None = None,
    channels: Iterable[Channel] | None = None,
    media: Iterable[MediaAsset] | None = None,
) -> Post:
    """Edit a post not yet publishing. Changing what an approval covers (words, media, channels) sends an
    approved or scheduled post back to review, its approvals dropped."""
    _require(by, Perm.DRAFT_POSTS, post)
    post = _lock(post)
    if post.status not in states.EDITABLE:
        raise IllegalTransition(_("A post that is %(status)s cannot be edited.") % {"status": post.status})
    before = _content(post)
    before_channels = set(post.targets.values_list("channel_id", flat=True))
    if title is not None:
        post.title = title.strip()[:200]
    if campaign is not None:
        post.campaign = campaign.strip()[:100]
    if text is not None:
        post.text = text.strip()
    post.updated_at = timezone.now()
    post.save(update_fields=["title", "campaign", "text", "updated_at"])
    if channels is not None:
        wanted = {c.pk: c for c in _channels(by, channels)}
        post.targets.exclude(channel_id__in=wanted).delete()
        for channel in wanted.values():
            PostTarget.objects.get_or_create(post=post, channel=channel)
    if overrides is not None:
        for target in post.targets.all():
            target.text_override = overrides.get(target.channel_id, "").strip()
            target.save(update_fields=["text_override"])
    if media is not None:
        _set_media(post, media)
    changed = _content(post) != before or set(post.targets.values_list("channel_id", flat=True)) != (
        before_channels
    )
    _event(post, "edited", by=by.user)
    if changed and post.status in (P.APPROVED, P.SCHEDULED):
        _back_to_review(post, by)
    elif changed and post.status == P.IN_REVIEW:
        _drop_approvals(post)  # the reviewers approved other words
    return post


def _back_to_review(post: Post, by: Membership) -> None:
    dropped = _drop_approvals(post)
    post.targets.filter(status=T.SCHEDULED).update(status=T.PENDING, next_attempt_at=None)
    _move(post, P.IN_REVIEW)
    _event(post, "back_to_review", by=by.user, detail=f"{dropped} approval(s) dropped")
    transaction.on_commit(lambda: _notify_reviewers(post.pk))


def post_problems(post: Post) -> dict[str, list[str]]:
    """Per channel, what its network would refuse in this post (text and media adapted to it)."""
    problems: dict[str, list[str]] = {}
    with make_client() as http:
        for target in post.targets.select_related("channel", "post"):
            channel = target.channel
            provider = registry.build_provider(channel, http=http)
            try:
                files = _media_files(post, channel.network, public=False)
            except media_lib.MediaRejected as exc:
                problems[channel.name] = [exc.render(_)]
                continue
            found = provider.validate_text(target.text) + provider.validate_media(files)
            if not files:
                found = limits.check_not_blank(target.text) + found
            if found:
                problems[channel.name] = list(dict.fromkeys(found))
    return problems


def post_submit(*, post: Post, by: Membership) -> Post:
    """Send a draft for review, once every network would accept its version of the post."""
    _require(by, Perm.DRAFT_POSTS, post)
    problems = post_problems(post)
    if problems:
        lines = [f"{name}: {' '.join(found)}" for name, found in problems.items()]
        raise PostError("\n".join(lines), problems=problems)
    with transaction.atomic():
        post = _lock(post)
        _move(post, P.IN_REVIEW)
        _event(post, "submitted", by=by.user)
        transaction.on_commit(lambda: _notify_reviewers(post.pk))
    return post

"""When a post goes out: scheduling, rescheduling, cancelling, duplicating, retrying a target."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import AuditAction
from accounts.models import Membership
from accounts.policy import Perm
from posts import states
from posts.models import (
    MediaAsset,
    Post,
    PostMedia,
    PostTarget,
)
from posts.states import IllegalTransition

from .common import P, PostError, T, _audit, _aware, _event, _lock, _move, _require
from .compose import post_create, post_update


def scheduled_at_from_local(*, workspace_timezone: str, local: dt.datetime) -> dt.datetime:
    """The instant a wall-clock time in the workspace's zone names. A time skipped by a spring-forward
    change (02:30 in Paris on that Sunday) is read with the offset before the change, so it lands on the
    same instant as the first valid time after the gap plus the gap's remainder (03:30 local); an hour
    repeated in autumn is the first one. Stored in UTC, always."""
    naive = local.replace(tzinfo=None)
    aware = naive.replace(tzinfo=zoneinfo.ZoneInfo(workspace_timezone or "UTC"), fold=0)
    return aware.astimezone(dt.UTC)


def _future(when: dt.datetime) -> dt.datetime:
    _aware(when)
    if when <= timezone.now():
        raise PostError(_("Choose a time in the future."))
    return when


@transaction.atomic
def post_schedule(*, post: Post, by: Membership, scheduled_at: dt.datetime) -> Post:
    """approved -> scheduled: each target becomes due at `scheduled_at` (an aware instant; the workspace's
    time zone is only how it is shown)."""
    _require(by, Perm.DRAFT_POSTS, post)
    _future(scheduled_at)
    post = _lock(post)
    before = {"status": post.status, "scheduled_at": post.scheduled_at}
    post.scheduled_at = scheduled_at
    _move(post, P.SCHEDULED, fields=["scheduled_at"])
    for target in post.targets.filter(status=T.PENDING):
        states.check_target(target.status, T.SCHEDULED)
    post.targets.filter(status=T.PENDING).update(status=T.SCHEDULED, next_attempt_at=scheduled_at, error="")
    _event(post, "scheduled", by=by.user, detail=scheduled_at.isoformat())
    _audit(post, AuditAction.POST_SCHEDULED, by=by, before=before, after=_schedule_state(post))
    return post


def _schedule_state(post: Post) -> dict:
    return {"status": post.status, "scheduled_at": post.scheduled_at}


@transaction.atomic
def post_reschedule(
    *,
    post: Post,
    by: Membership,
    scheduled_at: dt.datetime,
    text: str | None = None,
    overrides: dict[int, str] | None = None,
    media: Iterable[MediaAsset] | None = None,
) -> Post:
    """A new time. The approval is kept when words and media are unchanged; otherwise the post goes back
    to review (and is scheduled again once approved)."""
    _require(by, Perm.DRAFT_POSTS, post)
    _future(scheduled_at)
    if text is not None or overrides is not None or media is not None:  # a move alone edits nothing
        post = post_update(post=post, by=by, text=text, overrides=overrides, media=media)
    post = _lock(post)
    if post.targets.filter(status__in=[T.PUBLISHING, T.PUBLISHED, T.UNKNOWN]).exists():
        raise PostError(_("It is being published: it can no longer be moved."))
    before = _schedule_state(post)
    post.scheduled_at = scheduled_at
    post.save(update_fields=["scheduled_at"])
    if post.status == P.SCHEDULED:
        _move(post, P.SCHEDULED)
        post.targets.filter(status=T.SCHEDULED).update(next_attempt_at=scheduled_at)
    _event(post, "rescheduled", by=by.user, detail=scheduled_at.isoformat())
    _audit(post, AuditAction.POST_SCHEDULED, by=by, before=before, after=_schedule_state(post))
    return post


@transaction.atomic
def post_cancel(*, post: Post, by: Membership) -> Post:
    _require(by, Perm.DRAFT_POSTS, post)
    post = _lock(post)
    before = _schedule_state(post)
    _move(post, P.CANCELLED)
    post.targets.filter(status__in=[T.PENDING, T.SCHEDULED]).update(status=T.CANCELLED, next_attempt_at=None)
    _event(post, "cancelled", by=by.user)
    _audit(post, AuditAction.POST_CANCELLED, by=by, before=before, after=_schedule_state(post))
    return post


@transaction.atomic
def post_duplicate(*, post: Post, by: Membership) -> Post:
    """A new draft with the same words, channels and media (never the reviews or the schedule)."""
    _require(by, Perm.DRAFT_POSTS, post)
    targets = list(post.targets.select_related("channel"))
    copy = post_create(
        author=by,
        text=post.text,
        channels=[t.channel for t in targets],
        title=post.title,
        campaign=post.campaign,
        overrides={t.channel_id: t.text_override for t in targets},
    )
    for item in PostMedia.objects.filter(post=post):
        PostMedia.objects.create(post=copy, asset_id=item.asset_id, position=item.position, fit=item.fit)
    _event(copy, "duplicated", by=by.user, detail=f"from #{post.pk}")
    return copy


@transaction.atomic
def target_retry(*, target: PostTarget, by: Membership) -> PostTarget:
    """Publish a failed target again, now (after a reconnect, a fix on the network...)."""
    _require(by, Perm.DRAFT_POSTS, target.post)
    locked = PostTarget.objects.select_for_update().get(pk=target.pk)
    if locked.status != T.FAILED:
        raise IllegalTransition(_("Only a target that failed can be published again."))
    states.check_target(locked.status, T.SCHEDULED)
    locked.status, locked.attempts, locked.error, locked.failure_cause = T.SCHEDULED, 0, "", ""
    locked.next_attempt_at = timezone.now()
    locked.save(update_fields=["status", "attempts", "error", "failure_cause", "next_attempt_at"])
    post = _lock(locked.post)
    if post.status != P.PUBLISHING:
        _move(post, P.PUBLISHING)
    _event(post, "retry", by=by.user, target=locked)
    return locked

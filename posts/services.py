"""Writes for posts: composing, reviewing, scheduling, and publishing each target exactly once.

Publishing follows the reply pipeline (`inbox.replies`): the beat's `posts_dispatch_due` finds due targets
and leases them (pushes `next_attempt_at` forward) so the next tick does not enqueue them again; the task
claims a target with a conditional UPDATE (`scheduled -> publishing`) whose row count says which worker
publishes; a publish whose outcome is unknown (`Ambiguous`, a worker killed mid-request) is read back from
the channel (`Provider.find_post`) before anything is sent again. The database is the schedule: retries set
`next_attempt_at` and the beat picks them up; no long ETA is ever handed to the broker.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import zoneinfo
from collections.abc import Iterable

import httpx
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership, User, Workspace
from accounts.policy import Perm, can, permissions_for
from core import dates, delivery
from core.errors import UserError
from core.http import make_client, worker_client
from core.mail import email_send
from core.signed_media import signed_media_url
from networks import registry
from networks import services as network_services
from networks.models import Channel
from networks.providers import base as p
from networks.providers import limits
from notifications.models import Notification
from notifications.services import notification_send
from posts import media as media_lib
from posts import states
from posts.models import (
    MediaAsset,
    Post,
    PostEvent,
    PostMedia,
    PostTarget,
    PublishingPolicy,
    Rendition,
    Review,
)
from posts.states import IllegalTransition

log = logging.getLogger(__name__)

P = Post.Status
T = PostTarget.Status

DISPATCH_LEASE = dt.timedelta(minutes=2)  # an enqueue lost on the way is dispatched again after this
# Every task that runs publish steps (publish_target, and publish_targets for a burst's chunk) is killed at
# this hard limit, so no step lives longer: a target still "publishing" a margin past it (clock skew between
# machines, a slow database) lost its worker. A longer timer only makes a crash's recovery late: each
# target claimed by a killed worker waits this long before it is read back.
STEP_TIME_LIMIT = 120  # seconds
PUBLISHING_STALE = dt.timedelta(seconds=STEP_TIME_LIMIT + 30)
RECONCILE_DELAY = dt.timedelta(seconds=15)  # let the network index a post before reading it back
DUE_TOLERANCE = dt.timedelta(seconds=5)  # a task arriving a little early (clock skew) still publishes
DISPATCH_BATCH = 500
BURST_SIZE = 20  # more targets than this due in one dispatch batch: enqueued in chunks per channel
PUBLISH_CHUNK = 10  # targets per task in a burst; each publish is bounded by the HTTP timeouts
DISPATCH_BUDGET = 20.0  # seconds one dispatch tick may spend enqueuing (its soft time limit is 30)
SIGNED_URL_SECONDS = 3600

POLICY = delivery.Policy(
    max_attempts=5,
    max_checks=6,
    backoff_base=dt.timedelta(seconds=30),
    backoff_cap=dt.timedelta(minutes=10),
    reconcile_delay=RECONCILE_DELAY,
)
MAX_ATTEMPTS = POLICY.max_attempts
PIPELINE = delivery.Pipeline(
    model=PostTarget,
    policy=POLICY,
    status="status",
    due="next_attempt_at",
    attempts="attempts",
    waiting=T.SCHEDULED,
    in_flight=T.PUBLISHING,
    unknown=T.UNKNOWN,
    stale_after=PUBLISHING_STALE,
    lease=DISPATCH_LEASE,
    tolerance=DUE_TOLERANCE,
)


class PostError(UserError):
    """A refused post action, in plain words for the person who tried it."""

    def __init__(self, message: str, *, problems: dict[str, list[str]] | None = None):
        super().__init__(message)
        #: Per channel name, what its network would refuse (post_submit).
        self.problems = problems or {}


# --- Helpers -----------------------------------------------------------------------------------------------


def _require(member: Membership, perm: Perm, post: Post | MediaAsset) -> None:
    if member.workspace_id != post.workspace_id:
        raise PostError(_("This belongs to another workspace."))
    if not can(member, perm):
        raise PostError(_("Your role in this workspace does not allow this."))


def _event(post: Post, action: str, *, by: User | None = None, target=None, detail: str = "") -> None:
    PostEvent.objects.create(post=post, actor=by, target=target, action=action, detail=detail[:2000])


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


# --- Media -------------------------------------------------------------------------------------------------


def media_upload(*, member: Membership, name: str, data: bytes, alt_text: str = "") -> MediaAsset:
    """Store an image once checked (media.inspect_upload); MediaRejected says what is wrong with it."""
    if not can(member, Perm.DRAFT_POSTS):
        raise PostError(_("Your role in this workspace does not allow this."))
    info = media_lib.inspect_upload(data, max_bytes=settings.POST_MEDIA_MAX_BYTES)
    asset = MediaAsset(
        workspace_id=member.workspace_id,
        alt_text=alt_text[:1000],
        format=info.format,
        mime=info.mime,
        width=info.width,
        height=info.height,
        frames=info.frames,
        has_alpha=info.has_alpha,
        uploaded_by=member.user,
    )
    extension = {"JPEG": "jpg"}.get(info.format, info.format.lower() or "bin")
    asset.upload.save(f"{name.rsplit('.', 1)[0][:80] or 'image'}.{extension}", ContentFile(data), save=False)
    asset.save()
    return asset


def rendition_for(asset: MediaAsset, network: str, fit: str = Rendition.Fit.CROP) -> Rendition:
    """The stored rendition of `asset` for `network`, made once (media.make_rendition) and reused."""
    found = Rendition.objects.filter(asset=asset, network=network, fit=fit).first()
    if found is not None:
        return found
    with asset.upload.open("rb") as handle:
        data = handle.read()
    made = media_lib.make_rendition(data, network=network, fit=fit)
    rendition = Rendition(
        asset=asset, network=network, fit=fit, width=made.width, height=made.height, mime=made.mime
    )
    extension = "png" if made.format == "PNG" else "gif" if made.format == "GIF" else "jpg"
    rendition.file.save(f"{asset.pk}-{network}-{fit}.{extension}", ContentFile(made.content), save=False)
    try:
        with transaction.atomic():
            rendition.save()
    except Exception:  # two workers made it at once: keep theirs
        default_storage.delete(rendition.file.name)
        return Rendition.objects.get(asset=asset, network=network, fit=fit)
    return rendition


def _media_files(post: Post, network: str, *, public: bool) -> list[p.MediaFile]:
    files = []
    for item in PostMedia.objects.filter(post=post).select_related("asset").order_by("position", "pk"):
        rendition = rendition_for(item.asset, network, item.fit)
        with rendition.file.open("rb") as handle:
            content = handle.read()
        url = signed_media_url(rendition.file.name, max_age=SIGNED_URL_SECONDS) if public else ""
        files.append(p.MediaFile(content, rendition.mime, public_url=url, alt_text=item.asset.alt_text))
    return files


# --- Composing ---------------------------------------------------------------------------------------------


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


# --- Reviews -----------------------------------------------------------------------------------------------


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
        transaction.on_commit(lambda: _notify_author(post.pk, approved=True, comment=comment))
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
    transaction.on_commit(lambda: _notify_author(post.pk, approved=False, comment=comment))
    return post


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


# --- Scheduling --------------------------------------------------------------------------------------------


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
    post.scheduled_at = scheduled_at
    _move(post, P.SCHEDULED, fields=["scheduled_at"])
    for target in post.targets.filter(status=T.PENDING):
        states.check_target(target.status, T.SCHEDULED)
    post.targets.filter(status=T.PENDING).update(status=T.SCHEDULED, next_attempt_at=scheduled_at, error="")
    _event(post, "scheduled", by=by.user, detail=scheduled_at.isoformat())
    return post


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
    post.scheduled_at = scheduled_at
    post.save(update_fields=["scheduled_at"])
    if post.status == P.SCHEDULED:
        _move(post, P.SCHEDULED)
        post.targets.filter(status=T.SCHEDULED).update(next_attempt_at=scheduled_at)
    _event(post, "rescheduled", by=by.user, detail=scheduled_at.isoformat())
    return post


@transaction.atomic
def post_cancel(*, post: Post, by: Membership) -> Post:
    _require(by, Perm.DRAFT_POSTS, post)
    post = _lock(post)
    _move(post, P.CANCELLED)
    post.targets.filter(status__in=[T.PENDING, T.SCHEDULED]).update(status=T.CANCELLED, next_attempt_at=None)
    _event(post, "cancelled", by=by.user)
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
    locked.status, locked.attempts, locked.error = T.SCHEDULED, 0, ""
    locked.next_attempt_at = timezone.now()
    locked.save(update_fields=["status", "attempts", "error", "next_attempt_at"])
    post = _lock(locked.post)
    if post.status != P.PUBLISHING:
        _move(post, P.PUBLISHING)
    _event(post, "retry", by=by.user, target=locked)
    return locked


# --- Publishing: dispatch ----------------------------------------------------------------------------------


def targets_dispatch_due(*, now: dt.datetime | None = None, budget: float = DISPATCH_BUDGET) -> list[int]:
    """Due targets, leased so the next tick leaves them alone: scheduled ones to publish (or mark missed
    when overdue past the workspace's grace period), unknown ones to read back, publishing ones whose
    worker died (they may have landed: unknown). Works in batches, each its own short transaction, until
    nothing due is left or `budget` seconds are spent: a burst of thousands due in the same minute is
    enqueued by one tick, not one batch per tick. Returns the ids enqueued."""
    now = now or timezone.now()
    deadline = time.monotonic() + budget
    ids: list[int] = []
    while True:
        batch, full = _dispatch_batch(now)
        ids += batch
        if not full or time.monotonic() >= deadline:
            return ids


def _dispatch_batch(now: dt.datetime) -> tuple[list[int], bool]:
    """One batch: (ids enqueued once this commits, whether the batch was full so more may be due)."""

    def hand_out(due: list[PostTarget]) -> list[int]:
        ids = []
        for target in due:
            if _overdue(target, now):
                _settle(target, T.MISSED, error=MISSED_ERROR())
            else:
                ids.append(target.pk)
        channels = {target.pk: target.channel_id for target in due}
        for chunk in _chunks(ids, channels):
            _enqueue(chunk)
        return ids

    return delivery.dispatch_due(
        PIPELINE,
        now=now,
        batch=DISPATCH_BATCH,
        select_related=("post__workspace__publishing_policy",),
        hand_out=hand_out,
    )


def _chunks(ids: list[int], channels: dict[int, int]) -> list[list[int]]:
    """One task per target, as a rule: each publishes as soon as a worker is free, and a slow network
    delays nothing else. In a burst (more than BURST_SIZE due at once) a task takes up to PUBLISH_CHUNK
    targets of one channel, so the workers' time goes to publishing rather than to the broker."""
    if len(ids) <= BURST_SIZE:
        return [[target_id] for target_id in ids]
    by_channel: dict[int, list[int]] = {}
    for target_id in ids:
        by_channel.setdefault(channels[target_id], []).append(target_id)
    return [
        group[start : start + PUBLISH_CHUNK]
        for group in by_channel.values()
        for start in range(0, len(group), PUBLISH_CHUNK)
    ]


def MISSED_ERROR() -> str:  # a message, translated when used
    return _("Not published: CM Hub was unavailable at the scheduled time and the grace period passed.")


def _overdue(target: PostTarget, now: dt.datetime) -> bool:
    """Never tried, and due longer ago than the grace period: workers were down. Publishing hours late
    would surprise everyone, so it is missed instead (duplicating the post publishes it anew). Load the
    target with post__workspace__publishing_policy to spare the policy's query."""
    if target.status != T.SCHEDULED or target.attempts or target.error:
        return False
    return (target.post.scheduled_at or target.next_attempt_at) < now - _grace(target.post.workspace)


def _enqueue(target_ids: list[int]) -> None:
    from posts.tasks import enqueue_publish  # tasks import this module

    enqueue_publish(target_ids)


# --- Publishing: one target --------------------------------------------------------------------------------


def target_claim(target_id: int, *, now: dt.datetime | None = None) -> bool:
    """scheduled -> publishing. Exactly one caller gets True, however many try at once. (Cancelling a post
    cancels its scheduled targets, so the target's status alone says enough.)"""
    return delivery.claim(PIPELINE, target_id, now=now or timezone.now())


def _load(target_id: int) -> PostTarget:
    return PostTarget.objects.select_related("post__workspace", "channel__workspace").get(pk=target_id)


def target_process(
    target_id: int, *, http: httpx.Client | None = None, providers: dict[int, p.Provider] | None = None
) -> str | None:
    """The next step for one target: read it back if unknown, publish it if scheduled. Returns its status.
    `providers` (channel id -> client), shared by the steps of one task, builds each channel's client once."""
    target = (
        PostTarget.objects.select_related("post__workspace__publishing_policy", "channel__workspace")
        .annotate(has_media=Exists(PostMedia.objects.filter(post_id=OuterRef("post_id"))))
        .filter(pk=target_id)
        .first()
    )
    if target is None:
        return None
    if target.status == T.SCHEDULED and _overdue(target, timezone.now()):
        return _settle(target, T.MISSED, error=MISSED_ERROR())
    if target.status == T.UNKNOWN:
        status = target_reconcile(target_id, http=http)
        if status != T.SCHEDULED:
            return status
        target = None  # read again after the claim: the read back changed it
    return target_publish(target_id, http=http, loaded=target, providers=providers)


def target_publish(
    target_id: int,
    *,
    http: httpx.Client | None = None,
    loaded: PostTarget | None = None,
    providers: dict[int, p.Provider] | None = None,
) -> str | None:
    """Claim and publish one target. `loaded` spares a read when the caller holds it from just before the
    claim: the claim only succeeds on a row still scheduled, which an edit would have moved."""
    if not target_claim(target_id):
        return None
    if loaded is None:
        target = _load(target_id)
    else:
        target = loaded
        target.status, target.leased_until = T.PUBLISHING, None
    if target.post.status != P.PUBLISHING:  # the first of its targets to go; the others spare the UPDATE
        _post_publishing(target.post_id)
    client = http or worker_client()
    try:
        provider = (providers or {}).get(target.channel_id)
        if provider is None:
            provider = registry.build_provider(target.channel, http=client)
            if providers is not None:
                providers[target.channel_id] = provider
        # Most posts are words only: the load above says so, and spares the media query.
        has_media = getattr(target, "has_media", True)
        files = _media_files(target.post, target.channel.network, public=True) if has_media else []
    except media_lib.MediaRejected as exc:
        return _settle(target, T.FAILED, error=exc.render(_), attempt=True)
    except Exception:
        _settle(target, T.FAILED, error=_("CM Hub could not prepare this post for sending."))
        raise
    try:
        result = provider.publish(text=target.text, media=files)
    except p.ProviderError as exc:
        return _publish_failed(target, exc)
    except Exception:
        # A bug or the time limit while the request may have left: never guess, read back.
        log.exception("publish interrupted", extra={"target": target.pk})
        _settle(
            target,
            T.UNKNOWN,
            error=_("Interrupted while publishing."),
            due=timezone.now() + RECONCILE_DELAY,  # the dispatcher reads it back then
            attempt=True,
        )
        raise
    return _store_published(target, result)


def _publish_failed(target: PostTarget, exc: p.ProviderError) -> str:
    now = timezone.now()
    decision = delivery.after_send_error(exc, attempts=target.attempts, now=now, policy=POLICY)
    network = str(target.channel.get_network_display())
    Next = delivery.Next
    with translation.override(target.post.workspace.default_language):
        if decision.next is Next.WAIT:
            error = _("%(network)s asks us to wait until %(time)s; it will be published then.") % {
                "network": network,
                "time": dates.clock(decision.due, target.post.workspace.timezone),
            }
            return _settle(target, T.SCHEDULED, error=error, due=decision.due)
        if decision.next is Next.RETRY:
            error = _("%(network)s had a problem; trying again shortly.") % {"network": network}
            return _settle(target, T.SCHEDULED, error=error, due=decision.due, attempt=True)
        if decision.next is Next.GAVE_UP:
            error = _("%(network)s kept failing (%(count)s attempts): %(words)s") % {
                "network": network,
                "count": target.attempts + 1,
                "words": decision.words,
            }
            return _settle(target, T.FAILED, error=error, attempt=True)
        if decision.next is Next.AUTH_LOST:
            network_services.channel_auth_lost(channel=target.channel, error=exc)
            error = _(
                "%(channel)s lost its connection: reconnect it, then publish this again. (%(words)s)"
            ) % {
                "channel": target.channel.name,
                "words": decision.words,
            }
            Post.objects.filter(pk=target.post_id).update(last_error=error)
            return _settle(target, T.FAILED, error=error, attempt=True)
        if decision.next is Next.REFUSED:
            return _settle(target, T.FAILED, error=decision.words, attempt=True)
        if decision.next is Next.DUPLICATE:
            error = _("%(network)s says this post exists already; checking which one it is.") % {
                "network": network
            }
        else:
            error = _("%(network)s did not confirm this post; checking whether it was published.") % {
                "network": network
            }
        return _settle(target, T.UNKNOWN, error=error, due=decision.due, attempt=True)


def _settle(
    target: PostTarget,
    status: str,
    *,
    error: str = "",
    due: dt.datetime | None = None,
    attempt: bool = False,
    result: p.PublishResult | None = None,
) -> str:
    """Record a step's outcome on the target, if it is still where that step left it, then the post's.
    The conditional UPDATE is the check: no row means another step moved the target on first."""
    states.check_target(target.status, status)
    values: dict = {
        "status": status,
        "error": error[:2000],
        "leased_until": None,
        "next_attempt_at": due if status in (T.SCHEDULED, T.UNKNOWN) else None,
        "attempts": F("attempts") + int(attempt),
    }
    if result is not None:
        values |= {
            "external_id": result.external_id[:300],
            "permalink": (result.permalink or "")[:1000],
            "published_at": timezone.now(),
        }
    with transaction.atomic():
        if not PostTarget.objects.filter(pk=target.pk, status=target.status).update(**values):
            log.warning("post target moved on during a step", extra={"target": target.pk, "to": status})
            return PostTarget.objects.filter(pk=target.pk).values_list("status", flat=True).first() or ""
        if status in (T.FAILED, T.MISSED):
            transaction.on_commit(lambda: _notify_failed(target.pk))
        PostEvent.objects.create(
            post_id=target.post_id, target_id=target.pk, action=f"target_{status}", detail=error[:2000]
        )
        _post_from_targets(target.post_id)
    target.status = status
    return status


def _store_published(target: PostTarget, result: p.PublishResult) -> str:
    with transaction.atomic():
        status = _settle(target, T.PUBLISHED, result=result, attempt=True)
        if status == T.PUBLISHED:
            _announce_published(target, result)
    return status


def _announce_published(target: PostTarget, result: p.PublishResult) -> None:
    """Tell whoever names posts (the inbox, for the comments that will come under it) what went out."""
    from networks.signals import post_published

    post = Post.objects.get(pk=target.post_id)
    first = PostMedia.objects.filter(post=post).select_related("asset").order_by("position").first()
    post_published.send(
        sender=Channel,
        channel_id=target.channel_id,
        external_id=result.external_id,
        text=target.text_override or post.text,
        image_name=first.asset.upload.name if first else "",
        permalink=result.permalink or "",
    )


def _post_publishing(post_id: int) -> None:
    """The post shows "publishing" while a target is on its way: one conditional UPDATE, no lock to wait
    for (each of its targets passes here, often at once). The sources are the state machine's."""
    sources = [status for status, moves in states.POST_TRANSITIONS.items() if P.PUBLISHING in moves]
    Post.objects.filter(pk=post_id, status__in=sources).update(status=P.PUBLISHING, updated_at=timezone.now())


def _post_from_targets(post_id: int) -> None:
    """The post's status follows its targets once none is in flight (call inside a transaction)."""
    post = Post.objects.select_for_update().get(pk=post_id)
    derived = states.post_status_from_targets(list(post.targets.values_list("status", flat=True)))
    if derived is None or derived == post.status:
        return
    if post.status == P.SCHEDULED:  # every target missed (or failed) before any was claimed
        _move(post, P.PUBLISHING)
    _move(post, derived)


# --- Publishing: settling an unknown outcome ---------------------------------------------------------------


def _known_ids(target: PostTarget) -> set[str]:
    """Ids other targets of ours hold on this channel: the same words found there are not this post."""
    return set(
        PostTarget.objects.filter(channel_id=target.channel_id)
        .exclude(pk=target.pk)
        .exclude(external_id="")
        .values_list("external_id", flat=True)
    )


def target_reconcile(target_id: int, *, http: httpx.Client | None = None) -> str:
    """Settle an `unknown` target by reading the channel back: found -> published with its id; not there
    -> scheduled again (due now). Nothing is published again before this read says it is not there."""
    target = _load(target_id)
    if target.status != T.UNKNOWN:
        return target.status
    since = (target.post.scheduled_at or target.post.created_at) - delivery.FIND_MARGIN
    client = http or worker_client()
    try:
        provider = registry.build_provider(target.channel, http=client)
        found = provider.find_post(text=target.text, since=since, exclude=_known_ids(target))
    except (p.ProviderError, NotImplementedError) as exc:
        return _check_failed(target, exc)
    if found is not None:
        return _store_published(target, found)
    if target.attempts >= MAX_ATTEMPTS:
        error = _("Not published after %(count)s attempts.") % {"count": target.attempts}
        return _settle(target, T.FAILED, error=error)
    return _settle(target, T.SCHEDULED, error="", due=timezone.now())


def _check_failed(target: PostTarget, exc: Exception) -> str:
    """Reading the channel back failed: checked again later, within bounds, or a person is asked."""
    now = timezone.now()
    decision = delivery.after_check_error(exc, attempts=target.attempts, now=now, policy=POLICY)
    Next = delivery.Next
    with translation.override(target.post.workspace.default_language):
        if decision.next is Next.CHECK:
            return _settle(target, T.UNKNOWN, error=target.error, due=decision.due, attempt=True)
        if decision.next is Next.AUTH_LOST:
            network_services.channel_auth_lost(channel=target.channel, error=exc)
        if isinstance(exc, NotImplementedError):
            error = _("CM Hub cannot check this network; look at the channel before publishing again.")
        elif isinstance(exc, p.ReadBackIncomplete):
            error = _(
                "CM Hub could not tell whether this was published: the channel has published more since "
                "than the network lets us read back. Look at the channel before publishing again."
            )
        else:
            error = _(
                "CM Hub could not check whether this was published (%(words)s); look at the channel."
            ) % {"words": decision.words}
        return _settle(target, T.FAILED, error=error)

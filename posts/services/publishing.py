"""Publishing one target exactly once, and settling a publish whose outcome is unknown."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import httpx
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import dates, delivery
from core.http import worker_client
from networks import registry
from networks import services as network_services
from networks.models import Channel
from networks.providers import base as p
from posts import media as media_lib
from posts import states
from posts.models import (
    FailureCause,
    Post,
    PostEvent,
    PostMedia,
    PostTarget,
)
from posts.signals import target_settled

from .common import P, T, _move
from .media import _media_files
from .notify import _notify_failed
from .pipeline import MAX_ATTEMPTS, MISSED_ERROR, PIPELINE, POLICY, RECONCILE_DELAY, _overdue, failure_cause

log = logging.getLogger(__name__)


def target_claim(target_id: int, *, now: dt.datetime | None = None) -> bool:
    """scheduled -> publishing. Exactly one caller gets True, however many try at once. (Cancelling a post
    cancels its scheduled targets, so the target's status alone says enough.)"""
    return delivery.claim(PIPELINE, target_id, now=now or timezone.now())


@dataclass
class StepCache:
    """What the steps of one task share (a burst's chunk is one channel's targets): each channel, with its
    workspace and publishing policy, read once, and its client built once. A change made meanwhile applies
    from the next task, seconds later."""

    channels: dict[int, Channel] = field(default_factory=dict)
    providers: dict[int, p.Provider] = field(default_factory=dict)


def _load(target_id: int, cache: StepCache | None = None) -> PostTarget | None:
    """The target with its post (and whether it has media), its channel and its workspace's policy; the
    channel from `cache` when the task's steps share one."""
    related = ["post"] if cache else ["post__workspace__publishing_policy", "channel__workspace"]
    target = (
        PostTarget.objects.select_related(*related)
        .annotate(has_media=Exists(PostMedia.objects.filter(post_id=OuterRef("post_id"))))
        .filter(pk=target_id)
        .first()
    )
    if target is None or cache is None:
        return target
    channel = cache.channels.get(target.channel_id)
    if channel is None:
        channel = Channel.objects.select_related("workspace__publishing_policy").get(pk=target.channel_id)
        cache.channels[channel.pk] = channel
    target.channel = channel
    # A post targets its own workspace's channels: the channel's workspace is the post's.
    if target.post.workspace_id == channel.workspace_id:
        target.post.workspace = channel.workspace
    return target


def _has_media(target: PostTarget) -> bool:
    """What the load said (most posts are words only), or, for a target loaded otherwise, maybe."""
    return getattr(target, "has_media", True)


def target_process(
    target_id: int, *, http: httpx.Client | None = None, cache: StepCache | None = None
) -> str | None:
    """The next step for one target: read it back if unknown, publish it if scheduled. Returns its status.
    `cache`, shared by the steps of one task, reads each channel and builds its client once."""
    target = _load(target_id, cache)
    if target is None:
        return None
    if target.status == T.SCHEDULED and _overdue(target, timezone.now()):
        return _settle(target, T.MISSED, error=MISSED_ERROR(), cause=FailureCause.MISSED)
    if target.status == T.UNKNOWN:
        status = target_reconcile(target_id, http=http)
        if status != T.SCHEDULED:
            return status
        target = None  # read again after the claim: the read back changed it
    return target_publish(target_id, http=http, loaded=target, cache=cache)


def target_publish(
    target_id: int,
    *,
    http: httpx.Client | None = None,
    loaded: PostTarget | None = None,
    cache: StepCache | None = None,
) -> str | None:
    """Claim and publish one target. `loaded` spares a read when the caller holds it from just before the
    claim: the claim only succeeds on a row still scheduled, which an edit would have moved."""
    if not target_claim(target_id):
        return None
    if loaded is None:
        target = _load(target_id, cache)
        if target is None:  # deleted with its post since the claim
            return None
    else:
        target = loaded
        target.status, target.leased_until = T.PUBLISHING, None
    if target.post.status != P.PUBLISHING:  # the first of its targets to go; the others spare the UPDATE
        _post_publishing(target.post_id)
    client = http or worker_client()
    try:
        provider = cache.providers.get(target.channel_id) if cache else None
        if provider is None:
            provider = registry.build_provider(target.channel, http=client)
            if cache is not None:
                cache.providers[target.channel_id] = provider
        files = _media_files(target.post, target.channel.network, public=True) if _has_media(target) else []
    except media_lib.MediaRejected as exc:
        return _settle(target, T.FAILED, error=exc.render(_), attempt=True, cause=FailureCause.MEDIA)
    except Exception:
        _settle(
            target,
            T.FAILED,
            error=_("CM Hub could not prepare this post for sending."),
            cause=FailureCause.INTERNAL,
        )
        raise
    try:
        result = provider.publish(
            text=target.text, media=files, delivery_key=delivery.delivery_key("post", target.pk)
        )
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
            return _settle(target, T.FAILED, error=error, attempt=True, cause=FailureCause.TRANSIENT)
        if decision.next is Next.AUTH_LOST:
            network_services.channel_auth_lost(channel=target.channel, error=exc)
            error = _(
                "%(channel)s lost its connection: reconnect it, then publish this again. (%(words)s)"
            ) % {
                "channel": target.channel.name,
                "words": decision.words,
            }
            Post.objects.filter(pk=target.post_id).update(last_error=error)
            return _settle(target, T.FAILED, error=error, attempt=True, cause=FailureCause.AUTH_LOST)
        if decision.next is Next.REFUSED:
            return _settle(target, T.FAILED, error=decision.words, attempt=True, cause=failure_cause(exc))
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
    cause: FailureCause | None = None,
) -> str:
    """Record a step's outcome on the target, if it is still where that step left it, then the post's.
    The conditional UPDATE is the check: no row means another step moved the target on first. A target
    that fails or is missed carries its `cause` (on the target and on the event, which keeps it)."""
    states.check_target(target.status, status)
    cause_code = str(cause) if status in (T.FAILED, T.MISSED) and cause is not None else ""
    values: dict = {
        "status": status,
        "error": error[:2000],
        "failure_cause": cause_code,
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
    # The step's one transaction; inside _store_published's, no savepoint is needed: an error ends both.
    with transaction.atomic(savepoint=False):
        if not PostTarget.objects.filter(pk=target.pk, status=target.status).update(**values):
            log.warning("post target moved on during a step", extra={"target": target.pk, "to": status})
            return PostTarget.objects.filter(pk=target.pk).values_list("status", flat=True).first() or ""
        if status in (T.FAILED, T.MISSED):
            transaction.on_commit(lambda: _notify_failed(target.pk))
        if status in (T.PUBLISHED, T.FAILED, T.MISSED):
            target_settled.send(
                sender=PostTarget,
                target_id=target.pk,
                post_id=target.post_id,
                workspace_id=target.post.workspace_id,
                status=status,
            )
        PostEvent.objects.create(
            post_id=target.post_id,
            target_id=target.pk,
            action=f"target_{status}",
            detail=error[:2000],
            cause=cause_code,
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
    """Tell whoever names posts (the inbox, for the comments that will come under it) what went out: the
    words as sent (the target's post, loaded before the claim), and its first image if it has any."""
    from networks.signals import post_published

    first = None
    if _has_media(target):
        first = (
            PostMedia.objects.filter(post_id=target.post_id)
            .select_related("asset")
            .order_by("position")
            .first()
        )
    post_published.send(
        sender=Channel,
        channel_id=target.channel_id,
        external_id=result.external_id,
        text=target.text,
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
    post = Post.objects.select_for_update().only("status").get(pk=post_id)
    derived = states.post_status_from_targets(list(post.targets.values_list("status", flat=True)))
    if derived is None or derived == post.status:
        return
    if post.status == P.SCHEDULED:  # every target missed (or failed) before any was claimed
        _move(post, P.PUBLISHING)
    _move(post, derived)


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
    if target is None:
        return ""
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
        return _settle(target, T.FAILED, error=error, cause=FailureCause.TRANSIENT)
    return _settle(target, T.SCHEDULED, error="", due=timezone.now())


def _check_failed(target: PostTarget, exc: Exception) -> str:
    """Reading the channel back failed: checked again later, within bounds, or a person is asked."""
    now = timezone.now()
    decision = delivery.after_check_error(exc, attempts=target.attempts, now=now, policy=POLICY)
    Next = delivery.Next
    with translation.override(target.post.workspace.default_language):
        if decision.next is Next.CHECK:
            return _settle(target, T.UNKNOWN, error=target.error, due=decision.due, attempt=True)
        cause = FailureCause.UNCONFIRMED
        if decision.next is Next.AUTH_LOST:
            network_services.channel_auth_lost(channel=target.channel, error=exc)
            cause = FailureCause.AUTH_LOST
        elif decision.next is Next.REFUSED:
            cause = failure_cause(exc)
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
        return _settle(target, T.FAILED, error=error, cause=cause)

"""Writes for channels: connecting, pausing, and what a poll's outcome does to a channel's state."""

from __future__ import annotations

import datetime as dt
import logging
import random

import httpx
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import AuditAction, audit_record
from accounts.models import User, Workspace
from core import crypto, dates
from core.mail import email_send
from core.text import single_line
from networks import signals
from networks.models import Channel, PollRun
from networks.providers import base as p
from networks.selectors import channel_fixers

log = logging.getLogger(__name__)

MAX_BACKOFF = dt.timedelta(hours=1)
# After this many failures in a row a channel shows as "error" (it keeps retrying, with backoff).
ERROR_AFTER_FAILURES = 5


def credentials_payload(credentials: p.Credentials) -> dict:
    return {
        "access_token": credentials.access_token,
        "refresh_token": credentials.refresh_token,
        "extra": credentials.extra,
    }


def credentials_of(channel: Channel) -> p.Credentials:
    data = channel.credentials or {}
    return p.Credentials(
        access_token=data.get("access_token", ""),
        refresh_token=data.get("refresh_token", ""),
        expires_at=channel.token_expires_at,
        scopes=tuple(channel.scopes_granted or ()),
        extra=data.get("extra") or {},
    )


@transaction.atomic
def channel_connect(
    *,
    workspace: Workspace,
    network: str,
    external_id: str,
    name: str,
    api_base_url: str,
    credentials: p.Credentials,
    by: User | None,
    handle: str = "",
    avatar_url: str = "",
    scopes_requested: list[str] | tuple[str, ...] = (),
    backfill_days: int = 14,
    server_limits: dict | None = None,
) -> Channel:
    """Create the channel, or bring an existing one back to life with fresh credentials."""
    name = single_line(name)  # the network's display name names the channel in mail subjects
    channel, created = Channel.objects.select_for_update().get_or_create(
        workspace=workspace,
        network=network,
        external_id=external_id,
        defaults={"name": name, "api_base_url": api_base_url, "connected_by": by},
    )
    channel.name = name
    channel.handle = handle
    channel.avatar_url = avatar_url
    channel.api_base_url = api_base_url
    if server_limits is not None:
        channel.server_limits = server_limits
    channel.credentials = credentials_payload(credentials)
    channel.token_expires_at = credentials.expires_at
    channel.scopes_requested = list(scopes_requested)
    channel.scopes_granted = list(credentials.scopes) or list(scopes_requested)
    channel.status = Channel.Status.ACTIVE
    channel.consecutive_failures = 0
    channel.last_error = ""
    channel.reconnect_notified_at = None
    channel.expiry_warned_at = None
    channel.next_poll_at = timezone.now()
    if created:
        channel.backfill_days = backfill_days
        channel.backfill_status = Channel.Backfill.PENDING
        channel.connected_by = by
    channel.save()
    audit_record(
        workspace=workspace,
        action=AuditAction.CHANNEL_CONNECTED,
        target=channel,
        actor=by,
        after={"network": network, "handle": handle, "reconnected": not created},
        only_changes=False,
    )
    return channel


@transaction.atomic
def channel_pause(*, channel: Channel, by: User | None = None) -> Channel:
    before = channel.status
    paused = Channel.objects.filter(pk=channel.pk).exclude(status=Channel.Status.PAUSED)
    changed = paused.update(status=Channel.Status.PAUSED)
    channel.refresh_from_db()
    if changed:
        audit_record(
            workspace=channel.workspace_id,
            action=AuditAction.CHANNEL_PAUSED,
            target=channel,
            actor=by,
            before={"status": before},
            after={"status": channel.status},
        )
    return channel


@transaction.atomic
def channel_resume(*, channel: Channel, by: User | None = None) -> Channel:
    """Back to polling now; a channel whose token died stays as it is until reconnected."""
    before = channel.status
    changed = (
        Channel.objects.filter(pk=channel.pk)
        .exclude(status=Channel.Status.NEEDS_RECONNECT)
        .update(status=Channel.Status.ACTIVE, next_poll_at=timezone.now(), consecutive_failures=0)
    )
    channel.refresh_from_db()
    if changed and before != channel.status:
        audit_record(
            workspace=channel.workspace_id,
            action=AuditAction.CHANNEL_RESUMED,
            target=channel,
            actor=by,
            before={"status": before},
            after={"status": channel.status},
        )
    return channel


@transaction.atomic
def channel_disconnect(*, channel: Channel, by: User | None = None) -> None:
    """Forget the channel and its credentials."""
    target = ("channel", channel.pk, str(channel))
    workspace_id, network, handle = channel.workspace_id, channel.network, channel.handle
    channel.delete()
    audit_record(
        workspace=workspace_id,
        action=AuditAction.CHANNEL_DISCONNECTED,
        target=target,
        actor=by,
        before={"network": network, "handle": handle},
        only_changes=False,
    )


# --- Poll outcomes ------------------------------------------------------------------------------------


def _jitter(seconds: float) -> dt.timedelta:
    # Spread retries so channels that failed together do not all come back in the same tick.
    return dt.timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def _record_run(
    channel: Channel,
    *,
    started_at: dt.datetime,
    outcome: str,
    fetched=0,
    skipped=0,
    error="",
    due_at: dt.datetime | None = None,
):
    return PollRun.objects.create(
        channel=channel,
        due_at=due_at,
        started_at=started_at,
        finished_at=timezone.now(),
        fetched=fetched,
        skipped=skipped,
        outcome=outcome,
        error=error[:2000],
    )


def _apply_rate_limit(channel: Channel, state: p.RateLimitState | None) -> list[str]:
    if state is None or (state.remaining is None and state.reset_at is None):
        return []
    channel.rate_limit_remaining = state.remaining
    reset_at = state.reset_at
    if reset_at is not None:  # shown on the health page: never trusted beyond a day
        reset_at = min(reset_at, timezone.now() + p.RESET_CEILING)
    channel.rate_limit_reset_at = reset_at
    return ["rate_limit_remaining", "rate_limit_reset_at"]


def channel_poll_succeeded(
    *,
    channel: Channel,
    result: p.PollResult,
    rate_limit: p.RateLimitState | None,
    started_at: dt.datetime,
    due_at: dt.datetime | None = None,
    unlocked: bool = False,
) -> PollRun | None:
    """Store the new cursor and the channel's health. Call inside the transaction that stored the items,
    on the channel locked there; or, when the poll stored nothing, `unlocked` on the channel as read before
    the poll: the save is then one conditional UPDATE, which changes nothing and returns None when another
    poll or a person changed the channel meanwhile (its last poll or its status)."""
    now = timezone.now()
    read_polled_at, read_status = channel.last_polled_at, channel.status
    channel.cursor = result.cursor
    channel.last_polled_at = now
    channel.consecutive_failures = 0
    channel.last_error = ""
    fields = ["cursor", "last_polled_at", "consecutive_failures", "last_error"]
    if result.server_limits is not None and result.server_limits != channel.server_limits:
        channel.server_limits = result.server_limits
        fields.append("server_limits")
    if channel.status == Channel.Status.ERROR:
        channel.status = Channel.Status.ACTIVE
        fields.append("status")
    if channel.backfill_status != Channel.Backfill.DONE:
        channel.backfill_fetched += len(result.items)
        channel.backfill_status = Channel.Backfill.RUNNING if result.has_more else Channel.Backfill.DONE
        fields += ["backfill_fetched", "backfill_status"]
        stopped_at = result.stopped_at or (result.items[-1].created_at if result.items else None)
        moved_back = stopped_at is not None and (
            channel.backfill_reached is None or stopped_at < channel.backfill_reached
        )
        if result.has_more and moved_back:
            channel.backfill_reached = stopped_at
            fields.append("backfill_reached")
    if result.has_more:
        # The run stopped at its budget: come back soon rather than after a whole interval.
        channel.next_poll_at = now + dt.timedelta(seconds=1)
        fields.append("next_poll_at")
    else:
        channel.poll_started_at = None  # the poll is over: it no longer counts against its network's cap
        fields.append("poll_started_at")
    fields += _apply_rate_limit(channel, rate_limit)
    outcome = PollRun.Outcome.OK
    if result.permission_missing:
        # What could be read is stored, but part of the channel is dark: a failed poll, in plain words.
        channel.last_error = _("Messages cannot be read, a permission is missing: %(words)s") % {
            "words": result.permission_missing
        }
        channel.last_error_at = now
        channel.status = Channel.Status.ERROR
        fields += ["last_error", "last_error_at", "status"]
        outcome = PollRun.Outcome.PERMISSION
    fields = list(dict.fromkeys(fields))
    if not unlocked:
        channel.save(update_fields=fields)
    elif not (
        Channel.objects.filter(pk=channel.pk, last_polled_at=read_polled_at, status=read_status).update(
            **{name: getattr(channel, name) for name in fields}
        )
    ):
        return None
    return _record_run(
        channel,
        started_at=started_at,
        outcome=outcome,
        fetched=len(result.items),
        skipped=result.skipped,
        error=result.permission_missing,
        due_at=due_at,
    )


def _plain_words(error: Exception) -> str:
    if isinstance(error, p.ProviderError):
        return error.network_message or str(error) or error.__class__.__name__
    if isinstance(error, crypto.CredentialsUnreadable):
        return _(
            "CM Hub can no longer read this channel's credentials (the key that encrypted them is not "
            "configured any more): connect the channel again, or restore the key."
        )
    # Not the network's doing: say so, without internals a person cannot act on (the log has the trace).
    return _(
        "CM Hub could not complete this poll (%(kind)s); it tries again with a growing delay. "
        "The workers' log has the details."
    ) % {"kind": type(error).__name__}


@transaction.atomic
def channel_poll_failed(
    *, channel: Channel, error: Exception, started_at: dt.datetime, due_at: dt.datetime | None = None
) -> PollRun:
    """What a failed poll means for the channel: sleep, back off, or stop and ask for a reconnect. Any
    exception is accepted: a crash of ours is recorded and backed off like a network error."""
    now = timezone.now()
    message = _plain_words(error)
    # Without its credentials: a channel whose credentials no key decrypts must still be told so.
    channel = Channel.objects.select_for_update().defer("credentials").get(pk=channel.pk)
    channel.last_error = message
    channel.last_error_at = now
    channel.poll_started_at = None  # the poll is over: it no longer counts against its network's cap
    fields = ["last_error", "last_error_at", "poll_started_at"]

    if isinstance(error, p.RateLimited):
        # Not a failure of ours: sleep until the network's reset (never sooner than a normal poll would
        # come, never more than a day), then go on.
        resume_at = error.resume_at(now=now, floor=dt.timedelta(seconds=channel.poll_interval))
        channel.rate_limit_remaining = 0
        channel.rate_limit_reset_at = resume_at
        channel.next_poll_at = resume_at + dt.timedelta(seconds=1)
        channel.last_error = _("Rate limited by the network until %(time)s.") % {
            "time": dates.clock(resume_at, channel.workspace.timezone)
        }
        fields += ["rate_limit_remaining", "rate_limit_reset_at", "next_poll_at"]
        outcome = PollRun.Outcome.RATE_LIMITED
    elif isinstance(error, p.AuthExpired | crypto.CredentialsUnreadable):
        # An unreadable credential (the key that encrypted it is gone) is as good as a revoked token: it
        # will not come back by retrying, and a person must reconnect.
        fields += _needs_reconnect(channel, now)
        outcome = PollRun.Outcome.AUTH_EXPIRED
    else:
        channel.consecutive_failures += 1  # the row is locked: a plain increment is safe
        failures = channel.consecutive_failures
        delay = min(channel.poll_interval * 2 ** min(failures, 10), MAX_BACKOFF.total_seconds())
        channel.next_poll_at = now + _jitter(delay)
        fields += ["consecutive_failures", "next_poll_at"]
        if isinstance(error, p.PermissionMissing):
            outcome = PollRun.Outcome.PERMISSION
            channel.status = Channel.Status.ERROR
            fields.append("status")
        else:
            outcome = PollRun.Outcome.TRANSIENT if isinstance(error, p.Transient) else PollRun.Outcome.ERROR
            if failures >= ERROR_AFTER_FAILURES:
                channel.status = Channel.Status.ERROR
                fields.append("status")
    channel.save(update_fields=fields)
    log.warning(
        "poll failed",
        extra={"channel": channel.pk, "network": channel.network, "error": type(error).__name__},
    )
    return _record_run(channel, started_at=started_at, outcome=outcome, error=message, due_at=due_at)


def channel_auth_lost(*, channel: Channel, error: Exception) -> None:
    """A reply, a publish or a read-back met a dead token: the channel stops until someone reconnects it,
    and its admins are told, once. No poll run is recorded: no poll took place."""
    now = timezone.now()
    with transaction.atomic():
        channel = Channel.objects.select_for_update().defer("credentials").get(pk=channel.pk)
        channel.last_error = _plain_words(error)
        channel.last_error_at = now
        fields = ["last_error", "last_error_at", *_needs_reconnect(channel, now)]
        channel.save(update_fields=fields)
    log.warning("channel lost its authorisation", extra={"channel": channel.pk, "network": channel.network})


def _needs_reconnect(channel: Channel, now: dt.datetime) -> list[str]:
    """Mark the (locked) channel as needing a reconnect, telling its admins once; the fields changed."""
    lost_now = channel.status != Channel.Status.NEEDS_RECONNECT
    channel.status = Channel.Status.NEEDS_RECONNECT
    if lost_now:  # in the caller's transaction: what the apps above record of it commits with it
        signals.channel_needs_reconnect.send(sender=Channel, channel=channel)
    fields = ["status"]
    if channel.reconnect_notified_at is None:
        channel.reconnect_notified_at = now
        fields.append("reconnect_notified_at")
        channel_id = channel.pk
        transaction.on_commit(lambda: _notify_reconnect_needed(channel_id))
    return fields


def channel_credentials_refreshed(*, channel: Channel, credentials: p.Credentials) -> None:
    channel.credentials = credentials_payload(credentials)
    channel.token_expires_at = credentials.expires_at
    channel.save(update_fields=["credentials", "token_expires_at"])


def channel_warn_expiry(*, channel: Channel) -> bool:
    """Tell the admins, once, that a token which cannot be renewed expires soon. True if this call warned."""
    claimed = Channel.objects.filter(pk=channel.pk, expiry_warned_at__isnull=True).update(
        expiry_warned_at=timezone.now()
    )
    if claimed:
        transaction.on_commit(
            lambda: _email_channel_admins(channel.pk, "networks/email/expiring.txt", expiring=True)
        )
    return bool(claimed)


def channel_refresh_if_expiring(channel: Channel, provider: p.Provider, *, force: bool = False) -> bool:
    """Renew the channel's token when it is about to expire (or now, with `force`) where the network
    allows it. True when new credentials were stored."""
    from networks import registry

    spec = registry.SPECS[channel.network]
    if not spec.renewable(channel):
        return False
    expiring = channel.token_expires_at and channel.token_expires_at <= timezone.now() + spec.refresh_ahead
    if not (force or expiring):
        return False
    try:
        credentials = provider.refresh_credentials()
    except p.ProviderError:
        return False
    channel_credentials_refreshed(channel=channel, credentials=credentials)
    return True


def _notify_reconnect_needed(channel_id: int) -> None:
    """Email the workspace's channel managers, once per lost connection (the flag is set in the same
    transaction that marked the channel)."""
    _email_channel_admins(channel_id, "networks/email/reconnect.txt", expiring=False)


def _email_channel_admins(channel_id: int, template: str, *, expiring: bool) -> None:
    channel = Channel.objects.select_related("workspace").defer("credentials").filter(pk=channel_id).first()
    if channel is None:
        return
    admins = channel_fixers(channel.workspace)
    url = settings.SITE_URL + reverse("channel_health", args=[channel.workspace.slug])
    for admin in admins:
        with translation.override(admin.language or channel.workspace.default_language):
            names = {"channel": channel.name, "workspace": channel.workspace.name}
            if expiring:
                subject = _("Access to %(channel)s in %(workspace)s expires soon") % names
            else:
                subject = _("Reconnect %(channel)s in %(workspace)s") % names
            body = render_to_string(template, {"channel": channel, "url": url, "user": admin})
        email_send(subject=subject, body=body, to=[admin.email])


def provider_with_fresh_token(channel: Channel, *, http: httpx.Client) -> p.Provider:
    """The channel's provider, its token renewed first when it is about to expire: for a write that should
    not fail on a token the next poll would have renewed."""
    from networks import registry

    provider = registry.build_provider(channel, http=http)
    if channel_refresh_if_expiring(channel, provider):
        channel.refresh_from_db()
        provider = registry.build_provider(channel, http=http)
    return provider

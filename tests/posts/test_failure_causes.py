"""Each way a publish ends badly leaves a stable cause code on the target and on its history event, which
the Publishing report counts by (issue 15). Driven through the production providers against the fakes."""

from __future__ import annotations

import datetime as dt

import pytest

from core import remote_errors as errors
from networks.fakes.graph import graph_error_fault
from posts import services
from posts.models import FailureCause, PostEvent, PostTarget, PublishingPolicy, Rendition
from posts.services.pipeline import failure_cause
from tests.posts.test_publish import jpeg, make_due, member, scheduled_post, target

T = PostTarget.Status
NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


def settled(post, channel) -> tuple[str, str, list[str]]:
    """(status, the target's cause, the causes on its failure events)."""
    the_target = target(post, channel)
    events = PostEvent.objects.filter(target=the_target, action__in=["target_failed", "target_missed"])
    return the_target.status, the_target.failure_cause, list(events.values_list("cause", flat=True))


@pytest.mark.parametrize(
    ("code", "subcode", "cause"),
    [
        (100, None, FailureCause.INVALID),
        (200, None, FailureCause.PERMISSION),
        (506, None, FailureCause.DUPLICATE),
        (803, None, FailureCause.NOT_FOUND),
    ],
)
def test_a_refusal_is_stored_with_its_cause(facebook_account, agent, manager, code, subcode, cause):
    facebook_account.inject(graph_error_fault(r"/777/feed$", code=code, subcode=subcode, method="POST"))
    post = scheduled_post([facebook_account.channel], agent, manager)
    make_due(post)

    assert services.target_process(target(post, facebook_account.channel).pk) == T.FAILED
    assert settled(post, facebook_account.channel) == (T.FAILED, cause, [cause])


def test_server_errors_until_giving_up_are_transient(x_account, agent, manager):
    x_account.server_error("/2/tweets$", status=503, times=10)
    post = scheduled_post([x_account.channel], agent, manager)
    tid = target(post, x_account.channel).pk
    for _attempt in range(services.MAX_ATTEMPTS):
        make_due(post)
        services.target_process(tid)
    assert settled(post, x_account.channel) == (T.FAILED, FailureCause.TRANSIENT, [FailureCause.TRANSIENT])


def test_a_lost_connection_is_auth_lost(x_account, agent, manager):
    x_account.unauthorized("/2/tweets$")
    post = scheduled_post([x_account.channel], agent, manager)
    make_due(post)
    services.target_process(target(post, x_account.channel).pk)
    assert settled(post, x_account.channel) == (T.FAILED, FailureCause.AUTH_LOST, [FailureCause.AUTH_LOST])


def test_a_missed_post_is_missed(workspace, x_account, agent, manager):
    PublishingPolicy.objects.create(workspace=workspace, missed_grace_minutes=30)
    post = scheduled_post([x_account.channel], agent, manager)
    make_due(post, ago=dt.timedelta(minutes=45))
    services.targets_dispatch_due()
    assert settled(post, x_account.channel) == (T.MISSED, FailureCause.MISSED, [FailureCause.MISSED])


def test_an_image_that_cannot_be_used_any_more_is_a_media_failure(facebook_account, agent, manager):
    asset = services.media_upload(member=member(agent), name="croissant.jpg", data=jpeg(), alt_text="")
    post = scheduled_post([facebook_account.channel], agent, manager, media=[asset])
    # The stored original went bad after the post was approved (a restore from a broken backup...).
    Rendition.objects.filter(asset=asset).delete()
    with open(asset.upload.path, "wb") as broken:
        broken.write(b"not an image any more")
    make_due(post)

    assert services.target_process(target(post, facebook_account.channel).pk) == T.FAILED
    assert settled(post, facebook_account.channel) == (T.FAILED, FailureCause.MEDIA, [FailureCause.MEDIA])
    assert facebook_account.writes() == []


def test_a_retry_clears_the_targets_cause_and_the_history_keeps_it(facebook_account, agent, manager):
    facebook_account.inject(graph_error_fault(r"/777/feed$", code=100, method="POST"))
    post = scheduled_post([facebook_account.channel], agent, manager)
    make_due(post)
    services.target_process(target(post, facebook_account.channel).pk)

    services.target_retry(target=target(post, facebook_account.channel), by=member(agent))
    assert services.target_process(target(post, facebook_account.channel).pk) == T.PUBLISHED

    assert settled(post, facebook_account.channel) == (T.PUBLISHED, "", [FailureCause.INVALID])


def test_a_published_target_has_no_cause(x_account, agent, manager):
    post = scheduled_post([x_account.channel], agent, manager)
    make_due(post)
    assert services.target_process(target(post, x_account.channel).pk) == T.PUBLISHED
    assert settled(post, x_account.channel) == (T.PUBLISHED, "", [])


@pytest.mark.parametrize(
    ("exc", "cause"),
    [
        (errors.RateLimited(reset_at=NOW), FailureCause.RATE_LIMITED),
        (errors.AuthExpired(), FailureCause.AUTH_LOST),
        (errors.PermissionMissing(), FailureCause.PERMISSION),
        (errors.Duplicate(), FailureCause.DUPLICATE),
        (errors.Invalid(), FailureCause.INVALID),
        (errors.NotFound(), FailureCause.NOT_FOUND),
        (errors.Transient(), FailureCause.TRANSIENT),
        (errors.Ambiguous(), FailureCause.UNCONFIRMED),
        (errors.ReadBackIncomplete(), FailureCause.UNCONFIRMED),
        (NotImplementedError(), FailureCause.UNCONFIRMED),
        (errors.ProviderError(), FailureCause.UNCONFIRMED),
        (KeyError("bug"), FailureCause.INTERNAL),
    ],
)
def test_every_error_class_has_a_cause(exc, cause):
    assert failure_cause(exc) == cause

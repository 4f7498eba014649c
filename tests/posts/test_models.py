"""The state machine (every allowed move, every other one refused) and the database guards."""

from __future__ import annotations

import itertools

import pytest
from django.db import IntegrityError

from networks.models import Channel
from posts import states
from posts.models import Post, PostTarget, Review
from posts.states import IllegalTransition

P = Post.Status
T = PostTarget.Status

POST_ALLOWED = {
    (P.DRAFT, P.IN_REVIEW),
    (P.DRAFT, P.CANCELLED),
    (P.IN_REVIEW, P.APPROVED),
    (P.IN_REVIEW, P.CHANGES_REQUESTED),
    (P.IN_REVIEW, P.DRAFT),
    (P.IN_REVIEW, P.CANCELLED),
    (P.CHANGES_REQUESTED, P.DRAFT),
    (P.CHANGES_REQUESTED, P.IN_REVIEW),
    (P.CHANGES_REQUESTED, P.CANCELLED),
    (P.APPROVED, P.SCHEDULED),
    (P.APPROVED, P.IN_REVIEW),
    (P.APPROVED, P.CANCELLED),
    (P.SCHEDULED, P.PUBLISHING),
    (P.SCHEDULED, P.IN_REVIEW),
    (P.SCHEDULED, P.SCHEDULED),
    (P.SCHEDULED, P.CANCELLED),
    (P.PUBLISHING, P.PUBLISHED),
    (P.PUBLISHING, P.PARTIALLY_PUBLISHED),
    (P.PUBLISHING, P.FAILED),
    (P.PARTIALLY_PUBLISHED, P.PUBLISHING),
    (P.PARTIALLY_PUBLISHED, P.PUBLISHED),
    (P.FAILED, P.PUBLISHING),
}

TARGET_ALLOWED = {
    (T.PENDING, T.SCHEDULED),
    (T.PENDING, T.CANCELLED),
    (T.SCHEDULED, T.PUBLISHING),
    (T.SCHEDULED, T.PENDING),
    (T.SCHEDULED, T.MISSED),
    (T.SCHEDULED, T.CANCELLED),
    (T.PUBLISHING, T.PUBLISHED),
    (T.PUBLISHING, T.SCHEDULED),
    (T.PUBLISHING, T.FAILED),
    (T.PUBLISHING, T.UNKNOWN),
    (T.UNKNOWN, T.PUBLISHED),
    (T.UNKNOWN, T.SCHEDULED),
    (T.UNKNOWN, T.FAILED),
    (T.UNKNOWN, T.UNKNOWN),
    (T.FAILED, T.SCHEDULED),
}


@pytest.mark.parametrize(("current", "new"), list(itertools.product(P.values, P.values)))
def test_every_post_move_is_allowed_or_refused_as_listed(current, new):
    if (current, new) in POST_ALLOWED:
        states.check_post(current, new)
    else:
        with pytest.raises(IllegalTransition, match=f"from “{current}” to “{new}”"):
            states.check_post(current, new)


@pytest.mark.parametrize(("current", "new"), list(itertools.product(T.values, T.values)))
def test_every_target_move_is_allowed_or_refused_as_listed(current, new):
    if (current, new) in TARGET_ALLOWED:
        states.check_target(current, new)
    else:
        with pytest.raises(IllegalTransition):
            states.check_target(current, new)


def test_published_and_cancelled_posts_are_final():
    assert states.POST_TRANSITIONS[P.PUBLISHED] == frozenset()
    assert states.POST_TRANSITIONS[P.CANCELLED] == frozenset()
    assert states.TARGET_TRANSITIONS[T.PUBLISHED] == frozenset()


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        ([T.PUBLISHED, T.PUBLISHED], P.PUBLISHED),
        ([T.PUBLISHED, T.FAILED], P.PARTIALLY_PUBLISHED),
        ([T.PUBLISHED, T.MISSED], P.PARTIALLY_PUBLISHED),
        ([T.FAILED, T.MISSED], P.FAILED),
        ([T.PUBLISHED, T.CANCELLED], P.PUBLISHED),
        ([T.PUBLISHED, T.UNKNOWN], None),  # still in flight
        ([T.PUBLISHED, T.SCHEDULED], None),
        ([T.CANCELLED], None),
    ],
)
def test_the_post_status_follows_its_targets(targets, expected):
    assert states.post_status_from_targets(targets) == expected


@pytest.fixture
def post(workspace, agent):
    return Post.objects.create(workspace=workspace, author=agent, text="Hello")


@pytest.fixture
def channel(workspace):
    return Channel.objects.create(
        workspace=workspace, network="x", external_id="1", name="X", api_base_url="http://127.0.0.1:9"
    )


def test_one_target_per_channel(post, channel):
    PostTarget.objects.create(post=post, channel=channel)
    with pytest.raises(IntegrityError):
        PostTarget.objects.create(post=post, channel=channel)


def test_a_published_target_must_have_the_networks_id(post, channel):
    with pytest.raises(IntegrityError):
        PostTarget.objects.create(post=post, channel=channel, status=T.PUBLISHED)


def test_a_scheduled_post_must_have_a_time(post):
    post.status = P.SCHEDULED
    with pytest.raises(IntegrityError):
        post.save()


def test_one_live_approval_per_reviewer(post, manager):
    Review.objects.create(post=post, reviewer=manager, decision="approve")
    Review.objects.create(post=post, reviewer=manager, decision="approve", current=False)  # history is fine
    with pytest.raises(IntegrityError):
        Review.objects.create(post=post, reviewer=manager, decision="approve")

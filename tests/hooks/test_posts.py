"""post.published and post.failed: one message per channel's copy of a post, published through the real
pipeline to the X fake (and refused by it), in the order the post's events happened."""

from __future__ import annotations

import pytest

from hooks import events
from hooks.models import OutgoingWebhook
from posts import services
from posts.models import PostTarget
from tests import publishing_fakes
from tests.hooks.conftest import deliver_waiting
from tests.posts.test_publish import make_due, scheduled_post, target

pytestmark = pytest.mark.django_db
S = OutgoingWebhook.Status


@pytest.fixture
def x_account(workspace, owner):
    with publishing_fakes.x_account(workspace, owner) as fake:
        yield fake


def test_a_published_post_is_announced_after_its_approval(
    x_account, agent, manager, receiver, endpoint_for, broker
):
    endpoint_for([events.POST_APPROVED, events.POST_PUBLISHED, events.POST_FAILED])
    post = scheduled_post([x_account.channel], agent, manager)
    make_due(post)
    assert services.target_process(target(post, x_account.channel).pk) == PostTarget.Status.PUBLISHED

    assert deliver_waiting() == [S.DELIVERED, S.DELIVERED]
    assert receiver.types() == ["post.approved", "post.published"]
    published = receiver.got[1].json()["data"]
    copy = target(post, x_account.channel)
    assert published["post"]["id"] == post.pk
    assert published["target"]["status"] == "published"
    assert published["target"]["permalink"] == copy.permalink
    assert published["target"]["channel"] == {"id": x_account.channel.pk, "network": "x", "name": "Acme on X"}


def test_a_post_the_network_refuses_is_announced_as_failed(
    x_account, agent, manager, receiver, endpoint_for, broker
):
    endpoint_for([events.POST_FAILED])
    x_account.unauthorized("/2/tweets$")
    post = scheduled_post([x_account.channel], agent, manager)
    make_due(post)
    assert services.target_process(target(post, x_account.channel).pk) == PostTarget.Status.FAILED

    assert deliver_waiting() == [S.DELIVERED]
    [got] = receiver.got
    assert got.verified and got.json()["type"] == "post.failed"
    assert got.json()["data"]["target"]["error"]

"""Settling a publish whose worker died while a burst went on: the read-back walks every page back to the
time the step began (X listed only the latest 100 before, and the post went out twice), a "duplicate
content" refusal after an unclear attempt means "read back again", and a person is asked only when the
network truly cannot tell. Production providers against the fakes over real HTTP."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from posts import services
from posts.models import Post, PostTarget
from tests.posts.test_publish import make_due, scheduled_post, target
from tests.posts.test_publish_readback import lose_the_worker_after_its_claim

P = Post.Status
T = PostTarget.Status


def test_a_lost_x_publish_is_found_under_150_newer_posts_and_not_sent_again(x_account, agent, manager):
    post = scheduled_post([x_account.channel], agent, manager, text="Galette des rois is back!")
    tid = lose_the_worker_after_its_claim(post, x_account.channel)
    landed = x_account.add_tweet(x_account.brand, "Galette des rois is back!")  # X applied it after all
    for n in range(150):  # the rest of the burst, published while the dead worker's target waited
        x_account.add_tweet(x_account.brand, f"Burst post n°{n}")

    assert services.target_process(tid) == T.PUBLISHED

    the_target = PostTarget.objects.get(pk=tid)
    assert the_target.external_id == landed
    assert [t["text"] for t in x_account.tweets_by(x_account.brand)].count("Galette des rois is back!") == 1
    assert not x_account.writes()
    timeline_reads = [r for r in x_account.requests if r.path.endswith("/tweets") and r.method == "GET"]
    assert len(timeline_reads) == 2  # 151 tweets since the step began: two pages of 100


def test_past_what_x_lists_a_person_is_asked_instead_of_publishing_again(x_account, agent, manager):
    post = scheduled_post([x_account.channel], agent, manager, text="Galette des rois is back!")
    tid = lose_the_worker_after_its_claim(post, x_account.channel)
    # Say the step began long ago: X's 3,200 listed tweets are all newer.
    with x_account.lock:
        x_account._clock = timezone.now() + dt.timedelta(minutes=1)
    x_account.add_tweet(x_account.brand, "Galette des rois is back!", created_at="2026-01-01T00:00:00.000Z")
    for n in range(3200):
        x_account.add_tweet(x_account.brand, f"Burst post n°{n}")

    assert services.target_process(tid) == T.FAILED

    the_target = PostTarget.objects.get(pk=tid)
    assert "could not tell whether this was published" in the_target.error
    assert not x_account.writes()


def test_a_duplicate_refusal_after_an_unclear_attempt_is_read_back_not_failed(x_account, agent, manager):
    """The first attempt landed but the read-back could not see it yet (the network had not indexed it):
    scheduled again, X refuses the same words. That refusal settles it: read back again, found."""
    post = scheduled_post([x_account.channel], agent, manager, text="Galette des rois is back!")
    make_due(post)
    tid = target(post, x_account.channel).pk
    PostTarget.objects.filter(pk=tid).update(attempts=1)  # an earlier attempt ended without an answer
    landed = x_account.add_tweet(x_account.brand, "Galette des rois is back!")

    assert services.target_process(tid) == T.UNKNOWN
    the_target = PostTarget.objects.get(pk=tid)
    assert "exists already" in the_target.error
    make_due(post)
    assert services.target_process(tid) == T.PUBLISHED
    assert PostTarget.objects.get(pk=tid).external_id == landed
    assert Post.objects.get(pk=post.pk).status == P.PUBLISHED


def test_a_duplicate_refusal_on_a_first_attempt_is_a_plain_failure(x_account, agent, manager):
    """Nothing of ours was unclear: the same words were posted by someone else on the account."""
    x_account.add_tweet(x_account.brand, "Galette des rois is back!")
    post = scheduled_post([x_account.channel], agent, manager, text="Galette des rois is back!")
    make_due(post)
    tid = target(post, x_account.channel).pk
    assert services.target_process(tid) == T.FAILED


def test_the_stale_timer_follows_the_tasks_hard_limits():
    from inbox import replies
    from inbox.tasks import send_reply
    from posts.tasks import publish_target, publish_targets

    for task in (publish_target, publish_targets):
        assert task.time_limit < services.PUBLISHING_STALE.total_seconds()
    assert send_reply.time_limit < replies.SENDING_STALE.total_seconds()
    assert dt.timedelta(minutes=3) >= services.PUBLISHING_STALE
    assert dt.timedelta(minutes=2) >= replies.SENDING_STALE

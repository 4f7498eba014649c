"""Publishing with real Celery worker processes: two workers handed the same due targets publish each one
once, and a worker killed with SIGKILL while its publish is on the wire loses and duplicates nothing once
the next worker takes over. Runs on the configured database and broker (SQLite file + filesystem broker by
default; PostgreSQL + Redis in CI)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from celery import current_app
from django.utils import timezone

from networks.fakes.base import Fault
from posts import services
from posts.models import Post, PostTarget
from posts.tasks import publish_target
from tests.celery_workers import start_worker, stop_worker, wait_for
from tests.posts.test_publish import make_due, scheduled_post, target

P = Post.Status
T = PostTarget.Status

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LOG = Path(os.environ.get("CMHUB_VAR_DIR", "var/test")) / "publish-workers.log"


def _start_worker() -> subprocess.Popen:
    # The production queue: dispatch enqueues there, as it would for the beat.
    return start_worker("publish", output=LOG.open("ab"))


@pytest.fixture(autouse=True)
def empty_publish_queue():
    """Other tests leave publish messages in the broker; a worker here would take them first."""
    LOG.unlink(missing_ok=True)
    current_app.control.purge()


def _statuses(post_ids: list[int]) -> Counter:
    return Counter(PostTarget.objects.filter(post_id__in=post_ids).values_list("status", flat=True))


def test_two_workers_given_the_same_targets_publish_each_once(x_account, agent, manager):
    posts = [
        scheduled_post([x_account.channel], agent, manager, text=f"Today's special n°{n}") for n in range(24)
    ]
    for post in posts:
        make_due(post)
    ids = [pk for pk in PostTarget.objects.filter(post__in=posts).values_list("pk", flat=True)]
    workers = [_start_worker(), _start_worker()]
    try:
        enqueued = services.targets_dispatch_due()
        assert sorted(enqueued) == sorted(ids)
        for target_id in ids:  # every one delivered a second time, as a lost ack or a lapsed lease would
            publish_target.delay(target_id)
        post_ids = [post.pk for post in posts]
        wait_for(
            lambda: _statuses(post_ids)[T.PUBLISHED] == len(ids),
            120,
            lambda: f"all published (now {dict(_statuses(post_ids))}, {len(x_account.writes())} writes)",
            log=LOG,
        )
        time.sleep(1)  # let any late duplicate delivery run: it must find nothing to claim
    finally:
        for worker in workers:
            stop_worker(worker)
    tweets = x_account.tweets_by(x_account.brand)
    assert len(x_account.writes()) == len(ids) == len(tweets)
    assert sorted(t["text"] for t in tweets) == sorted(f"Today's special n°{n}" for n in range(24))
    stored = PostTarget.objects.filter(pk__in=ids)
    assert sorted(stored.values_list("external_id", flat=True)) == sorted(t["id"] for t in tweets)
    assert set(Post.objects.filter(pk__in=post_ids).values_list("status", flat=True)) == {P.PUBLISHED}


def test_a_worker_killed_mid_publish_is_settled_without_a_second_post(x_account, agent, manager):
    post = scheduled_post([x_account.channel], agent, manager, text="Galette des rois is back!")
    make_due(post)
    the_target = target(post, x_account.channel)
    # X takes its time to answer: the worker is surely waiting on the wire when it dies. X applies the
    # post anyway, after the worker is gone, and nobody hears the answer.
    x_account.inject(Fault(path_pattern=r"^/2/tweets$", method="POST", kind="delay", seconds=3))
    worker = _start_worker()
    try:
        services.targets_dispatch_due()
        wait_for(lambda: len(x_account.writes()) == 1, 60, "the publish request to reach X", log=LOG)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        stop_worker(worker)
    the_target.refresh_from_db()
    assert the_target.status == T.PUBLISHING, "the worker finished before the kill: the test proves nothing"
    wait_for(lambda: len(x_account.tweets_by(x_account.brand)) == 1, 10, "X to apply the post", log=LOG)

    worker = _start_worker()
    try:
        # The beat's next ticks, as the clock moves on: nothing while the publish's time limit may still
        # run, then the lost worker is noticed (unknown), then the channel is read back after a pause.
        assert services.targets_dispatch_due() == []
        later = timezone.now() + services.PUBLISHING_STALE + dt.timedelta(seconds=1)
        assert services.targets_dispatch_due(now=later) == []
        the_target.refresh_from_db()
        assert the_target.status == T.UNKNOWN
        assert services.targets_dispatch_due(now=later + services.RECONCILE_DELAY) == [the_target.pk]
        wait_for(
            lambda: PostTarget.objects.get(pk=the_target.pk).status == T.PUBLISHED,
            60,
            "the read back",
            log=LOG,
        )
    finally:
        stop_worker(worker)
    the_target.refresh_from_db()
    tweets = x_account.tweets_by(x_account.brand)
    assert len(x_account.writes()) == 1 and len(tweets) == 1
    assert the_target.external_id == tweets[0]["id"]
    assert the_target.permalink.endswith(f"/status/{tweets[0]['id']}")
    assert Post.objects.get(pk=post.pk).status == P.PUBLISHED


def test_a_worker_killed_during_a_burst_is_read_back_under_the_posts_published_since(
    x_account, agent, manager
):
    """The burst goes on without the dead worker: more than 100 posts of the same account are published
    before its target is read back, so X's latest 100 no longer include it. The read-back pages back to the
    time the step began, finds it, and nothing goes out twice. The dispatcher's ticks are the beat's code,
    run here with the clock moved on, since its timers (lease, stale publishing) are minutes long."""
    burst = 111
    with x_account.lock:
        x_account.limits["tweets"] = 1000  # the account's write window is not what this test is about
    posts = [
        scheduled_post([x_account.channel], agent, manager, text=f"Advent calendar, day {n}")
        for n in range(burst)
    ]
    for post in posts:
        make_due(post)
    post_ids = [post.pk for post in posts]
    # The first publish is slow to answer: the first worker is surely on the wire when it is killed, and X
    # applies that post after the worker is gone.
    x_account.inject(Fault(path_pattern=r"^/2/tweets$", method="POST", kind="delay", seconds=3))
    first = _start_worker()
    try:
        assert len(services.targets_dispatch_due()) == burst  # chunks of 10: the burst path
        wait_for(lambda: len(x_account.writes()) == 1, 60, "the first publish to reach X", log=LOG)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop_worker(first)
    lost = PostTarget.objects.get(post_id__in=post_ids, status=T.PUBLISHING)
    wait_for(lambda: len(x_account.tweets_by(x_account.brand)) == 1, 10, "X to apply the lost post", log=LOG)

    workers = [_start_worker(), _start_worker()]
    try:
        # The dead worker took chunks with it: their lease runs out and the next tick hands them out again.
        services.targets_dispatch_due(now=timezone.now() + services.DISPATCH_LEASE + dt.timedelta(seconds=1))
        wait_for(
            lambda: _statuses(post_ids)[T.PUBLISHED] == burst - 1,
            180,
            lambda: f"the rest of the burst published (now {dict(_statuses(post_ids))})",
            log=LOG,
        )
        assert len(x_account.tweets_by(x_account.brand)) == burst  # 110 newer than the lost one
        later = timezone.now() + services.PUBLISHING_STALE + dt.timedelta(seconds=1)
        services.targets_dispatch_due(now=later)
        assert PostTarget.objects.get(pk=lost.pk).status == T.UNKNOWN
        assert services.targets_dispatch_due(now=later + services.RECONCILE_DELAY) == [lost.pk]
        wait_for(
            lambda: PostTarget.objects.get(pk=lost.pk).status != T.UNKNOWN,
            60,
            "the lost post read back",
            log=LOG,
        )
    finally:
        for worker in workers:
            stop_worker(worker)
    lost.refresh_from_db()
    tweets = x_account.tweets_by(x_account.brand)
    assert lost.status == T.PUBLISHED, lost.error
    assert len(x_account.writes()) == burst and len(tweets) == burst
    assert sorted(t["text"] for t in tweets) == sorted(f"Advent calendar, day {n}" for n in range(burst))
    assert lost.external_id == next(t["id"] for t in tweets if t["text"] == lost.post.text)
    assert set(Post.objects.filter(pk__in=post_ids).values_list("status", flat=True)) == {P.PUBLISHED}

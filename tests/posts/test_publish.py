"""Publishing through the production providers against the network fakes over real HTTP: success, each
failure class, unknown outcomes settled by reading the channel back, lost workers, missed posts, partial
success, and two workers racing. The one promise tested everywhere: the fake records every write, and each
target is written exactly once."""

from __future__ import annotations

import datetime as dt
import io
import threading
from urllib.parse import urlsplit

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone
from PIL import Image

from networks import registry
from networks.fakes.base import Fault
from networks.fakes.graph import graph_error_fault
from networks.models import Channel
from notifications.models import Notification
from posts import services, tasks
from posts.models import Post, PostTarget, PublishingPolicy, Rendition
from posts.services import dispatch
from posts.states import IllegalTransition

P = Post.Status
T = PostTarget.Status


def member(user):
    return user.memberships.get()


def scheduled_post(channels, agent, manager, *, text="Fresh croissants at 8!", media=()) -> Post:
    post = services.post_create(author=member(agent), text=text, channels=channels, media=media)
    services.post_submit(post=post, by=member(agent))
    services.review_approve(post=post, by=member(manager))
    return services.post_schedule(
        post=post, by=member(agent), scheduled_at=timezone.now() + dt.timedelta(hours=1)
    )


def make_due(post: Post, *, ago: dt.timedelta = dt.timedelta(0)) -> None:
    """Time passes: the scheduled time (or a retry's backoff) is reached."""
    when = timezone.now() - ago
    Post.objects.filter(pk=post.pk).update(scheduled_at=when)
    PostTarget.objects.filter(post=post, status__in=[T.SCHEDULED, T.UNKNOWN]).update(next_attempt_at=when)


def target(post: Post, channel: Channel) -> PostTarget:
    return PostTarget.objects.get(post=post, channel=channel)


def enqueued(broker) -> list[int]:
    """The targets handed to publish_target so far."""
    return broker.ids("posts.publish_target")


def chunks(broker) -> list[list[int]]:
    """The burst chunks handed to publish_targets so far."""
    return broker.ids("posts.publish_targets")


# --- Success -----------------------------------------------------------------------------------------------


def test_a_burst_is_enqueued_in_chunks_of_one_channel_and_a_few_due_one_by_one(
    x_account, facebook_account, agent, manager, monkeypatch, broker, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(dispatch, "BURST_SIZE", 4)
    monkeypatch.setattr(dispatch, "PUBLISH_CHUNK", 2)
    few = [scheduled_post([x_account.channel], agent, manager, text=f"Few {n}") for n in range(2)]
    for post in few:
        make_due(post)
    with django_capture_on_commit_callbacks(execute=True):
        services.targets_dispatch_due()
    few_ids = sorted(target(post, x_account.channel).pk for post in few)
    assert sorted(enqueued(broker)) == few_ids and chunks(broker) == []

    broker.messages.clear()
    burst = [
        scheduled_post([x_account.channel, facebook_account.channel], agent, manager, text=f"Burst {n}")
        for n in range(3)
    ]
    for post in burst:
        make_due(post)
    with django_capture_on_commit_callbacks(execute=True):
        dispatched = services.targets_dispatch_due()
    singles, sent_chunks = enqueued(broker), chunks(broker)
    # 3 per channel, at most 2 per task: a chunk of 2 and a lone one (its own publish_target) per channel.
    assert len(dispatched) == 6 and [len(chunk) for chunk in sent_chunks] == [2, 2] and len(singles) == 2
    channel_of = dict(PostTarget.objects.values_list("pk", "channel_id"))
    assert all(len({channel_of[pk] for pk in chunk}) == 1 for chunk in sent_chunks)
    assert sorted([pk for chunk in sent_chunks for pk in chunk] + singles) == sorted(dispatched)

    tasks.publish_targets.run(sent_chunks[0])
    tasks.publish_targets.run(sent_chunks[0])  # delivered twice: nothing more happens
    assert {PostTarget.objects.get(pk=pk).status for pk in sent_chunks[0]} == {T.PUBLISHED}
    assert len(x_account.writes()) + len(facebook_account.writes()) == len(sent_chunks[0])


def test_a_chunk_reads_its_channel_once_not_once_per_target(x_account, agent, manager, broker):
    from django.test.utils import CaptureQueriesContext

    posts = [scheduled_post([x_account.channel], agent, manager, text=f"Once {n}") for n in range(4)]
    for post in posts:
        make_due(post)
    ids = [target(post, x_account.channel).pk for post in posts]

    with CaptureQueriesContext(connection) as queries:
        tasks.publish_targets.run(ids)

    assert {PostTarget.objects.get(pk=pk).status for pk in ids} == {T.PUBLISHED}
    reading_channels = [q["sql"] for q in queries if '"networks_channel"' in q["sql"]]
    assert len(reading_channels) == 1, reading_channels


def test_a_failing_step_in_a_chunk_holds_up_none_of_the_others(x_account, agent, manager, broker):
    posts = [scheduled_post([x_account.channel], agent, manager, text=f"Chunk {n}") for n in range(3)]
    for post in posts:
        make_due(post)
    ids = [target(post, x_account.channel).pk for post in posts]
    # The middle target's channel cannot be built into a client: its step fails it, then raises.
    broken = Channel.objects.create(
        workspace=x_account.channel.workspace, network="myspace", external_id="b", name="Broken"
    )
    PostTarget.objects.filter(pk=ids[1]).update(channel=broken)

    tasks.publish_targets.run(ids)

    assert [PostTarget.objects.get(pk=pk).status for pk in ids] == [T.PUBLISHED, T.FAILED, T.PUBLISHED]
    assert enqueued(broker) == []  # failed with its reason shown; a person retries it
    assert len(x_account.writes()) == 2


def test_a_chunk_out_of_time_hands_the_targets_not_started_to_their_own_tasks(
    x_account, agent, manager, monkeypatch, broker, django_capture_on_commit_callbacks
):
    posts = [scheduled_post([x_account.channel], agent, manager, text=f"Late chunk {n}") for n in range(3)]
    for post in posts:
        make_due(post)
    ids = [target(post, x_account.channel).pk for post in posts]
    process = services.target_process

    def out_of_time_on_the_second(target_id, **kwargs):
        if target_id == ids[1]:
            raise SoftTimeLimitExceeded()  # what Celery raises in the task when its soft limit passes
        return process(target_id, **kwargs)

    monkeypatch.setattr(services, "target_process", out_of_time_on_the_second)
    with django_capture_on_commit_callbacks(execute=True):  # a task runs outside any transaction
        tasks.publish_targets.run(ids)
    assert PostTarget.objects.get(pk=ids[0]).status == T.PUBLISHED
    assert sorted(enqueued(broker)) == sorted([ids[1], ids[2]])  # never claimed: each gets its own task now


def test_a_due_post_is_dispatched_once_and_published_to_x(
    x_account, agent, manager, broker, django_capture_on_commit_callbacks
):
    post = scheduled_post([x_account.channel], agent, manager)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.targets_dispatch_due() == []  # not due yet
    make_due(post)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.dispatch_due_targets.run()
        tasks.dispatch_due_targets.run()  # the next tick: the target is leased, not enqueued twice
    the_target = target(post, x_account.channel)
    assert enqueued(broker) == [the_target.pk]

    tasks.publish_target.run(the_target.pk)
    tasks.publish_target.run(the_target.pk)  # delivered twice: nothing happens the second time

    the_target.refresh_from_db()
    tweets = x_account.tweets_by(x_account.brand)
    assert len(x_account.writes()) == 1 and [t["text"] for t in tweets] == ["Fresh croissants at 8!"]
    assert the_target.status == T.PUBLISHED and the_target.external_id == tweets[0]["id"]
    assert the_target.permalink == f"https://x.com/acmebakery/status/{tweets[0]['id']}"
    assert the_target.published_at is not None
    assert Post.objects.get(pk=post.pk).status == P.PUBLISHED


def jpeg(width=1200, height=800) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_post_with_an_image_is_published_to_facebook_from_a_signed_rendition(
    facebook_account, agent, manager
):
    asset = services.media_upload(
        member=member(agent), name="croissant.jpg", data=jpeg(), alt_text="A croissant"
    )
    post = scheduled_post([facebook_account.channel], agent, manager, media=[asset])
    make_due(post)

    assert services.target_process(target(post, facebook_account.channel).pk) == T.PUBLISHED

    the_target = target(post, facebook_account.channel)
    assert len(facebook_account.writes()) == 1 and the_target.external_id
    assert the_target.permalink.startswith("https://www.facebook.com/")
    photos = [r.form() for r in facebook_account.requests if r.path.endswith("/777/photos")]
    assert len(photos) == 1 and photos[0]["alt_text_custom"] == "A croissant"
    # Facebook fetches the image itself: the URL it got serves the stored rendition, nothing else.
    rendition = Rendition.objects.get(asset=asset, network="facebook")
    served = Client().get(urlsplit(photos[0]["url"]).path)
    assert served.status_code == 200 and b"".join(served.streaming_content) == rendition.file.read()
    assert rendition.width <= 2048 and rendition.mime == "image/jpeg"


def test_comments_under_a_post_we_published_are_about_its_words_and_picture(facebook_account, agent, manager):
    from inbox import selectors
    from inbox.ingest import message_ingest_batch
    from inbox.models import Conversation
    from networks.providers import base as p

    asset = services.media_upload(member=member(agent), name="croissant.jpg", data=jpeg(), alt_text="")
    post = scheduled_post(
        [facebook_account.channel], agent, manager, text="Fresh croissants at 8!\nAll day.", media=[asset]
    )
    make_due(post)
    assert services.target_process(target(post, facebook_account.channel).pk) == T.PUBLISHED
    published = target(post, facebook_account.channel)

    comment = p.EngagementItem(
        network=p.Network.FACEBOOK,
        external_id="c-under-ours",
        kind=p.ItemKind.COMMENT,
        text="Gluten free too?",
        created_at=timezone.now(),
        author=p.Author("fan", name="Léa"),
        post_external_id=published.external_id,  # a payload without the post's words
        thread_root_external_id="c-under-ours",
    )
    message_ingest_batch(channel=facebook_account.channel, items=[comment])

    conversation = Conversation.objects.get(root_external_id="c-under-ours")
    context = selectors.post_context(conversation)
    assert context["post_first_line"] == "Fresh croissants at 8!"
    assert context["post_link"] == published.permalink
    assert context["post_picture"].startswith("/") and asset.upload.name not in context["post_picture"]
    assert Client().get(context["post_picture"]).status_code == 200


# --- Failures ----------------------------------------------------------------------------------------------


def test_a_refused_post_fails_with_the_networks_words_and_is_not_retried(
    facebook_account, agent, manager, broker, django_capture_on_commit_callbacks
):
    facebook_account.inject(
        graph_error_fault(r"/777/feed$", code=100, message="(#100) Blocked link", method="POST")
    )
    post = scheduled_post([facebook_account.channel], agent, manager)
    make_due(post)
    assert services.target_process(target(post, facebook_account.channel).pk) == T.FAILED
    the_target = target(post, facebook_account.channel)
    assert the_target.error == "(#100) Blocked link" and the_target.next_attempt_at is None
    assert Post.objects.get(pk=post.pk).status == P.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        services.targets_dispatch_due(now=timezone.now() + dt.timedelta(days=1))
    assert enqueued(broker) == [] and len(facebook_account.writes()) == 1


def test_server_errors_back_off_then_fail_after_five_attempts(x_account, agent, manager):
    x_account.server_error("/2/tweets$", status=503, times=10)
    post = scheduled_post([x_account.channel], agent, manager)
    make_due(post)
    tid = target(post, x_account.channel).pk
    for attempt in range(1, services.MAX_ATTEMPTS):
        assert services.target_process(tid) == T.SCHEDULED
        the_target = PostTarget.objects.get(pk=tid)
        assert the_target.attempts == attempt and the_target.next_attempt_at > timezone.now()
        assert Post.objects.get(pk=post.pk).status == P.PUBLISHING
        assert services.target_process(tid) is None  # not due: nobody publishes it early
        make_due(post)
    assert services.target_process(tid) == T.FAILED
    assert len(x_account.writes()) == services.MAX_ATTEMPTS and x_account.tweets_by(x_account.brand) == []
    assert Post.objects.get(pk=post.pk).status == P.FAILED


def test_a_rate_limited_post_waits_for_the_reset(x_account, agent, manager):
    reset = x_account.rate_limited("/2/tweets$", reset_in=600)
    post = scheduled_post([x_account.channel], agent, manager)
    make_due(post)
    tid = target(post, x_account.channel).pk
    assert services.target_process(tid) == T.SCHEDULED
    the_target = PostTarget.objects.get(pk=tid)
    assert abs(the_target.next_attempt_at.timestamp() - reset) <= 2 and the_target.attempts == 0
    assert services.targets_dispatch_due() == []  # not before the reset
    make_due(post)
    assert services.target_process(tid) == T.PUBLISHED
    assert len(x_account.tweets_by(x_account.brand)) == 1


def test_an_expired_token_fails_the_target_and_asks_for_a_reconnect(
    x_account, agent, manager, owner, django_capture_on_commit_callbacks
):
    x_account.unauthorized("/2/tweets$")
    post = scheduled_post([x_account.channel], agent, manager)
    make_due(post)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.target_process(target(post, x_account.channel).pk) == T.FAILED
    assert Channel.objects.get(pk=x_account.channel.pk).status == Channel.Status.NEEDS_RECONNECT
    post.refresh_from_db()
    assert post.status == P.FAILED and "reconnect" in post.last_error
    assert "reconnect" in target(post, x_account.channel).error
    assert [m.to for m in mail.outbox if "Reconnect" in m.subject] == [[owner.email]]


# --- Unknown outcomes --------------------------------------------------------------------------------------


def test_a_post_whose_answer_was_lost_is_found_by_reading_back_not_sent_again(x_account, agent, manager):
    x_account.drop_after("/2/tweets$")
    post = scheduled_post([x_account.channel], agent, manager)
    make_due(post)
    tid = target(post, x_account.channel).pk
    assert services.target_process(tid) == T.UNKNOWN
    assert services.target_publish(tid) is None  # an unknown target is never simply published again
    assert services.targets_dispatch_due() == []  # read back only after the network had time to index it
    make_due(post)

    assert services.target_process(tid) == T.PUBLISHED

    tweets = x_account.tweets_by(x_account.brand)
    assert len(x_account.writes()) == 1 and len(tweets) == 1
    assert PostTarget.objects.get(pk=tid).external_id == tweets[0]["id"]
    assert Post.objects.get(pk=post.pk).status == P.PUBLISHED


def test_a_worker_killed_after_the_claim_is_settled_and_published_once(x_account, agent, manager):
    """The claim happened, then the worker died before its request left: read back, not there, publish."""
    post = scheduled_post([x_account.channel], agent, manager)
    make_due(post)
    tid = target(post, x_account.channel).pk
    assert services.target_claim(tid)
    assert services.targets_dispatch_due() == []  # still inside the publish's time limit
    ids = services.targets_dispatch_due(
        now=timezone.now() + services.PUBLISHING_STALE + dt.timedelta(seconds=1)
    )
    assert ids == [] and PostTarget.objects.get(pk=tid).status == T.UNKNOWN
    make_due(post)
    assert services.target_process(tid) == T.PUBLISHED
    assert len(x_account.writes()) == 1


def test_a_publish_interrupted_on_our_side_is_read_back_at_its_due_time(
    x_account, agent, manager, monkeypatch
):
    """A bug or the time limit while the request may have left: unknown, and due for a read back later,
    never left without a due time (the dispatcher would never see it again)."""
    post = scheduled_post([x_account.channel], agent, manager)
    make_due(post)
    tid = target(post, x_account.channel).pk

    def interrupted(self, **kwargs):
        raise RuntimeError("time limit")

    monkeypatch.setattr(type(registry.build_provider(x_account.channel, http=None)), "publish", interrupted)
    with pytest.raises(RuntimeError):
        services.target_process(tid)
    stuck = PostTarget.objects.get(pk=tid)
    assert stuck.status == T.UNKNOWN and stuck.next_attempt_at is not None
    monkeypatch.undo()
    assert services.targets_dispatch_due() == []  # the network gets time to index it first
    later = timezone.now() + services.RECONCILE_DELAY + dt.timedelta(seconds=1)
    assert services.targets_dispatch_due(now=later) == [tid]


def test_a_worker_killed_after_the_write_is_settled_without_a_second_write(x_account, agent, manager):
    post = scheduled_post([x_account.channel], agent, manager, text="Landed before the crash")
    make_due(post)
    tid = target(post, x_account.channel).pk
    assert services.target_claim(tid)
    x_account.add_tweet(x_account.brand, "Landed before the crash")  # what the dead worker's request did
    PostTarget.objects.filter(pk=tid).update(next_attempt_at=timezone.now() - services.PUBLISHING_STALE * 2)
    services.targets_dispatch_due()
    make_due(post)
    assert services.target_process(tid) == T.PUBLISHED
    assert x_account.writes() == [] and len(x_account.tweets_by(x_account.brand)) == 1


# --- Missed, partial success, retries ----------------------------------------------------------------------


def test_a_post_due_past_the_grace_period_is_missed_not_published(
    workspace, x_account, agent, manager, broker, django_capture_on_commit_callbacks
):
    PublishingPolicy.objects.create(workspace=workspace, missed_grace_minutes=30)
    late = scheduled_post([x_account.channel], agent, manager, text="Late but fine")
    make_due(late, ago=dt.timedelta(minutes=20))
    missed = scheduled_post([x_account.channel], agent, manager, text="Too late")
    make_due(missed, ago=dt.timedelta(minutes=45))
    queued = scheduled_post([x_account.channel], agent, manager, text="Enqueued, then the workers stopped")

    with django_capture_on_commit_callbacks(execute=True):
        services.targets_dispatch_due()

    assert enqueued(broker) == [target(late, x_account.channel).pk]
    assert target(missed, x_account.channel).status == T.MISSED
    assert Post.objects.get(pk=missed.pk).status == P.FAILED
    # Its author hears of it, as of a failure.
    assert Notification.objects.filter(recipient=agent, kind=Notification.Kind.POST_FAILED).count() == 1
    assert services.target_process(target(missed, x_account.channel).pk) is None
    # A task that waited in the queue until the grace ran out does not publish it either.
    make_due(queued, ago=dt.timedelta(minutes=45))
    assert services.target_process(target(queued, x_account.channel).pk) == T.MISSED
    assert services.target_process(enqueued(broker)[0]) == T.PUBLISHED
    assert [t["text"] for t in x_account.tweets_by(x_account.brand)] == ["Late but fine"]


def test_partial_success_then_retry_of_the_failed_target_only(x_account, facebook_account, agent, manager):
    facebook_account.inject(
        graph_error_fault(r"/777/feed$", code=368, message="(#368) Temporarily blocked", method="POST")
    )
    post = scheduled_post([x_account.channel, facebook_account.channel], agent, manager)
    make_due(post)
    for t in post.targets.all():
        services.target_process(t.pk)
    assert Post.objects.get(pk=post.pk).status == P.PARTIALLY_PUBLISHED
    failed = target(post, facebook_account.channel)
    assert failed.status == T.FAILED

    with pytest.raises(IllegalTransition):
        services.target_retry(target=target(post, x_account.channel), by=member(agent))
    services.target_retry(target=failed, by=member(agent))
    assert Post.objects.get(pk=post.pk).status == P.PUBLISHING
    assert services.target_process(failed.pk) == T.PUBLISHED

    assert Post.objects.get(pk=post.pk).status == P.PUBLISHED
    assert len(x_account.writes()) == 1 and len(facebook_account.writes()) == 2


def test_a_cancelled_post_is_never_published(x_account, agent, manager):
    post = scheduled_post([x_account.channel], agent, manager)
    tid = target(post, x_account.channel).pk
    services.post_cancel(post=post, by=member(agent))
    make_due(post)
    assert services.target_process(tid) is None and x_account.writes() == []


# --- Concurrency -------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers: no real race to test (PostgreSQL only)",
)
def test_two_workers_racing_on_one_target_publish_it_once(x_account, agent, manager):
    post = scheduled_post([x_account.channel], agent, manager)
    make_due(post)
    tid = target(post, x_account.channel).pk
    barrier = threading.Barrier(4)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(services.target_process(tid))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [None, None, None, T.PUBLISHED], results
    assert len(x_account.writes()) == 1 and len(x_account.tweets_by(x_account.brand)) == 1


def test_a_slow_answer_with_a_timeout_is_settled_by_reading_back(x_account, agent, manager):
    """X applies the post after our client gave up waiting: Ambiguous, then found."""
    from core.http import make_client

    x_account.inject(Fault("/2/tweets$", kind="delay", seconds=1.0, method="POST"))
    post = scheduled_post([x_account.channel], agent, manager)
    make_due(post)
    tid = target(post, x_account.channel).pk
    with make_client(timeout=0.3) as impatient:
        assert services.target_process(tid, http=impatient) == T.UNKNOWN
    import time

    deadline = time.monotonic() + 10
    while not x_account.tweets_by(x_account.brand) and time.monotonic() < deadline:
        time.sleep(0.05)
    make_due(post)
    assert services.target_process(tid) == T.PUBLISHED
    assert len(x_account.writes()) == 1


def test_a_post_for_such_a_channel_fails_once_and_is_never_sent(x_account, agent, manager, settings):
    """The HTTP client refuses a private address nobody listed before the token leaves (tests/networks/
    test_admin_hosts.py): for a publish that is a plain failure, never an unclear attempt to settle."""
    post = scheduled_post([x_account.channel], agent, manager, text="Galette des rois is back!")
    make_due(post)
    settings.CMHUB_ALLOWED_API_HOSTS = []

    assert services.target_process(target(post, x_account.channel).pk) == T.FAILED
    assert "private or reserved network address" in target(post, x_account.channel).error
    assert x_account.requests == []

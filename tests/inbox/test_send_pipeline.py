"""Sending replies through the production providers against the network fakes over real HTTP: success,
every failure class, unknown outcomes settled by reading the thread back, the claim under concurrent
workers (threads on PostgreSQL, a real Celery worker), a broker outage, the dispatcher, and our own echo.

The one promise tested everywhere: the fake records every write, and a reply is written exactly once."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from core.http import make_client
from inbox import replies, tasks
from inbox.models import Conversation, Message
from inbox.replies import sending
from networks import services
from networks import tasks as network_tasks
from networks.fakes.base import Fault
from networks.fakes.graph import GraphFake, drop_after_fault, expired_token_fault, graph_error_fault
from networks.fakes.x import XFake
from networks.models import Channel
from networks.providers import base as p
from tests.publishing_fakes import facebook_channel

ROOT = Path(__file__).resolve().parents[2]
S = Message.SendStatus


# --- Worlds: a channel wired to a fake, and one conversation polled from it ---------------------------------


class World:
    def __init__(self, fake, channel: Channel, conversation: Conversation, write_path: str):
        self.fake = fake
        self.channel = channel
        self.conversation = conversation
        self.write_path = write_path  # the path of the reply write, to count what the network received

    def writes(self) -> list:
        return [r for r in self.fake.requests if r.method == "POST" and r.path.endswith(self.write_path)]


@pytest.fixture
def x_world(workspace, owner):
    with XFake() as fake:
        # The fake dates new tweets from a fixed clock (January 2026) unless told otherwise; reading a reply
        # back compares the network's times with ours, so its clock must be ours.
        fake._clock = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        brand = fake.add_user("acmebakery", "Acme Bakery")
        fan = fake.add_user("lea", "Léa Martin")
        token = fake.issue_token(brand, scopes=("tweet.read", "users.read", "tweet.write"))
        channel = services.channel_connect(
            workspace=workspace,
            network="x",
            external_id=brand,
            name="Acme on X",
            handle="acmebakery",
            api_base_url=fake.base_url,
            credentials=p.Credentials(access_token=token["access_token"]),
            by=owner,
        )
        fake.mention = fake.add_mention(brand, fan, "@acmebakery open on Sunday?")
        fake.brand = brand
        fake.token = token["access_token"]
        network_tasks.poll_once(channel)
        yield World(fake, channel, Conversation.objects.get(channel=channel), "/2/tweets")


@pytest.fixture
def graph_world(workspace, owner):
    with GraphFake() as fake:
        page = fake.add_page("Acme Bakery", page_id="777")
        post = fake.add_post(page.id, "New croissants today")
        fake.comment = fake.add_comment(post.id, "Vous livrez à Lyon ?", author={"id": "fan1", "name": "Léa"})
        fake.page = page
        channel = facebook_channel(fake, page, workspace, owner)
        network_tasks.poll_once(channel)
        yield World(fake, channel, Conversation.objects.get(channel=channel), f"/{fake.comment.id}/comments")


def create(world: World, member_user, text: str = "Yes, 8 to 12!") -> Message:
    conversation = Conversation.objects.select_related("channel").get(pk=world.conversation.pk)
    version = (
        Message.objects.filter(conversation=conversation).order_by("-pk").values_list("pk", flat=True)[0]
    )
    return replies.reply_create(
        conversation=conversation, author=member_user.memberships.get(), text=text, thread_version=version
    )


def make_due(message: Message) -> None:
    """Time passes: the backoff or the rate-limit reset is over."""
    Message.objects.filter(pk=message.pk).update(next_step_at=timezone.now())


# --- Success ------------------------------------------------------------------------------------------------


def test_a_reply_is_sent_to_x_once_with_the_network_id_stored(x_world, agent):
    conversation = x_world.conversation
    before = Conversation.objects.get(pk=conversation.pk)
    message = create(x_world, agent)
    assert message.send_status == S.QUEUED and message.external_id is None

    assert replies.reply_send(message.pk) == replies.SendOutcome(S.SENT)

    [write] = x_world.writes()
    assert write.json() == {"text": "Yes, 8 to 12!", "reply": {"in_reply_to_tweet_id": x_world.fake.mention}}
    [tweet] = x_world.fake.tweets_by(x_world.fake.brand)
    message.refresh_from_db()
    assert (message.send_status, message.external_id, message.send_error) == (S.SENT, tweet["id"], "")
    assert message.permalink == f"https://x.com/acmebakery/status/{tweet['id']}"
    assert message.sent_at is not None
    after = Conversation.objects.get(pk=conversation.pk)
    assert after.first_response_at == message.sent_at
    assert after.message_count == before.message_count + 1
    assert after.preview == "Yes, 8 to 12!" and after.updated_at > before.updated_at
    # A second delivery of the task, or a second worker: nothing left to claim.
    assert replies.reply_send(message.pk) is None
    assert len(x_world.writes()) == 1


def test_a_reply_is_sent_to_facebook_and_its_echo_in_the_next_poll_is_skipped(graph_world, agent):
    message = create(graph_world, agent, "Oui, dans tout Lyon.")

    assert replies.reply_send(message.pk).status == S.SENT

    assert len(graph_world.writes()) == 1
    ours = [
        c
        for c in graph_world.fake.objects.values()
        if getattr(c, "author", None) == {"id": "777", "name": "Acme Bakery"}
    ]
    assert [c.message for c in ours] == ["Oui, dans tout Lyon."]
    message.refresh_from_db()
    assert message.external_id == ours[0].id and message.permalink.startswith("https://www.facebook.com/")
    conversation = Conversation.objects.get(pk=graph_world.conversation.pk)
    assert conversation.first_response_at is not None and conversation.message_count == 2

    # The next poll reads our comment back: known by its id, it is not stored a second time.
    graph_world.channel.refresh_from_db()
    network_tasks.poll_once(graph_world.channel)
    assert Message.objects.filter(conversation=conversation).count() == 2
    assert Conversation.objects.get(pk=conversation.pk).message_count == 2


def test_the_first_response_time_is_kept_by_later_replies(x_world, agent):
    first = create(x_world, agent, "First answer")
    replies.reply_send(first.pk)
    answered_at = Conversation.objects.get(pk=x_world.conversation.pk).first_response_at
    second = create(x_world, agent, "Second answer")
    replies.reply_send(second.pk)
    assert Conversation.objects.get(pk=x_world.conversation.pk).first_response_at == answered_at


# --- Failures -----------------------------------------------------------------------------------------------


def test_server_errors_are_retried_with_backoff_then_fail_after_five_attempts(x_world, agent):
    x_world.fake.server_error("/2/tweets$", status=503, times=10)
    message = create(x_world, agent)
    waits = []
    for attempt in range(1, replies.MAX_ATTEMPTS):
        outcome = replies.reply_send(message.pk)
        assert outcome.status == S.QUEUED
        waits.append(outcome.retry_in)
        message.refresh_from_db()
        assert message.send_attempts == attempt and message.next_step_at > timezone.now()
        assert replies.reply_send(message.pk) is None  # not due yet: nobody sends it early
        make_due(message)
    cap = replies.POLICY.backoff_cap.total_seconds() * 1.2  # jitter included
    assert waits == sorted(waits) and all(0 < w <= cap for w in waits)

    assert replies.reply_send(message.pk).status == S.FAILED
    message.refresh_from_db()
    assert message.send_status == S.FAILED and message.send_attempts == replies.MAX_ATTEMPTS
    assert "Service Unavailable" in message.send_error
    assert len(x_world.writes()) == replies.MAX_ATTEMPTS
    assert x_world.fake.tweets_by(x_world.fake.brand) == []


def test_a_retry_is_handed_out_by_the_dispatcher_when_it_is_due_and_once(
    x_world, agent, broker, django_capture_on_commit_callbacks
):
    """The database is the schedule: a retry waits in its row, not in a broker countdown."""
    x_world.fake.server_error("/2/tweets$", times=1)
    with django_capture_on_commit_callbacks(execute=True):
        message = create(x_world, agent)
    assert broker.ids("inbox.send_reply") == [message.pk]  # a new reply goes at once

    tasks.send_reply.run(message.pk)  # X answers 503: queued again, due after a backoff
    message.refresh_from_db()
    assert message.send_status == S.QUEUED and message.next_step_at > timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_replies.run() == 0  # not due yet
    due = message.next_step_at + dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert replies.replies_dispatch_due(now=due) == [message.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert replies.replies_dispatch_due(now=due) == []  # handed out under a lease: not twice
    assert broker.ids("inbox.send_reply") == [message.pk, message.pk]

    make_due(message)
    tasks.send_reply.run(message.pk)
    assert Message.objects.get(pk=message.pk).send_status == S.SENT
    assert len(x_world.writes()) == 2


def test_a_refused_reply_fails_with_the_networks_words(graph_world, agent):
    graph_world.fake.inject(
        graph_error_fault(
            rf"/{graph_world.fake.comment.id}/comments$",
            code=100,
            message="(#100) Comment text contains a blocked link",
            method="POST",
        )
    )
    message = create(graph_world, agent)

    assert replies.reply_send(message.pk).status == S.FAILED

    message.refresh_from_db()
    assert message.send_status == S.FAILED
    assert message.send_error == "(#100) Comment text contains a blocked link"
    assert replies.reply_process(message.pk) is None  # failed replies wait for a person


def test_a_rate_limited_reply_waits_for_the_reset_then_goes(x_world, agent):
    reset = x_world.fake.rate_limited("/2/tweets$", reset_in=120)
    message = create(x_world, agent)

    outcome = replies.reply_send(message.pk)

    assert outcome.status == S.QUEUED and 100 < outcome.retry_in <= 125
    message.refresh_from_db()
    assert abs(message.next_step_at.timestamp() - reset) <= 2 and message.send_attempts == 0
    assert "wait" in message.send_error
    assert replies.reply_process(message.pk).status == S.QUEUED  # not yet
    make_due(message)
    assert replies.reply_process(message.pk).status == S.SENT
    assert len(x_world.fake.tweets_by(x_world.fake.brand)) == 1


def test_an_expired_token_fails_the_reply_and_asks_for_a_reconnect(
    x_world, agent, owner, django_capture_on_commit_callbacks
):
    x_world.fake.unauthorized("/2/tweets$")
    message = create(x_world, agent)

    with django_capture_on_commit_callbacks(execute=True):
        assert replies.reply_send(message.pk).status == S.FAILED

    message.refresh_from_db()
    assert message.send_status == S.FAILED and "reconnect" in message.send_error
    x_world.channel.refresh_from_db()
    assert x_world.channel.status == Channel.Status.NEEDS_RECONNECT
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert x_world.fake.tweets_by(x_world.fake.brand) == []


def test_an_expired_facebook_token_fails_the_reply_too(graph_world, agent):
    graph_world.fake.inject(expired_token_fault(rf"/{graph_world.fake.comment.id}/comments$", method="POST"))
    message = create(graph_world, agent)
    assert replies.reply_send(message.pk).status == S.FAILED
    graph_world.channel.refresh_from_db()
    assert graph_world.channel.status == Channel.Status.NEEDS_RECONNECT


# --- Unknown outcomes: read the thread back before anything else --------------------------------------------


@pytest.mark.parametrize("world_name", ["x_world", "graph_world"])
def test_a_reply_whose_answer_was_lost_is_found_on_the_network_and_never_sent_twice(
    world_name, request, agent
):
    world = request.getfixturevalue(world_name)
    if world_name == "x_world":
        world.fake.drop_after("/2/tweets$")
    else:
        world.fake.inject(drop_after_fault(rf"/{world.fake.comment.id}/comments$"))
    message = create(world, agent, "Merci, à bientôt !")

    outcome = replies.reply_send(message.pk)

    assert outcome == replies.SendOutcome(S.UNKNOWN, replies.RECONCILE_DELAY)
    message.refresh_from_db()
    assert (message.send_status, message.send_attempts, message.external_id) == (S.UNKNOWN, 1, None)
    assert replies.reply_send(message.pk) is None  # an unknown reply is never simply sent again

    make_due(message)  # the reconcile delay passes: the network has indexed it
    assert replies.reply_process(message.pk).status == S.SENT

    message.refresh_from_db()
    assert message.send_status == S.SENT and message.external_id
    assert len(world.writes()) == 1
    assert Conversation.objects.get(pk=world.conversation.pk).first_response_at is not None


def test_a_reply_that_timed_out_after_leaving_is_settled_by_reading_back(x_world, agent):
    x_world.fake.inject(Fault("/2/tweets$", kind="delay", seconds=1.0, method="POST"))
    message = create(x_world, agent)

    with make_client(timeout=0.3) as impatient:
        assert replies.reply_send(message.pk, http=impatient).status == S.UNKNOWN
    deadline = time.monotonic() + 10
    while not x_world.fake.tweets_by(x_world.fake.brand) and time.monotonic() < deadline:
        time.sleep(0.05)  # X applies it after our client gave up

    make_due(message)  # the reconcile delay passes: the network has indexed it
    assert replies.reply_process(message.pk).status == S.SENT
    assert (
        Message.objects.get(pk=message.pk).external_id == x_world.fake.tweets_by(x_world.fake.brand)[0]["id"]
    )
    assert len(x_world.writes()) == 1


def test_an_unknown_reply_that_never_landed_is_sent_once(x_world, agent):
    """A worker died after the claim but before its request left: the read finds nothing, so it goes."""
    message = create(x_world, agent)
    assert replies.reply_claim(message.pk)
    Message.objects.filter(pk=message.pk).update(send_status=S.UNKNOWN, send_attempts=1)

    assert replies.reply_process(message.pk).status == S.SENT

    assert len(x_world.writes()) == 1 and len(x_world.fake.tweets_by(x_world.fake.brand)) == 1


def test_a_reply_left_sending_by_a_dead_worker_is_swept_and_settled_without_a_second_write(x_world, agent):
    message = create(x_world, agent, "Posted just before the crash")
    assert replies.reply_claim(message.pk)
    # The dead worker's request reached X: the tweet exists, CM Hub never heard back.
    posted = x_world.fake.add_tweet(
        x_world.fake.brand, "Posted just before the crash", in_reply_to=x_world.fake.mention
    )

    assert replies.replies_dispatch_due() == []  # still within the send task's time limit: it may be alive
    claimed_at = timezone.now() - replies.SENDING_STALE - dt.timedelta(seconds=1)
    Message.objects.filter(pk=message.pk).update(next_step_at=claimed_at)  # time passes: the worker is gone
    assert replies.replies_dispatch_due() == []
    assert Message.objects.get(pk=message.pk).send_status == S.UNKNOWN  # read back after the delay
    later = timezone.now() + dt.timedelta(seconds=replies.RECONCILE_DELAY + 1)
    assert replies.replies_dispatch_due(now=later) == [message.pk]

    make_due(message)
    assert replies.reply_process(message.pk).status == S.SENT
    assert Message.objects.get(pk=message.pk).external_id == posted
    assert x_world.writes() == []


def test_our_echo_stored_by_a_poll_first_is_merged_into_the_reply(graph_world, agent):
    world = graph_world
    world.fake.inject(drop_after_fault(rf"/{world.fake.comment.id}/comments$"))
    message = create(world, agent, "Oui, dès demain.")
    assert replies.reply_send(message.pk).status == S.UNKNOWN
    # Before the reply is settled, a poll reads the Page's comment and stores it as an outbound message.
    world.channel.refresh_from_db()
    network_tasks.poll_once(world.channel)
    echo = Message.objects.exclude(pk=message.pk).get(conversation=world.conversation, direction="out")
    assert echo.author_user is None and Conversation.objects.get(pk=world.conversation.pk).message_count == 2

    make_due(message)  # the reconcile delay passes: the network has indexed it
    assert replies.reply_process(message.pk).status == S.SENT

    message.refresh_from_db()
    assert not Message.objects.filter(pk=echo.pk).exists()
    assert (message.external_id, message.created_at, message.author_user) == (
        echo.external_id,
        echo.created_at,
        agent,
    )
    assert Message.objects.filter(conversation=world.conversation).count() == 2  # the comment and our reply
    assert Conversation.objects.get(pk=world.conversation.pk).message_count == 2
    assert len(world.writes()) == 1


def test_two_replies_with_the_same_words_each_get_their_own_comment(graph_world, agent, manager):
    world = graph_world
    world.fake.inject(drop_after_fault(rf"/{world.fake.comment.id}/comments$", times=2))
    first = create(world, agent, "Merci !")
    second = create(world, manager, "Merci !")
    assert replies.reply_send(first.pk).status == S.UNKNOWN
    assert replies.reply_send(second.pk).status == S.UNKNOWN

    make_due(first)  # the reconcile delay passes: the network has indexed them
    make_due(second)
    assert replies.reply_process(first.pk).status == S.SENT
    assert replies.reply_process(second.pk).status == S.SENT

    ids = set(Message.objects.filter(pk__in=[first.pk, second.pk]).values_list("external_id", flat=True))
    page = {"id": "777", "name": "Acme Bakery"}
    written = {c.id for c in world.fake.objects.values() if getattr(c, "author", None) == page}
    assert ids == written and len(ids) == 2
    assert len(world.writes()) == 2


def test_an_id_already_held_by_another_reply_is_never_taken_from_it(x_world, agent):
    """Two reads settling two identical replies at once may both find the same post: the second to store
    it goes back to unknown (and reads again, that id excluded) instead of replacing the first."""
    first, second = create(x_world, agent, "Same words"), create(x_world, agent, "Same words")
    replies.reply_send(first.pk)
    taken = Message.objects.get(pk=first.pk).external_id
    Message.objects.filter(pk=second.pk).update(send_status=S.UNKNOWN)

    outcome = sending._store_sent(Message.objects.get(pk=second.pk), p.PublishResult(taken))

    assert outcome.status == S.UNKNOWN
    assert Message.objects.get(pk=first.pk).external_id == taken
    assert Message.objects.get(pk=second.pk).external_id is None


def test_the_dispatcher_hands_out_due_work_no_lease_holds(x_world, agent):
    fresh = create(x_world, agent, "fresh")  # enqueued at once, under a lease
    lost = create(x_world, agent, "its enqueue was lost")
    waiting = create(x_world, agent, "unknown")
    later = create(x_world, agent, "a retry due later")
    past = timezone.now() - dt.timedelta(minutes=1)
    Message.objects.filter(pk=lost.pk).update(leased_until=past)
    Message.objects.filter(pk=waiting.pk).update(send_status=S.UNKNOWN, next_step_at=past, leased_until=None)
    Message.objects.filter(pk=later.pk).update(
        next_step_at=timezone.now() + dt.timedelta(minutes=5), leased_until=None
    )

    assert sorted(replies.replies_dispatch_due()) == sorted([lost.pk, waiting.pk])
    assert replies.replies_dispatch_due() == []  # now leased too
    assert fresh.pk not in replies.replies_dispatch_due(now=timezone.now() + dt.timedelta(seconds=30))


# --- The broker, the claim, and real concurrency ------------------------------------------------------------


def test_a_reply_queued_while_the_broker_was_down_is_sent_once_it_is_back(
    x_world, agent, broker, django_capture_on_commit_callbacks
):
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        message = create(x_world, agent)  # the enqueue fails after commit; the person sees no error
    assert Message.objects.get(pk=message.pk).send_status == S.QUEUED
    assert x_world.writes() == [] and broker.messages == []

    broker.down = False  # back; what it receives, a worker (here this process) runs
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_replies.run() == 0  # leased: a normal enqueue may still be on its way
    lease_over = timezone.now() + replies.DISPATCH_LEASE + dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert replies.replies_dispatch_due(now=lease_over) == [message.pk]
    for message_id in broker.ids("inbox.send_reply"):
        tasks.send_reply.run(message_id)
    with django_capture_on_commit_callbacks(execute=True):
        assert replies.replies_dispatch_due(now=lease_over) == []  # sent: nothing left to hand out

    assert Message.objects.get(pk=message.pk).send_status == S.SENT
    assert len(x_world.writes()) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_the_same_reply_send_it_once(x_world, agent):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises every writer: two threads cannot race for the claim there")
    message = create(x_world, agent)
    barrier = threading.Barrier(4)
    outcomes: list = []

    def worker() -> None:
        try:
            barrier.wait()
            outcomes.append(replies.reply_send(message.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(str(o) for o in outcomes) == sorted(["None"] * 3 + [str(replies.SendOutcome(S.SENT))])
    assert len(x_world.writes()) == 1
    assert Message.objects.get(pk=message.pk).send_status == S.SENT


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    return f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _start_worker(queue: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _database_url()}
    command = [sys.executable, "-m", "celery", "-A", "cmhub", "worker", "--pool=solo", f"--queues={queue}"]
    command += ["--without-gossip", "--without-mingle", "--loglevel=WARNING"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_workers_given_the_same_reply_twice_send_it_once(x_world, agent):
    queue = f"test-send-{uuid.uuid4().hex[:8]}"
    message = create(x_world, agent)
    workers = [_start_worker(queue), _start_worker(queue)]
    try:
        for _ in range(3):  # a duplicate delivery, a dispatcher handing it out again...
            tasks.send_reply.apply_async((message.pk,), queue=queue)
        deadline = time.monotonic() + 90
        while Message.objects.get(pk=message.pk).send_status != S.SENT and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # let every delivery run
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
    assert Message.objects.get(pk=message.pk).send_status == S.SENT
    assert len(x_world.writes()) == 1
    assert len(x_world.fake.tweets_by(x_world.fake.brand)) == 1


# --- Answered conversations leave the queue (inbox.answered) ---------------------------------------------


def _urgent(conversation: Conversation) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(priority=Conversation.Priority.URGENT)


def test_a_sent_reply_leaves_the_conversation_waiting_for_the_customer(x_world, agent, manager):
    from inbox import selectors

    _urgent(x_world.conversation)
    message = create(x_world, agent)
    assert Conversation.objects.get(pk=x_world.conversation.pk).status == Conversation.Status.OPEN  # queued

    assert replies.reply_send(message.pk).status == S.SENT

    after = Conversation.objects.get(pk=x_world.conversation.pk)
    assert after.status == Conversation.Status.PENDING and after.resolved_at is None
    assert after.priority == Conversation.Priority.NORMAL  # the urgency was answered
    assert (after.preview, after.preview_outbound, after.preview_author) == ("Yes, 8 to 12!", True, agent)
    workspace = x_world.channel.workspace
    assert selectors.my_queue_count(workspace=workspace, user=manager) == 0
    # Nobody has it unread: the team answered what the customer wrote.
    filters = selectors.InboxFilters(status=Conversation.Status.PENDING)
    [row] = selectors.conversation_page(workspace=workspace, user=manager, filters=filters).rows
    assert row.unread is False


@pytest.mark.parametrize(
    ("after_reply", "status"),
    [("open", Conversation.Status.OPEN), ("pending", "pending"), ("resolved", "resolved")],
)
def test_what_an_answered_conversation_becomes_is_the_workspaces_choice(x_world, agent, after_reply, status):
    from inbox.models import InboxPolicy

    InboxPolicy.objects.create(workspace=x_world.channel.workspace, after_reply=after_reply)
    replies.reply_send(create(x_world, agent).pk)
    after = Conversation.objects.get(pk=x_world.conversation.pk)
    assert after.status == status
    assert (after.resolved_at is not None) == (status == "resolved")


def test_a_reply_that_failed_keeps_the_conversation_in_the_queue(graph_world, agent):
    graph_world.fake.inject(
        graph_error_fault(rf"/{graph_world.fake.comment.id}/comments$", code=100, message="no", method="POST")
    )
    message = create(graph_world, agent)
    assert replies.reply_send(message.pk).status == S.FAILED
    after = Conversation.objects.get(pk=graph_world.conversation.pk)
    assert after.status == Conversation.Status.OPEN and not after.preview_outbound


def test_the_customer_writing_again_puts_the_conversation_back_in_the_queue(x_world, agent):
    replies.reply_send(create(x_world, agent).pk)
    assert Conversation.objects.get(pk=x_world.conversation.pk).status == Conversation.Status.PENDING
    fake = x_world.fake
    fan = fake.add_user("lea2", "Léa Martin")
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    fake.add_mention(
        fake.brand, fan, "@acmebakery and on Monday?", in_reply_to=fake.mention, created_at=later
    )
    network_tasks.poll_once(Channel.objects.get(pk=x_world.channel.pk))

    after = Conversation.objects.get(pk=x_world.conversation.pk)
    assert after.status == Conversation.Status.OPEN
    assert after.preview == "@acmebakery and on Monday?" and not after.preview_outbound
    assert after.first_response_at is None  # a new response is due

"""A real Celery worker killed with SIGKILL in the middle of a poll loses and duplicates nothing once a
new worker takes over. Runs on the configured database and broker (SQLite file + filesystem broker by
default; PostgreSQL + Redis in CI)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from inbox.models import Conversation, Message
from networks.fakes.base import Fault
from networks.fakes.graph import GraphFake
from networks.tasks import poll_channel
from tests.celery_workers import start_worker, stop_worker, wait_for
from tests.publishing_fakes import facebook_channel

COMMENTS = 1500

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


LOG = Path(os.environ.get("CMHUB_VAR_DIR", "var/test")) / "worker-kill.log"


def _start_worker(queue: str) -> subprocess.Popen:
    return start_worker(queue, output=LOG.open("ab"))  # kept for diagnosis: a timeout prints its tail


@pytest.fixture
def graph_channel(workspace, owner):
    with GraphFake(page_size=100) as fake:
        page = fake.add_page("Kill Bakery", page_id="555", token="kill-page-token")
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        post = fake.add_post(page.id, "Post", created_time=now - dt.timedelta(hours=5))
        for n in range(COMMENTS):
            fake.add_comment(
                post.id,
                f"comment {n}",
                created_time=now - dt.timedelta(hours=4) + dt.timedelta(seconds=n),
                author={"id": f"fan{n % 50}", "name": f"Fan {n % 50}"},
            )
        channel = facebook_channel(fake, page, workspace, owner, name="Kill Bakery")
        yield channel, fake


def test_sigkill_mid_poll_loses_and_duplicates_nothing(graph_channel):
    channel, fake = graph_channel
    LOG.unlink(missing_ok=True)
    queue = f"test-poll-{uuid.uuid4().hex[:8]}"
    worker = _start_worker(queue)
    try:
        poll_channel.apply_async((channel.pk,), queue=queue)
        wait_for(
            lambda: Message.objects.filter(channel=channel).count() >= 500, 90, "the first chunk", log=LOG
        )
        # Hold the network's next answers so the worker is surely mid-poll, then kill it without warning.
        fake.inject(Fault(path_pattern="/comments", kind="delay", seconds=5, times=50))
        time.sleep(0.5)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    stored_at_kill = Message.objects.filter(channel=channel).count()
    assert stored_at_kill < COMMENTS, "the poll finished before the kill: the test proves nothing"

    fake.reset_faults()
    worker = _start_worker(queue)
    try:
        poll_channel.apply_async((channel.pk,), queue=queue)  # what the next dispatch tick would do
        wait_for(
            lambda: Message.objects.filter(channel=channel).count() >= COMMENTS, 120, "the rest", log=LOG
        )
        poll_channel.apply_async((channel.pk,), queue=queue)  # and once more: nothing new, nothing twice
        time.sleep(3)
    finally:
        stop_worker(worker)
    assert Message.objects.filter(channel=channel).count() == COMMENTS
    assert Message.objects.filter(channel=channel).values("external_id").distinct().count() == COMMENTS
    assert (
        sum(Conversation.objects.filter(channel=channel).values_list("message_count", flat=True)) == COMMENTS
    )
    assert settings.CELERY_TASK_ROUTES["networks.poll_channel"]["queue"] == "poll"

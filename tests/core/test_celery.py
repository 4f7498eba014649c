"""A real Celery worker process (not eager mode) runs tasks through the configured broker: the filesystem
broker by default, Redis when REDIS_URL is set (as in CI)."""

from __future__ import annotations

import os
import uuid

import pytest
from django.conf import settings

from cmhub.celery import app
from core.tasks import ping
from tests.celery_workers import start_worker, stop_worker


@pytest.fixture
def worker_queue():
    # A queue of its own: a developer's `make run` worker on the same broker must not take the task.
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def worker(worker_queue):
    process = start_worker(worker_queue)
    yield process
    stop_worker(process)


@pytest.mark.worker
def test_a_real_worker_runs_ping(worker, worker_queue):
    assert not app.conf.task_always_eager
    token = uuid.uuid4().hex
    result = ping.apply_async((token,), queue=worker_queue).get(timeout=60)
    assert result["pong"] == token
    assert result["pid"] == worker.pid  # another process did the work
    assert result["pid"] != os.getpid()


def test_broker_is_the_configured_one():
    expected = "redis" if settings.REDIS_URL else "filesystem"
    assert app.conf.broker_url.startswith(expected)


def test_queues_are_declared():
    assert {q.name for q in app.conf.task_queues} == {"default", "poll", "send", "publish", "assistant"}


def test_task_defaults_are_bounded():
    conf = app.conf
    assert conf.task_ignore_result is True
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
    assert conf.task_acks_late is False  # opted into per task, where a state check makes a rerun safe
    if settings.REDIS_URL:
        assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_beat_entries_all_expire():
    from cmhub.beat import BEAT_SCHEDULE

    assert BEAT_SCHEDULE
    app.autodiscover_tasks(force=True)  # what a worker does at start: import every app's tasks
    for name, entry in BEAT_SCHEDULE.items():
        assert entry["options"]["expires"] > 0, name
        assert entry["task"] in app.tasks, f"{name} names an unknown task {entry['task']}"

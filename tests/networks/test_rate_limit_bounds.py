"""Reset and retry times a network sends are believed within a window: never sooner than a normal poll
(a reset in the past must not make a limited channel poll on every tick), never later than a day, and an
absurd value never raises inside a poll. Over real HTTP against the X fake, and on Graph's headers."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.utils import timezone

from networks import tasks
from networks.fakes.base import Fault, Response
from networks.models import Channel, PollRun
from networks.providers import base as p
from networks.providers import graph

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(hours=24)


def _answer(x_fake, status: int, reset: str) -> None:
    headers = {"x-rate-limit-limit": "300", "x-rate-limit-remaining": "0", "x-rate-limit-reset": reset}
    body = {"meta": {"result_count": 0}} if status == 200 else {"title": "Too Many Requests", "status": 429}
    x_fake.inject(Fault(r"/2/users/\d+/mentions", response=Response(status, body, headers)))


@pytest.mark.parametrize("reset", ["1000000000000", "9" * 30, "-5", "nan", "1e400"])
def test_an_absurd_reset_on_a_good_answer_does_not_break_the_poll(x_channel, x_fake, reset):
    _answer(x_fake, 200, reset)
    run = tasks.poll_once(x_channel)
    assert run.outcome == PollRun.Outcome.OK, run.error
    x_channel.refresh_from_db()
    if x_channel.rate_limit_reset_at is not None:
        assert x_channel.rate_limit_reset_at <= timezone.now() + DAY


@pytest.mark.parametrize(
    "offset",
    [-3600, 0, 5 * 365 * 86400, 10**12],
    ids=["an hour ago", "now", "five years ahead", "beyond datetime"],
)
def test_a_429_sleeps_within_the_window(x_channel, x_fake, offset):
    _answer(x_fake, 429, str(int(time.time()) + offset))
    before = timezone.now()
    run = tasks.poll_once(x_channel)
    assert run.outcome == PollRun.Outcome.RATE_LIMITED
    x_channel.refresh_from_db()
    assert x_channel.status == Channel.Status.ACTIVE
    assert x_channel.next_poll_at >= before + dt.timedelta(seconds=x_channel.poll_interval)
    assert x_channel.next_poll_at <= timezone.now() + DAY + dt.timedelta(seconds=2)


def test_a_channel_limited_with_a_past_reset_polls_no_more_often_than_a_healthy_one(x_channel, x_fake):
    """Measured by the audit: 65 polls in 6 minutes against 22. Here: a dispatch tick every 5 seconds for
    6 minutes, while X keeps answering 429 with a reset a minute in the past."""
    start = timezone.now()
    stale_reset = str(int(start.timestamp()) - 60)
    x_fake.inject(
        Fault(
            r"/2/users/\d+/mentions",
            response=Response(429, {"status": 429}, {"x-rate-limit-reset": stale_reset}),
            times=1000,
        )
    )
    polls = 0
    for tick in range(0, 360, 5):
        with time_machine.travel(start + dt.timedelta(seconds=tick), tick=True):
            channel = Channel.objects.get(pk=x_channel.pk)
            if channel.next_poll_at <= timezone.now():
                polls += 1
                assert tasks.poll_once(channel).outcome == PollRun.Outcome.RATE_LIMITED
    assert 1 <= polls <= 360 // x_channel.poll_interval + 1


def test_graph_headers_are_bounded():
    now = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
    huge_buc = '{"1": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 1e12}]}'
    assert graph.rate_limit_reset({"x-business-use-case-usage": huge_buc}, now=now) == now + DAY
    assert graph.rate_limit_reset({"retry-after": "9" * 40}, now=now) == now + DAY
    assert graph.rate_limit_reset({"retry-after": "0"}, now=now) > now
    state = graph.usage_state({"x-business-use-case-usage": huge_buc}, now=now)
    assert state is not None and state.reset_at == now + DAY and state.remaining == 0
    nan_usage = '{"call_count": NaN, "total_time": Infinity}'
    assert graph.usage_state({"x-app-usage": nan_usage}, now=now).remaining == 100


@pytest.mark.parametrize(
    ("reset_at", "expected"),
    [(-3600, 30), (0, 30), (600, 600), (10 * 86400, 86400)],
)
def test_a_refused_write_waits_within_the_window(reset_at, expected):
    now = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
    error = p.RateLimited("limited", reset_at=now + dt.timedelta(seconds=reset_at))
    assert error.resume_at(now=now, floor=p.RETRY_FLOOR) == now + dt.timedelta(seconds=expected)

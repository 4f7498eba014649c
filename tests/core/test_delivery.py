"""The delivery engine's decisions: what every outbound pipeline (replies, posts) does after an error.
One table, so a network error means the same next step whatever was being sent."""

from __future__ import annotations

import datetime as dt

import pytest

from core import delivery
from core import remote_errors as e

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
POLICY = delivery.Policy(
    max_attempts=5,
    max_checks=8,
    backoff_base=dt.timedelta(seconds=10),
    backoff_cap=dt.timedelta(seconds=300),
    reconcile_delay=dt.timedelta(seconds=15),
)
N = delivery.Next


@pytest.mark.parametrize(
    ("error", "attempts", "expected"),
    [
        (e.Transient("503"), 0, N.RETRY),
        (e.Transient("503"), 4, N.GAVE_UP),  # the fifth certain failure
        (e.AuthExpired("revoked"), 0, N.AUTH_LOST),
        (e.Invalid("too long"), 0, N.REFUSED),
        (e.NotFound("deleted"), 0, N.REFUSED),
        (e.PermissionMissing("scope"), 0, N.REFUSED),
        (e.Duplicate("same words"), 0, N.REFUSED),  # a first attempt refused as a duplicate: really one
        (e.Duplicate("same words"), 1, N.DUPLICATE),  # after an unclear attempt: that one probably landed
        (e.Ambiguous("timeout after sending"), 0, N.CHECK),
        (e.ProviderError("unclassified"), 0, N.CHECK),  # never guess that it did not land
    ],
)
def test_after_a_send_error(error, attempts, expected):
    decision = delivery.after_send_error(error, attempts=attempts, now=NOW, policy=POLICY)
    assert decision.next is expected
    assert (decision.due is None) == (expected in (N.GAVE_UP, N.AUTH_LOST, N.REFUSED))


def test_a_rate_limit_waits_for_the_reset_without_counting_an_attempt():
    reset = NOW + dt.timedelta(minutes=7)
    decision = delivery.after_send_error(e.RateLimited(reset_at=reset), attempts=3, now=NOW, policy=POLICY)
    assert (decision.next, decision.due, decision.attempt) == (N.WAIT, reset, False)
    past = delivery.after_send_error(e.RateLimited(reset_at=NOW), attempts=0, now=NOW, policy=POLICY)
    assert past.due == NOW + e.RETRY_FLOOR  # a reset in the past is no licence to hammer


def test_something_that_may_have_landed_is_read_back_after_the_reconcile_delay():
    decision = delivery.after_send_error(e.Ambiguous("?"), attempts=0, now=NOW, policy=POLICY)
    assert decision.due == NOW + POLICY.reconcile_delay


@pytest.mark.parametrize(
    ("error", "attempts", "expected", "counted"),
    [
        (e.Transient("503"), 0, N.CHECK, True),
        (e.Transient("503"), 7, N.UNDECIDABLE, True),  # max_checks reached
        (e.AuthExpired("revoked"), 0, N.AUTH_LOST, False),
        (e.NotFound("thread deleted"), 0, N.REFUSED, False),
        (e.ReadBackIncomplete("past the window"), 0, N.UNDECIDABLE, False),
        (NotImplementedError(), 0, N.UNDECIDABLE, False),
    ],
)
def test_after_a_read_back_error(error, attempts, expected, counted):
    decision = delivery.after_check_error(error, attempts=attempts, now=NOW, policy=POLICY)
    assert (decision.next, decision.attempt) == (expected, counted)


def test_backoff_doubles_with_jitter_and_stays_under_its_cap():
    waits = [delivery.backoff(n, POLICY).total_seconds() for n in range(1, 10)]
    assert 8 <= waits[0] <= 12 and 16 <= waits[1] <= 24 and 32 <= waits[2] <= 48
    assert all(w <= 300 * 1.2 for w in waits)


def test_words_are_the_networks_own_and_bounded():
    assert delivery.words(e.Invalid("ours", network_message="Theirs")) == "Theirs"
    assert len(delivery.words(e.Invalid("x" * 5000))) == 2000
    assert delivery.words(NotImplementedError()) == "NotImplementedError"

"""The pure parts of the worker-count benches (bench/common.py): which counts run, how work and poll
threads are shared among the processes, and the names the figures get. No database, no process started."""

from __future__ import annotations

import pytest

from bench.common import load_text, processes, split_evenly, threads_per_worker, worker_counts


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_unset_or_blank_keeps_the_bench_as_it_was(monkeypatch, raw):
    if raw is None:
        monkeypatch.delenv("BENCH_X_WORKERS", raising=False)
    else:
        monkeypatch.setenv("BENCH_X_WORKERS", raw)
    assert worker_counts("BENCH_X_WORKERS", [2]) == [2]
    assert worker_counts("BENCH_X_WORKERS", []) == []


def test_counts_run_in_the_order_given_each_once(monkeypatch):
    monkeypatch.setenv("BENCH_X_WORKERS", " 4, 1 ,2,4,")
    assert worker_counts("BENCH_X_WORKERS", [2]) == [4, 1, 2]


@pytest.mark.parametrize("raw", ["1,two", "1;2", "1.5"])
def test_a_count_that_is_not_a_number_stops_the_bench(monkeypatch, raw):
    monkeypatch.setenv("BENCH_X_WORKERS", raw)
    with pytest.raises(SystemExit, match="BENCH_X_WORKERS must be worker counts like 1,2,4"):
        worker_counts("BENCH_X_WORKERS", [2])


@pytest.mark.parametrize("raw", ["0", "1,-2", "65"])
def test_a_count_out_of_range_stops_the_bench(monkeypatch, raw):
    monkeypatch.setenv("BENCH_X_WORKERS", raw)
    with pytest.raises(SystemExit, match="between 1 and 64"):
        worker_counts("BENCH_X_WORKERS", [2])


def test_figure_names_say_how_many_processes():
    assert processes(1) == "1 worker process"
    assert processes(4) == "4 worker processes"


@pytest.mark.parametrize(
    ("total", "parts", "shares"),
    [(30_000, 1, [30_000]), (30_000, 4, [7_500] * 4), (10, 4, [3, 3, 2, 2]), (1, 2, [1, 0])],
)
def test_messages_are_split_evenly_over_the_channels(total, parts, shares):
    assert split_evenly(total, parts) == shares
    assert sum(split_evenly(total, parts)) == total


def test_no_channel_no_split():
    with pytest.raises(ValueError, match="at least 1"):
        split_evenly(10, 0)


def test_poll_threads_per_process():
    assert threads_per_worker(workers=4, per_worker=32, total=None) == 32  # as before: per process
    assert [threads_per_worker(workers=n, per_worker=32, total=64) for n in (1, 2, 4)] == [64, 32, 16]
    assert threads_per_worker(workers=4, per_worker=32, total=2) == 1  # never a process without a thread


def test_load_is_the_three_averages(monkeypatch):
    monkeypatch.setattr("os.getloadavg", lambda: (1.234, 0.5, 0.0))
    assert load_text() == "load 1.23/0.50/0.00"

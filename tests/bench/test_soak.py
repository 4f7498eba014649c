"""The soak's arithmetic (bench/soak.py: its windows, medians, growth, the caches' largest sizes), its probe
(bench/soak_probe.py: what a process reports and how the soak reads it back), and its place in the run
(`make bench` leaves it out; `make bench-soak` runs it). No database, no process started."""

from __future__ import annotations

import os
import subprocess
from collections import OrderedDict

import pytest

from bench import run, soak, soak_probe


def test_windows_follow_the_run_length():
    assert soak.windows(1800) == (300, 300)  # the full soak: 5 min warm-up, 5 min windows
    assert soak.windows(180) == (45, 45)  # a smoke run keeps the same shape, shorter
    warm_up, window = soak.windows(600)
    assert warm_up + 2 * window <= 600  # the two windows never overlap


def test_first_and_last_are_the_medians_of_their_windows():
    # A warm-up spike (ignored), a flat first window, a higher last window.
    samples = [
        (0, 900.0),
        (5, 800.0),
        *[(t, 100.0) for t in range(10, 20)],
        (20, 150),
        *[(t, 110.0) for t in (40, 45, 50)],
    ]
    first, last = soak.first_and_last(samples, warm_up=10, window=10, end=50)
    assert (first, last) == (100.0, 110.0)
    assert soak.growth_pct(first, last) == pytest.approx(10.0)


def test_a_window_without_samples_is_an_error_not_a_zero():
    with pytest.raises(ValueError, match="run longer"):
        soak.first_and_last([(0, 1.0), (100, 1.0)], warm_up=10, window=10, end=100)


@pytest.mark.parametrize(
    ("first", "last", "pct"), [(200, 200, 0.0), (200, 210, 5.0), (200, 150, -25.0), (0, 0, 0.0)]
)
def test_growth_in_percent(first, last, pct):
    assert soak.growth_pct(first, last) == pytest.approx(pct)


def test_growth_from_nothing_is_infinite():
    assert soak.growth_pct(0, 5) == float("inf")


def test_largest_caches_takes_the_biggest_process_and_the_tightest_bound():
    reports = [
        {"pid": 1, "caches": {"FAQ index (workspaces)": {"size": 10, "bound": 64}}},
        {"pid": 2, "caches": {"FAQ index (workspaces)": {"size": 70, "bound": 64}}},
        {
            "pid": 1,
            "caches": {"FAQ index (workspaces)": {"size": 12, "bound": 64}, "x": {"size": 3, "bound": None}},
        },
    ]
    caches = soak.largest_caches(reports)
    assert caches["FAQ index (workspaces)"] == {"size": 70, "bound": 64, "processes": {1, 2}}
    assert caches["x"] == {"size": 3, "bound": None, "processes": {1}}


def test_the_probe_reports_the_faq_index_and_word_caches_against_their_bounds(monkeypatch):
    from assistant import selectors
    from assistant.engine import text

    kept = OrderedDict((pk, ((), None, {})) for pk in range(3))
    monkeypatch.setattr(selectors, "_index_cache", kept)
    before = soak_probe.cache_sizes()["assistant word fold"]["size"]
    text.fold("zyxwvutsoakword")

    sizes = soak_probe.cache_sizes()
    assert sizes["FAQ index (workspaces)"] == {"size": 3, "bound": selectors.FAQ_INDEX_CACHE_SIZE}
    assert sizes["assistant word fold"] == {"size": before + 1, "bound": 8192}
    assert sizes["assistant word stem"]["bound"] == 16384


def test_the_probe_leaves_out_what_the_process_never_loaded(monkeypatch):
    monkeypatch.delitem(__import__("sys").modules, "hooks.delivery", raising=False)
    assert "webhook HTTP clients" not in soak_probe.cache_sizes()


def test_a_dump_is_read_back_for_live_processes_only(tmp_path):
    soak_probe.dump("worker", tmp_path)
    (tmp_path / "worker-999999999.json").write_text('{"pid": 999999999, "role": "worker", "caches": {}}')
    (tmp_path / "web-1.json").write_text("{half-written")

    reports = soak.probe_reports(tmp_path, alive={os.getpid()})
    assert [r["pid"] for r in reports] == [os.getpid()]
    assert reports[0]["role"] == "worker" and "FAQ index (workspaces)" in reports[0]["caches"]


def test_no_probe_directory_no_dump(monkeypatch):
    monkeypatch.delenv(soak_probe.PROBE_DIR_ENV, raising=False)
    assert soak_probe.start_dumping("web") is None


def test_make_bench_leaves_the_soak_out_and_bench_soak_runs_it(monkeypatch, tmp_path):
    monkeypatch.setenv("CMHUB_VAR_DIR", str(tmp_path))
    ran: list[list[str]] = []
    real_run = subprocess.run

    def fake_run(args, **kwargs):
        if args[0] == "git":  # the run line's commit
            return real_run(args, **kwargs)
        ran.append(args)
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(run.subprocess, "run", fake_run)
    monkeypatch.setattr(run, "database_ready", lambda env: True)

    assert run.main([]) == 0
    everything = [args[2] for args in ran if args[1] == "-m"]
    assert "bench.soak" not in everything and "bench.poll" in everything
    ran.clear()
    assert run.main(["soak"]) == 0
    assert [args[2] for args in ran if args[1] == "-m"] == ["bench.soak", "bench.summary"]

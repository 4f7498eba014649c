"""The benchmarks' figures and their one summary (bench/results.py, bench/summary.py, bench/run.py): what a
figure records, met and missed on both sides of a target, the table and the JSON a run leaves. No database:
the summary reads PostgreSQL's version only where a run used it."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest

from bench import results, run, summary


@pytest.fixture(autouse=True)
def bench_var(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CMHUB_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("BENCH_SCALE", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_figure_is_one_json_line_after_the_run_line(bench_var):
    figure = results.record("ingest", "end to end", 1430.5, "messages/s", target=3000, better="higher")
    written = lines(bench_var / "figures.jsonl")
    assert [entry["kind"] for entry in written] == ["run", "figure"]
    assert written[0]["load"] and len(written[0]["load"]) == 3
    assert written[0]["commit"] is None or len(written[0]["commit"]) == 40
    assert written[1] == figure
    assert (figure["value"], figure["target"], figure["unit"], figure["scale"]) == (
        1430.5,
        3000.0,
        "messages/s",
        1.0,
    )


@pytest.mark.parametrize(
    ("value", "target", "better", "met", "ratio"),
    [
        (49.9, 50, "lower", True, None),
        (50.0, 50, "lower", True, None),  # at the target is met
        (87.0, 50, "lower", False, 1.74),
        (3000, 3000, "higher", True, None),
        (1500, 3000, "higher", False, 0.5),
        (3, 0, "lower", False, None),  # no ratio to a target of zero, still missed
        (0, 0, "lower", True, None),
    ],
)
def test_met_and_missed_on_both_sides_of_the_target(value, target, better, met, ratio):
    figure = results.record("part", "figure", value, "ms", target=target, better=better)
    assert figure["met"] is met
    assert figure["ratio"] == (None if ratio is None else pytest.approx(ratio))


def test_a_figure_without_target_is_reported_not_judged():
    figure = results.record("ingest", "CPU: worker", 6.3, "s")
    assert (figure["target"], figure["met"], figure["ratio"]) == (None, None, None)


@pytest.mark.parametrize(
    "kwargs",
    [{"better": "faster"}, {"value": math.nan}, {"value": math.inf}, {"target": math.nan}],
)
def test_a_figure_that_says_nothing_is_refused(kwargs, bench_var):
    arguments = {"value": 1.0, "target": 2.0, "better": "lower"} | kwargs
    with pytest.raises(ValueError):
        results.record("part", "figure", arguments.pop("value"), "ms", **arguments)
    assert not (bench_var / "figures.jsonl").exists()


def test_start_empties_the_last_run(bench_var):
    results.record("old", "figure", 1, "s")
    results.start()
    assert [entry["kind"] for entry in lines(bench_var / "figures.jsonl")] == ["run"]


def test_latency_figure_is_the_p95_with_its_shape_in_the_note():
    figure = results.record_p95("api", "list", [float(n) for n in range(1, 101)], target=50)
    assert figure["name"] == "list p95"
    assert figure["value"] == 95.0  # nearest rank of 100 samples
    assert (figure["met"], figure["ratio"]) == (False, pytest.approx(1.9))
    assert figure["note"] == "n=100, p50 50.5 ms, max 100.0 ms"


def test_scale_multiplies_sizes_with_a_floor(monkeypatch):
    monkeypatch.setenv("BENCH_SCALE", "0.01")
    assert results.scale() == 0.01
    from bench.common import scaled

    assert scaled(30_000, minimum=300) == 300
    assert scaled(100_000, minimum=200) == 1000
    monkeypatch.setenv("BENCH_SCALE", "0.001")
    assert scaled(100_000, minimum=200) == 200
    for wrong in ("fast", "0", "-1"):
        monkeypatch.setenv("BENCH_SCALE", wrong)
        with pytest.raises(SystemExit, match="BENCH_SCALE"):
            scaled(10, minimum=1)


def run_summary() -> tuple[int, str]:
    out = io.StringIO()
    code = summary.main(out=out)
    return code, out.getvalue()


def test_summary_prints_one_table_and_writes_the_same_as_json(bench_var):
    results.start()
    results.record("ingest", "end to end", 1430, "messages/s", target=3000, better="higher")
    results.record("inbox pages", "list p95", 87.0, "ms", target=50, note="n=40")
    results.record("inbox pages", "search p95", 125.0, "ms", target=200)
    results.record("ingest", "CPU: worker", 6.3, "s")

    code, printed = run_summary()

    assert code == 0
    head, columns, rule, *rows, counts, written = printed.splitlines()
    assert head.startswith("machine: ")
    for part in ("cores", "Python ", "PostgreSQL not used", "load average", "at start", "at end", "commit"):
        assert part in head
    assert columns.split() == ["part", "figure", "value", "target", "result", "ratio"]
    assert set(rule) == {"-", " "}
    assert len(rows) == 4
    end_to_end, listing, search, cpu = rows
    assert "1,430 messages/s" in end_to_end and ">= 3,000 messages/s" in end_to_end
    assert end_to_end.split()[-2:] == ["MISSED", "0.48x"]
    assert listing.split()[-2:] == ["MISSED", "1.74x"] and "<= 50 ms" in listing
    assert search.split()[-1] == "met"
    assert cpu.split()[-1] == "reported"
    assert counts == "4 figures: 1 met, 2 missed, 1 reported without a target"
    assert written == f"written: {bench_var / 'results.json'}"

    saved = json.loads((bench_var / "results.json").read_text(encoding="utf-8"))
    assert saved["machine"]["cores"] >= 1 and saved["machine"]["cpu"] and saved["machine"]["python"]
    assert saved["machine"]["postgresql"] is None
    assert len(saved["load_average"]["start"]) == len(saved["load_average"]["end"]) == 3
    assert saved["started_at"] and saved["finished_at"]
    assert saved["parts"] == ["ingest", "inbox pages"]
    assert saved["counts"] == {"met": 1, "MISSED": 2, "reported": 1}
    by_name = {row["figure"]: row for row in saved["figures"]}
    assert by_name["list p95"]["ratio_to_target"] == pytest.approx(1.74)
    assert by_name["list p95"]["note"] == "n=40"
    assert by_name["search p95"]["ratio_to_target"] is None
    assert by_name["CPU: worker"]["target"] is None and by_name["CPU: worker"]["result"] == "reported"


def test_summary_shows_a_rerun_once_failures_and_the_scale(bench_var, monkeypatch):
    monkeypatch.setenv("BENCH_SCALE", "0.01")
    results.start()
    results.record("api", "list p95", 80.0, "ms", target=50)
    results.record("api", "list p95", 40.5, "ms", target=50)  # the bench run again by hand
    results.record_failure("bench.webhooks", 1)
    with (bench_var / "figures.jsonl").open("a") as out:
        out.write("not json\n")

    code, printed = run_summary()

    assert code == 0
    assert "BENCH_SCALE=0.01" in printed
    assert "FAILED: bench.webhooks exited 1" in printed
    assert "1 figure(s) recorded again in this run" in printed
    assert "1 unreadable line(s)" in printed
    rows = [line for line in printed.splitlines() if line.startswith("api ")]
    assert len(rows) == 1 and "40.5 ms" in rows[0] and rows[0].split()[-1] == "met"
    saved = json.loads((bench_var / "results.json").read_text())
    assert saved["scale"] == 0.01 and saved["failures"][0]["module"] == "bench.webhooks"


def test_summary_without_a_run_says_so(bench_var):
    code, printed = run_summary()
    assert code == 1 and "no figures" in printed
    assert not (bench_var / "results.json").exists()


def test_cpu_model_is_read_from_cpuinfo(tmp_path):
    x86 = tmp_path / "x86"
    x86.write_text("processor\t: 0\nmodel name\t: Intel(R)  Xeon(R) CPU @ 2.20GHz\n")
    arm = tmp_path / "arm"
    arm.write_text("processor\t: 0\nBogoMIPS\t: 50.00\nModel\t: Raspberry Pi 4 Model B\n")
    assert summary.cpu_model(x86) == "Intel(R) Xeon(R) CPU @ 2.20GHz"
    assert summary.cpu_model(arm) == "Raspberry Pi 4 Model B"
    assert summary.cpu_model(tmp_path / "missing")  # platform's word for it, never empty


def test_postgres_version_only_for_postgres():
    assert summary.postgres_version("sqlite:///var/db.sqlite3") is None
    assert summary.postgres_version("") is None


def test_a_part_runs_as_the_makefile_runs_it_and_ends_with_its_summary(bench_var, capfd):
    assert run.main(["assistant"]) == 0

    printed = capfd.readouterr().out
    assert "== assistant.eval.run" in printed and "machine: " in printed
    saved = json.loads((bench_var / "results.json").read_text())
    assert saved["parts"] == ["assistant"]
    names = {row["figure"] for row in saved["figures"]}
    assert "isp (unseen): FAQ top-3 accuracy" in names
    assert any(name.startswith("lowest auto-send threshold") for name in names)


def test_a_failing_bench_is_recorded_and_the_run_fails(bench_var, monkeypatch, capfd):
    monkeypatch.setitem(run.PARTS, "broken", [("bench.no_such_bench", None), ("bench.summary", None)])
    assert run.main(["broken"]) == 1
    printed = capfd.readouterr().out
    assert "FAILED: bench.no_such_bench exited 1" in printed
    # the next module still ran (the summary as a bench: it found the run and printed it)
    assert printed.count("machine: ") == 2


def test_unknown_part_is_refused(capsys):
    assert run.main(["polling"]) == 2
    assert "the parts are ingest, backfill, pages, publish, poll, assistant" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (0.0, "deliveries", "0 deliveries"),
        (10600.0, "targets", "10,600 targets"),
        (1430.4, "messages/s", "1,430 messages/s"),
        (131.1, "ms", "131 ms"),
        (41.37, "ms", "41.4 ms"),
        (9.567, "ms", "9.57 ms"),
        (3.304, "x", "3.30x"),
        (93.75, "%", "93.8%"),
        (0.85, "", "0.85"),
    ],
)
def test_values_are_shown_with_the_precision_they_carry(value, unit, shown):
    assert summary.number(value, unit) == shown

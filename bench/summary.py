"""The run's figures in one table: `python -m bench.summary` (the last step of `make bench` and of every
`make bench-<part>`).

Reads the figures the benches recorded (`bench.results`, `figures.jsonl` in the bench's var dir), prints a
header line (machine: cores, CPU model, Python, PostgreSQL; load average at the start and at the end; date;
commit), then one row per figure: part, figure, value, target, met or MISSED (or reported, without a
target) and, for a miss, the ratio of the value to its target. Writes the same as JSON to `results.json`
beside the figures. A figure recorded twice in a run (a bench run again by hand) shows its last value.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any, TextIO

from bench.results import bench_dir, figures_path, git_commit, load_average


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for key in ("model name", "Model", "Hardware", "cpu model"):  # x86, then what ARM and MIPS call it
        for line in text.splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key and value.strip():
                return " ".join(value.split())
    return platform.processor() or platform.machine() or "unknown CPU"


def postgres_version(url: str | None = None) -> str | None:
    """The server version behind DATABASE_URL, None when the run used no PostgreSQL or it does not
    answer (the summary never fails for it)."""
    url = os.environ.get("DATABASE_URL", "") if url is None else url
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as connection:
            row = connection.execute("SHOW server_version").fetchone()
    except Exception:  # any failure only leaves the version out
        return None
    return str(row[0]).split()[0] if row else None


def read_run(path: Path) -> dict[str, Any]:
    """The run line, the figures (last value per part and name, in first-recorded order), the failed
    parts, and how many lines could not be read."""
    run: dict[str, Any] = {}
    figures: dict[tuple[str, str], dict[str, Any]] = {}
    failures: list[dict[str, Any]] = []
    replaced = unreadable = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            kind = entry["kind"]
        except (ValueError, KeyError, TypeError):
            unreadable += 1
            continue
        if kind == "run" and not run:
            run = entry
        elif kind == "figure":
            key = (entry["part"], entry["name"])
            replaced += key in figures
            figures[key] = entry
        elif kind == "failure":
            failures.append(entry)
    return {
        "run": run,
        "figures": list(figures.values()),
        "failures": failures,
        "replaced": replaced,
        "unreadable": unreadable,
    }


def number(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.1f}%"
    size = abs(value)
    if value.is_integer() and unit not in ("x", ""):  # a count: 0 deliveries, 10,600 targets
        return f"{value:,.0f} {unit}"
    shown = (
        f"{value:,.0f}"
        if size >= 1000
        else f"{value:.0f}"
        if size >= 100
        else f"{value:.1f}"
        if size >= 10
        else f"{value:.2f}"
    )
    return f"{shown}{unit}" if unit == "x" else f"{shown} {unit}".rstrip()


def target_text(figure: dict[str, Any]) -> str:
    if figure["target"] is None:
        return ""
    target = figure["target"]
    # A target is a round figure someone chose: shown as written (50 ms, 3,000 messages/s, 0.85).
    if float(target).is_integer():
        unit = figure["unit"]
        shown = f"{int(target):,}" + (unit if unit in ("%", "x", "") else f" {unit}")
    else:
        shown = number(target, figure["unit"])
    return ("<= " if figure["better"] == "lower" else ">= ") + shown


def result_text(figure: dict[str, Any]) -> tuple[str, str]:
    if figure["met"] is None:
        return "reported", ""
    if figure["met"]:
        return "met", ""
    return "MISSED", "" if figure["ratio"] is None else f"{figure['ratio']:.2f}x"


def summarise(path: Path | None = None, *, postgresql: str | None = None) -> dict[str, Any]:
    """The results of the run in `path` as one dict (what results.json holds)."""
    found = read_run(path or figures_path())
    run, figures = found["run"], found["figures"]
    rows = []
    for figure in figures:
        result, ratio = result_text(figure)
        rows.append(
            {
                "part": figure["part"],
                "figure": figure["name"],
                "value": figure["value"],
                "unit": figure["unit"],
                "target": figure["target"],
                "better": figure["better"],
                "result": result,
                "ratio_to_target": figure["ratio"] if result == "MISSED" else None,
                "shown": {
                    "value": number(figure["value"], figure["unit"]),
                    "target": target_text(figure),
                    "ratio": ratio,
                },
                "note": figure.get("note", ""),
                "recorded_at": figure.get("recorded_at"),
                "load": figure.get("load"),
                "scale": figure.get("scale"),
            }
        )
    end = git_commit()
    return {
        "machine": {
            "cores": os.cpu_count(),
            "cpu": cpu_model(),
            "architecture": platform.machine(),
            "python": platform.python_version(),
            "postgresql": postgresql,
        },
        "started_at": run.get("started_at"),
        "finished_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "load_average": {"start": run.get("load"), "end": load_average()},
        "commit": run.get("commit", end["commit"]),
        "dirty": run.get("dirty", end["dirty"]),
        "commit_at_end": end["commit"] if end["commit"] != run.get("commit", end["commit"]) else None,
        "scale": run.get("scale", 1.0),
        "parts": list(dict.fromkeys(row["part"] for row in rows)),
        "figures": rows,
        "counts": {
            name: sum(row["result"] == name for row in rows) for name in ("met", "MISSED", "reported")
        },
        "failures": found["failures"],
        "replaced": found["replaced"],
        "unreadable": found["unreadable"],
    }


def _load(values: list[float] | None) -> str:
    return "/".join(f"{v:.2f}" for v in values) if values else "unknown"


def header(results: dict[str, Any]) -> str:
    machine = results["machine"]
    commit = results["commit"] or "unknown"
    commit = commit[:12] + (" with uncommitted changes" if results["dirty"] else "")
    if results["commit_at_end"]:
        commit += f" (HEAD was {results['commit_at_end'][:12]} at the end)"
    date = results["started_at"] or "unknown"
    return (
        f"machine: {machine['cores']} cores, {machine['cpu']} ({machine['architecture']}), "
        f"Python {machine['python']}, PostgreSQL {machine['postgresql'] or 'not used or not reachable'}; "
        f"load average (1/5/15 min) {_load(results['load_average']['start'])} at start, "
        f"{_load(results['load_average']['end'])} at end; "
        f"run {date} to {results['finished_at']}; commit {commit}"
    )


def render(results: dict[str, Any], out: TextIO) -> None:
    print(header(results), file=out)
    if results["scale"] != 1.0:
        print(
            f"BENCH_SCALE={results['scale']:g}: sizes scaled down, so the figures are not comparable to "
            "their targets (which hold at 1)",
            file=out,
        )
    for failure in results["failures"]:
        print(f"FAILED: {failure['module']} exited {failure['status']}", file=out)
    if results["replaced"]:
        print(
            f"{results['replaced']} figure(s) recorded again in this run: the last value is shown", file=out
        )
    if results["unreadable"]:
        print(f"{results['unreadable']} unreadable line(s) in the figures file skipped", file=out)
    columns = ("part", "figure", "value", "target", "result", "ratio")
    table = [
        (
            row["part"],
            row["figure"],
            row["shown"]["value"],
            row["shown"]["target"],
            row["result"],
            row["shown"]["ratio"],
        )
        for row in results["figures"]
    ]
    widths = [max([len(title), *(len(cells[i]) for cells in table)]) for i, title in enumerate(columns)]

    def line(cells: tuple[str, ...]) -> str:
        aligned = [
            cell.rjust(width) if i in (2, 3, 5) else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(aligned).rstrip()

    print(line(columns), file=out)
    print(line(tuple("-" * width for width in widths)), file=out)
    for cells in table:
        print(line(cells), file=out)
    counts = results["counts"]
    print(
        f"{len(table)} figures: {counts['met']} met, {counts['MISSED']} missed, "
        f"{counts['reported']} reported without a target",
        file=out,
    )


def main(out: TextIO | None = None) -> int:
    out = out or sys.stdout
    path = figures_path()
    if not path.exists():
        print(f"no figures in {path}: run `make bench` (or a `make bench-<part>`) first", file=out)
        return 1
    results = summarise(path, postgresql=postgres_version())
    render(results, out)
    written = bench_dir() / "results.json"
    written.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written: {written}", file=out)
    return 0 if results["figures"] or results["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())

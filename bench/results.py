"""Every figure a benchmark prints, kept as one JSON line in the run's figures file, so that one summary
(`python -m bench.summary`) can say which targets a run met and by how much the others missed.

The file is `figures.jsonl` in the bench's var dir (`CMHUB_VAR_DIR`, which the Makefile sets to
`var/bench`; `var/bench` when unset). Its first line describes the run (when it started, the load average
then, the commit, BENCH_SCALE): `start()` empties the file and writes it, as `python -m bench.run` (so
`make bench` and every `make bench-<part>`) does first. A bench started by hand adds its figures to the run
in place, or starts one when there is none.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import statistics
import subprocess
from pathlib import Path
from typing import Any

from bench.common import percentile, scale

ROOT = Path(__file__).resolve().parents[1]
BETTER = ("lower", "higher")


def bench_dir() -> Path:
    return Path(os.environ.get("CMHUB_VAR_DIR") or ROOT / "var" / "bench")


def figures_path() -> Path:
    return bench_dir() / "figures.jsonl"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def load_average() -> list[float]:
    return [round(load, 2) for load in os.getloadavg()]


def git_commit() -> dict[str, Any]:
    """The commit measured, and whether tracked files differed from it (untracked ones do not count)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(changes)}


def _append(line: dict[str, Any]) -> None:
    path = figures_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def _run_line() -> dict[str, Any]:
    return {"kind": "run", "started_at": _now(), "load": load_average(), "scale": scale(), **git_commit()}


def start() -> Path:
    """Begin a run: the figures of earlier runs go."""
    path = figures_path()
    path.unlink(missing_ok=True)
    _append(_run_line())
    return path


def verdict(value: float, target: float | None, better: str) -> tuple[bool | None, float | None]:
    """(met, ratio): met is None without a target; the ratio (value / target) is given for a miss only,
    above 1 for a `lower` figure and below 1 for a `higher` one (None when the target is 0)."""
    if target is None:
        return None, None
    met = value <= target if better == "lower" else value >= target
    if met:
        return True, None
    return False, (value / target if target else None)


def record(
    part: str,
    name: str,
    value: float,
    unit: str,
    *,
    target: float | None = None,
    better: str = "lower",
    note: str = "",
) -> dict[str, Any]:
    """Append one figure of `part` to the run's figures and return it as written."""
    if better not in BETTER:
        raise ValueError(f"better must be one of {BETTER}, not {better!r}")
    value = float(value)
    if not math.isfinite(value) or (target is not None and not math.isfinite(float(target))):
        raise ValueError(f"{part} / {name}: value and target must be finite numbers ({value!r}, {target!r})")
    if not figures_path().exists():
        _append(_run_line())
    met, ratio = verdict(value, None if target is None else float(target), better)
    figure = {
        "kind": "figure",
        "part": part,
        "name": name,
        "value": value,
        "unit": unit,
        "target": None if target is None else float(target),
        "better": better,
        "met": met,
        "ratio": ratio,
        "note": note,
        "recorded_at": _now(),
        "load": load_average()[0],
        "scale": scale(),
    }
    _append(figure)
    return figure


def record_p95(
    part: str, name: str, samples_ms: list[float], *, target: float | None = None, note: str = ""
) -> dict[str, Any]:
    """A latency figure: the p95 of `samples_ms`, with p50 (the median, as `bench.common.summary` prints
    it), max and the count in its note."""
    median = statistics.median(samples_ms)
    shape = f"n={len(samples_ms)}, p50 {median:.1f} ms, max {max(samples_ms):.1f} ms"
    return record(
        part,
        f"{name} p95",
        percentile(samples_ms, 95),
        "ms",
        target=target,
        note=f"{shape}; {note}" if note else shape,
    )


def record_failure(module: str, status: int) -> None:
    _append({"kind": "failure", "module": module, "status": status, "recorded_at": _now()})

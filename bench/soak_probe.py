"""The soak's window into the processes it measures (bench/soak.py): the size of every bounded in-process
cache, next to its bound, dumped as JSON every few seconds by each worker and web process.

Loaded only by the soak: the Celery workers import it with `--include=bench.soak_probe` (its signal
handlers start the dump in each prefork child and in a threads-pool worker), gunicorn reads it as its
config (`-c python:bench.soak_probe`, whose `post_fork` starts it in each web worker). Nothing is dumped
unless CMHUB_SOAK_PROBE_DIR names the directory: one file per process, `<role>-<pid>.json`.

A cache whose module the process never imported is left out: the probe imports nothing of the app itself,
so it does not change the memory it helps to measure.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from celery import signals as _celery_signals

PROBE_DIR_ENV = "CMHUB_SOAK_PROBE_DIR"
PROBE_EVERY_S = 3.0


def _loaded(name: str) -> Any:
    return sys.modules.get(name)


def _lru(function: Any) -> tuple[int, int | None]:
    info = function.cache_info()
    return info.currsize, info.maxsize


def cache_sizes() -> dict[str, dict[str, int | None]]:
    """{cache: {"size": entries now, "bound": most it may hold}} for this process, for the caches whose
    module it loaded."""
    sizes: dict[str, tuple[int, int | None]] = {}
    if selectors := _loaded("assistant.selectors"):
        sizes["FAQ index (workspaces)"] = (len(selectors._index_cache), selectors.FAQ_INDEX_CACHE_SIZE)
    if text := _loaded("assistant.engine.text"):
        sizes["assistant word fold"] = _lru(text.fold)
        sizes["assistant word stem"] = _lru(text.stem)
    if rules := _loaded("assistant.rules"):
        sizes["rule patterns (RE2)"] = _lru(rules.compile_pattern)
    # Keyed by process id: this process's own, plus its parent's when a fork inherited the dict.
    per_process = {
        "worker HTTP clients": ("core.http", "_worker_clients"),
        "poll thread pools": ("networks.tasks", "_pools"),
        "webhook HTTP clients": ("hooks.delivery", "_clients"),
    }
    for name, (module_name, attribute) in per_process.items():
        if module := _loaded(module_name):
            sizes[name] = (len(getattr(module, attribute)), 2)
    conf = _loaded("django.conf")
    if (cache := _loaded("core.cache")) and conf and conf.settings.configured:
        sizes["cache health (locations)"] = (len(cache._health), len(conf.settings.CACHES))
    return {name: {"size": size, "bound": bound} for name, (size, bound) in sizes.items()}


def report(role: str) -> dict[str, Any]:
    return {"role": role, "pid": os.getpid(), "at": time.time(), "caches": cache_sizes()}


def dump(role: str, directory: Path) -> Path:
    """Write this process's report where the soak reads it (replaced whole: never read half-written)."""
    path = directory / f"{role}-{os.getpid()}.json"
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(report(role)), encoding="utf-8")
    partial.replace(path)
    return path


def start_dumping(role: str) -> threading.Thread | None:
    """Dump every PROBE_EVERY_S on a daemon thread, when CMHUB_SOAK_PROBE_DIR is set."""
    directory = os.environ.get(PROBE_DIR_ENV)
    if not directory:
        return None
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)

    def loop() -> None:
        while True:
            try:
                dump(role, target)
            except Exception as error:  # a probe must never take its process down
                print(f"soak probe: {error!r}", file=sys.stderr)
            time.sleep(PROBE_EVERY_S)

    thread = threading.Thread(target=loop, name="soak-probe", daemon=True)
    thread.start()
    return thread


@_celery_signals.worker_process_init.connect
def _prefork_child(**kwargs: object) -> None:
    start_dumping("worker")


@_celery_signals.worker_ready.connect
def _worker_main(**kwargs: object) -> None:
    # A threads pool runs tasks in this process; a prefork parent reports too (its caches stay empty).
    start_dumping("worker")


def post_fork(server: object, worker: object) -> None:
    """Gunicorn's hook (this module is the soak's gunicorn config): each web worker dumps its own."""
    start_dumping("web")

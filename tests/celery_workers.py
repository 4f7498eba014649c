"""Real Celery worker processes for tests: same code, same broker, same database as the test itself."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    """The test database, as a DATABASE_URL a worker process can open (SQLite's test DB is a file)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user, host, port = db.get("USER") or "postgres", db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def start_worker(queues: str, *, output: IO | int = subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cmhub",
            "worker",
            "--pool=solo",
            f"--queues={queues}",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url()},
        stdout=output,
        stderr=subprocess.STDOUT,
    )


def stop_worker(process: subprocess.Popen) -> None:
    """A warm shutdown (the task in hand finishes), killed if it takes too long."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_for(
    condition: Callable[[], object], timeout: float, what: str | Callable[[], str], log: Path | None = None
) -> None:
    """Poll `condition` until it is true; on timeout, fail saying `what` (a callable is asked then, to show
    the state at the end) with the tail of the worker's `log`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    what = what() if callable(what) else what
    message = f"timed out waiting for {what}"
    if log is not None:
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no worker log)"
        message += f"; worker log:\n{tail}"
    raise AssertionError(message)

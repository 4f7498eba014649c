"""Run benchmark parts, then their summary: `python -m bench.run [part ...]` (what `make bench` and
`make bench-<part>` call; no part: DEFAULT_PARTS, every part in the order below but the soak).

A run starts empty (the figures file of the last run goes), each bench runs in its own process with the
environment it has always had (PostgreSQL from BENCH_DATABASE_URL, created and migrated first; the Celery
broker from BENCH_BROKER_URL for the parts with workers; LOG_LEVEL=WARNING), and a bench that fails does not
stop the others: its exit status is recorded, the summary shows it, and the run exits 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.results import ROOT, record_failure, start

DATABASE = "database"
BROKER = "broker"
#: part -> [(module, what it needs)], run in this order.
PARTS: dict[str, list[tuple[str, str | None]]] = {
    "ingest": [("bench.ingest", DATABASE)],
    "backfill": [("bench.backfill", DATABASE)],
    "pages": [("bench.inbox_pages", DATABASE), ("bench.api", DATABASE), ("bench.reports", DATABASE)],
    "publish": [("bench.publish", BROKER), ("bench.webhooks", BROKER), ("bench.outgoing_webhooks", BROKER)],
    "poll": [("bench.poll", BROKER)],
    "assistant": [("assistant.eval.run", None)],
    "soak": [("bench.soak", BROKER)],
}
#: What a run without parts runs: every part but the soak, which takes 30 minutes (BENCH_SOAK_SECONDS)
#: and is run on its own (`make bench-soak`).
DEFAULT_PARTS = [part for part in PARTS if part != "soak"]


def environment(needs: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("CMHUB_VAR_DIR", "var/bench")
    if needs in (DATABASE, BROKER):
        env["DATABASE_URL"] = os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cmhub_bench"
        )
        env["LOG_LEVEL"] = "WARNING"
    if needs == BROKER:
        env["CELERY_BROKER_URL"] = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
    return env


def database_ready(env: dict[str, str]) -> bool:
    """Create the bench database when it is missing (on the server its URL names), then migrate it."""
    import psycopg

    url = env["DATABASE_URL"]
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError:
        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        server = urlunsplit(parts._replace(path="/postgres"))
        print(f"creating the bench database {name}")
        try:
            with psycopg.connect(server, autocommit=True, connect_timeout=5) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error as error:
            print(f"cannot reach or create the bench database ({url}): {error}")
            return False
    migrate = [sys.executable, "manage.py", "migrate", "--verbosity=0"]
    return subprocess.run(migrate, cwd=ROOT, env=env, check=False).returncode == 0


def main(argv: list[str]) -> int:
    unknown = [part for part in argv if part not in PARTS]
    if unknown:
        print(f"unknown part(s) {', '.join(unknown)}; the parts are {', '.join(PARTS)}", file=sys.stderr)
        return 2
    parts = argv or DEFAULT_PARTS
    modules = [module for part in parts for module in PARTS[part]]
    # One absolute place for this process and every bench it starts.
    os.environ["CMHUB_VAR_DIR"] = str(
        Path(os.environ.get("CMHUB_VAR_DIR") or ROOT / "var" / "bench").resolve()
    )
    print(f"bench run: {', '.join(parts)}; figures in {start()}")
    needs_database = any(needs for _, needs in modules)
    if needs_database and not database_ready(environment(DATABASE)):
        return 1
    status = 0
    for module, needs in modules:
        print(f"\n== {module}", flush=True)
        code = subprocess.run([sys.executable, "-m", module], cwd=ROOT, env=environment(needs), check=False)
        if code.returncode:
            status = 1
            record_failure(module, code.returncode)
    print(flush=True)
    summary = [sys.executable, "-m", "bench.summary"]
    env = environment(DATABASE if needs_database else None)
    if subprocess.run(summary, cwd=ROOT, env=env, check=False).returncode:
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

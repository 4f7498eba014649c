"""Running one step in several threads at the same instant, each with its own database connection: how a
test races workers for a claim (PostgreSQL only; SQLite serialises writers)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def at_once(step: Callable[[], Any], *, times: int = 4, timeout: float = 30) -> list[Any]:
    """`step()` run by `times` threads released together; what each returned."""
    barrier = threading.Barrier(times)
    outcomes: list[Any] = []

    def run() -> None:
        try:
            barrier.wait()
            outcomes.append(step())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes

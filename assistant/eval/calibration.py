"""Calibration of the FAQ confidence on the evaluation domains the engine was never tuned on, for the
auto-reply settings page: at a threshold, how many answers reach it and how many of those are right.

Measured in-process on the shipped evaluation sets (``assistant/eval/domains``), once per process: about
half a second, and always the figures of the engine that is running.
"""

from __future__ import annotations

from functools import lru_cache

from assistant.eval import run


@lru_cache(maxsize=1)
def _unseen_outcomes() -> tuple[run.Outcome, ...]:
    outcomes: list[run.Outcome] = []
    for domain in run.DOMAINS:
        if domain.kind == "unseen":
            outcomes.extend(run.evaluate(run.build_index(domain), run.load_messages(domain.messages)))
    return tuple(outcomes)


def unseen_precision_at(threshold: float) -> tuple[int, int]:
    """(right, sent): answers at or above ``threshold`` on the unseen domains, and how many were right."""
    return run.precision_at(_unseen_outcomes(), threshold)

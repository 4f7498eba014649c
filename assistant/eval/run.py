"""Quality benchmark of the offline assistant engine: ``python -m assistant.eval.run``.

Runs triage and FAQ suggestions on every labelled message of ``messages.jsonl`` against the Demo Bakery FAQ
and prints each figure with its target, on all messages and on a held-out 30% split chosen by a hash of the
text. Lexicons, rules and weights were tuned while looking at the other 70% only ("dev"), so a large gap
between the columns means over-fitting. Always exits 0: it is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from assistant.engine import FaqIndex, load_entries, sentiment_label, triage

HERE = Path(__file__).resolve().parent
HELD_OUT_PERCENT = 30
CONFIDENT = 0.7  # a suggestion at or above this confidence could be offered first, or auto-sent if allowed


def is_held_out(text: str) -> bool:
    """Deterministic 30% split by a hash of the text (stable across runs, machines and file order)."""
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) % 100 < HELD_OUT_PERCENT


@dataclass(slots=True)
class Outcome:
    message: dict
    language: str
    intent: str
    sentiment: float
    spam: bool
    suggestions: list
    seconds: float


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    target: str
    passes: Callable[[float], bool]
    compute: Callable[[Sequence[Outcome]], tuple[float | None, str]]
    unit: str = "%"


def _ratio(hits: int, total: int) -> tuple[float | None, str]:
    return (100.0 * hits / total if total else None), f"{hits}/{total}"


def _faq(outcomes: Sequence[Outcome], k: int) -> tuple[float | None, str]:
    rows = [o for o in outcomes if o.message["expected_faq"]]
    hits = sum(o.message["expected_faq"] in [s.entry_id for s in o.suggestions[:k]] for o in rows)
    return _ratio(hits, len(rows))


def _confident_precision(outcomes: Sequence[Outcome]) -> tuple[float | None, str]:
    confident = [o for o in outcomes if o.suggestions and o.suggestions[0].confidence >= CONFIDENT]
    hits = sum(o.suggestions[0].entry_id == o.message["expected_faq"] for o in confident)
    return _ratio(hits, len(confident))


def _confident_coverage(outcomes: Sequence[Outcome]) -> tuple[float | None, str]:
    rows = [o for o in outcomes if o.message["expected_faq"]]
    hits = sum(
        bool(o.suggestions)
        and o.suggestions[0].confidence >= CONFIDENT
        and o.suggestions[0].entry_id == o.message["expected_faq"]
        for o in rows
    )
    return _ratio(hits, len(rows))


def _spam_precision(outcomes: Sequence[Outcome]) -> tuple[float | None, str]:
    flagged = [o for o in outcomes if o.spam]
    return _ratio(sum(o.message["is_spam"] for o in flagged), len(flagged))


def _spam_recall(outcomes: Sequence[Outcome]) -> tuple[float | None, str]:
    spam = [o for o in outcomes if o.message["is_spam"]]
    return _ratio(sum(o.spam for o in spam), len(spam))


def _latency(q: int) -> Callable[[Sequence[Outcome]], tuple[float | None, str]]:
    def compute(outcomes: Sequence[Outcome]) -> tuple[float | None, str]:
        ms = sorted(o.seconds * 1000 for o in outcomes)
        if not ms:
            return None, "0"
        return statistics.quantiles(ms, n=100, method="inclusive")[q - 1], f"n={len(ms)}"

    return compute


METRICS = [
    Metric("FAQ top-3 accuracy", ">= 90%", lambda v: v >= 90, lambda o: _faq(o, 3)),
    Metric("FAQ top-1 accuracy", ">= 75% (own)", lambda v: v >= 75, lambda o: _faq(o, 1)),
    Metric(
        f"top-1 precision at conf >= {CONFIDENT}", ">= 90% (own)", lambda v: v >= 90, _confident_precision
    ),
    Metric(f"FAQ answered at conf >= {CONFIDENT}", ">= 50% (own)", lambda v: v >= 50, _confident_coverage),
    Metric(
        "intent accuracy",
        ">= 85% (own)",
        lambda v: v >= 85,
        lambda o: _ratio(sum(x.intent == x.message["intent"] for x in o), len(o)),
    ),
    Metric(
        "sentiment agreement",
        ">= 80% (own)",
        lambda v: v >= 80,
        lambda o: _ratio(sum(sentiment_label(x.sentiment) == x.message["sentiment"] for x in o), len(o)),
    ),
    Metric(
        "language accuracy",
        ">= 95% (own)",
        lambda v: v >= 95,
        lambda o: _ratio(sum(x.language == x.message["language"] for x in o), len(o)),
    ),
    Metric("spam precision", ">= 95%", lambda v: v >= 95, _spam_precision),
    Metric("spam recall", ">= 85% (own)", lambda v: v >= 85, _spam_recall),
    Metric("latency p50 (ms)", "<= 10 ms (own)", lambda v: v <= 10, _latency(50), unit="ms"),
    Metric("latency p95 (ms)", "<= 50 ms", lambda v: v <= 50, _latency(95), unit="ms"),
]


def load_messages(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def evaluate(index: FaqIndex, messages: Sequence[dict]) -> list[Outcome]:
    outcomes = []
    for message in messages:
        text = message["text"]
        started = time.perf_counter()
        result = triage(text, recent_texts=message.get("recent_texts", ()))
        suggestions = index.suggest(text, language=result.language, intent=result.intent)
        elapsed = time.perf_counter() - started
        outcomes.append(
            Outcome(
                message=message,
                language=result.language,
                intent=result.intent,
                sentiment=result.sentiment,
                spam=result.intent == "spam",
                suggestions=suggestions,
                seconds=elapsed,
            )
        )
    return outcomes


def _cell(metric: Metric, outcomes: Sequence[Outcome]) -> tuple[str, str]:
    value, detail = metric.compute(outcomes)
    if value is None:
        return "n/a", "n/a"
    shown = f"{value:.1f}%" if metric.unit == "%" else f"{value:.2f}"
    return f"{shown} ({detail})", "met" if metric.passes(value) else "MISSED"


def report(outcomes: Sequence[Outcome], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    held = [o for o in outcomes if is_held_out(o.message["text"])]
    header = f"{'metric':<34}{'all':<22}{'':<8}{'held-out 30%':<22}{'':<8}target"
    print(header, file=out)
    print("-" * len(header), file=out)
    for metric in METRICS:
        all_cell, all_status = _cell(metric, outcomes)
        held_cell, held_status = _cell(metric, held)
        print(
            f"{metric.name:<34}{all_cell:<22}{all_status:<8}{held_cell:<22}{held_status:<8}{metric.target}",
            file=out,
        )


def show_errors(outcomes: Sequence[Outcome], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    for o in outcomes:
        m = o.message
        ids = [s.entry_id for s in o.suggestions]
        problems = []
        if m["expected_faq"] and m["expected_faq"] not in ids[:1]:
            problems.append(f"faq {m['expected_faq']} got {ids}")
        if o.intent != m["intent"]:
            problems.append(f"intent {m['intent']} got {o.intent}")
        if sentiment_label(o.sentiment) != m["sentiment"]:
            problems.append(f"sentiment {m['sentiment']} got {o.sentiment:+.2f}")
        if o.language != m["language"]:
            problems.append(f"language {m['language']} got {o.language}")
        if problems:
            print(f"- {m['text'][:90]!r}: " + "; ".join(problems), file=out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faq", type=Path, default=HERE / "faq_bakery.json")
    parser.add_argument("--messages", type=Path, default=HERE / "messages.jsonl")
    parser.add_argument(
        "--errors", choices=["dev", "held-out", "all"], help="also list the messages the engine gets wrong"
    )
    args = parser.parse_args(argv)

    faq = json.loads(args.faq.read_text(encoding="utf-8"))
    started = time.perf_counter()
    index = FaqIndex(load_entries(faq))
    build_ms = (time.perf_counter() - started) * 1000
    messages = load_messages(args.messages)
    outcomes = evaluate(index, messages)

    languages = Counter(m["language"] for m in messages)
    intents = Counter(m["intent"] for m in messages)
    with_faq = sum(bool(m["expected_faq"]) for m in messages)
    held = sum(is_held_out(m["text"]) for m in messages)
    print(f"Assistant engine benchmark: {faq.get('business', 'FAQ')}, {len(index.entries)} FAQ entries")
    print(
        f"{len(messages)} messages ({', '.join(f'{k} {v}' for k, v in languages.most_common())}); "
        f"{', '.join(f'{k} {v}' for k, v in intents.most_common())}; {with_faq} with an expected FAQ; "
        f"held-out split {held}"
    )
    print(f"index built in {build_ms:.1f} ms; latency is triage + suggestions per message, one thread\n")
    report(outcomes)
    if args.errors:
        chosen = [
            o
            for o in outcomes
            if args.errors == "all" or (args.errors == "held-out") == is_held_out(o.message["text"])
        ]
        print(f"\nErrors ({args.errors}):")
        show_errors(chosen)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Quality benchmark of the offline assistant engine: ``python -m assistant.eval.run``.

Runs triage and FAQ suggestions on every labelled message of each evaluation domain and prints every
figure per domain, side by side, with its target:

* ``bakery``: the Demo Bakery (``faq_bakery.json``, ``messages.jsonl``), with the demo workspace's own
  lexicon (``demo/data/bakery_synonyms.txt``) as its workspace synonyms, as the demo runs it. The engine
  was developed on it.
* ``transit`` and ``gym``: *dev* domains (``domains/transit``, ``domains/gym``): tuning on them is allowed.
* ``isp`` and ``townhall``: *unseen* domains (``domains/isp``, ``domains/townhall``), frozen before the
  engine was generalised and never tuned on. Their figures are the ones that say how the engine does for a
  brand it has never seen; the targets apply to them.
* ``--workspace-set DIR`` (repeatable) adds a workspace's own labelled messages: the ones its agents
  corrected in the triage, exported with its FAQ by ``manage.py export_triage_eval <slug> DIR``.

Then a calibration table: for each auto-send threshold, the share of right answers among the messages
whose best suggestion reaches it (all intents but spam, so chit-chat answered by mistake counts as wrong),
pooled over the unseen domains; the engine's ``AUTO_SEND_THRESHOLD`` must be the lowest threshold with at
least 98% there. Always exits 0: it is a benchmark, not a test.

Every figure printed is also recorded for the benchmarks' summary (``bench.results``: ``figures.jsonl`` in
the bench's var dir, ``python -m bench.summary`` prints them with the other benches'); ``--no-record``
leaves it out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from assistant.engine import (
    AUTO_SEND_THRESHOLD,
    FaqIndex,
    load_entries,
    parse_synonyms,
    sentiment_label,
    triage,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BAKERY_SYNONYMS_FILE = ROOT / "demo" / "data" / "bakery_synonyms.txt"
CALIBRATION_THRESHOLDS = [round(0.05 * i, 2) for i in range(8, 20)]  # 0.40 .. 0.95
CALIBRATION_PRECISION = 98.0


@dataclass(frozen=True, slots=True)
class Domain:
    name: str
    kind: str  # "own" (developed on), "dev" (tuning allowed) or "unseen" (never tuned on)
    faq: Path
    messages: Path
    synonyms: Path | None = None


DOMAINS = [
    Domain("bakery", "own", HERE / "faq_bakery.json", HERE / "messages.jsonl", BAKERY_SYNONYMS_FILE),
    Domain(
        "transit",
        "dev",
        HERE / "domains" / "transit" / "faq.json",
        HERE / "domains" / "transit" / "messages.jsonl",
    ),
    Domain("gym", "dev", HERE / "domains" / "gym" / "faq.json", HERE / "domains" / "gym" / "messages.jsonl"),
    Domain(
        "isp", "unseen", HERE / "domains" / "isp" / "faq.json", HERE / "domains" / "isp" / "messages.jsonl"
    ),
    # Reviews with their stars (issue 18): the stars rule, measured on trades the engine never saw.
    Domain(
        "reviews",
        "reviews",
        HERE / "domains" / "reviews" / "faq.json",
        HERE / "domains" / "reviews" / "messages.jsonl",
    ),
    Domain(
        "townhall",
        "unseen",
        HERE / "domains" / "townhall" / "faq.json",
        HERE / "domains" / "townhall" / "messages.jsonl",
    ),
]


def workspace_domain(directory: Path) -> Domain:
    """A workspace's exported corrections (``faq.json`` and ``messages.jsonl`` in ``directory``)."""
    name = directory.name or "workspace"
    return Domain(name, "workspace", directory / "faq.json", directory / "messages.jsonl")


@dataclass(slots=True)
class Outcome:
    message: dict
    language: str
    intent: str
    sentiment: float
    spam: bool
    suggestions: list
    seconds: float
    priority: int = 0

    @property
    def top(self) -> str | None:
        return self.suggestions[0].entry_id if self.suggestions else None

    @property
    def confidence(self) -> float:
        return self.suggestions[0].confidence if self.suggestions else 0.0


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    target: str
    limit: float | None  # None: shown, no target
    better: str  # "higher" or "lower": which side of `limit` passes
    compute: Callable[[Sequence[Outcome]], tuple[float | None, str]]
    unit: str = "%"

    def passes(self, value: float) -> bool:
        if self.limit is None:
            return True
        return value >= self.limit if self.better == "higher" else value <= self.limit


def _ratio(hits: int, total: int) -> tuple[float | None, str]:
    return (100.0 * hits / total if total else None), f"{hits}/{total}"


def _faq(outcomes: Sequence[Outcome], k: int) -> tuple[float | None, str]:
    rows = [o for o in outcomes if o.message["expected_faq"]]
    hits = sum(o.message["expected_faq"] in [s.entry_id for s in o.suggestions[:k]] for o in rows)
    return _ratio(hits, len(rows))


def precision_at(outcomes: Sequence[Outcome], threshold: float) -> tuple[int, int]:
    """(right, sent) among the messages whose best suggestion reaches ``threshold``."""
    sent = [o for o in outcomes if o.suggestions and o.confidence >= threshold]
    return sum(o.top == o.message["expected_faq"] for o in sent), len(sent)


def _auto_precision(outcomes: Sequence[Outcome]) -> tuple[float | None, str]:
    return _ratio(*precision_at(outcomes, AUTO_SEND_THRESHOLD))


def _auto_coverage(outcomes: Sequence[Outcome]) -> tuple[float | None, str]:
    rows = [o for o in outcomes if o.message["expected_faq"]]
    hits = sum(o.confidence >= AUTO_SEND_THRESHOLD and o.top == o.message["expected_faq"] for o in rows)
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
        if len(ms) < 2:
            return None, "0"
        return statistics.quantiles(ms, n=100, method="inclusive")[q - 1], f"n={len(ms)}"

    return compute


def _share(predicate: Callable[[Outcome], bool]) -> Callable[[Sequence[Outcome]], tuple[float | None, str]]:
    return lambda outcomes: _ratio(sum(predicate(o) for o in outcomes), len(outcomes))


def _priority(outcomes: Sequence[Outcome]) -> tuple[float | None, str]:
    """Where a set labels the priority (the reviews set): the share triaged at that priority."""
    rows = [o for o in outcomes if "priority" in o.message]
    return _ratio(sum(o.priority == o.message["priority"] for o in rows), len(rows))


METRICS = [
    Metric("FAQ top-3 accuracy", ">= 90%", 90, "higher", lambda o: _faq(o, 3)),
    Metric("FAQ top-1 accuracy", ">= 80%", 80, "higher", lambda o: _faq(o, 1)),
    Metric(f"precision at conf >= {AUTO_SEND_THRESHOLD:.2f}", ">= 98%", 98, "higher", _auto_precision),
    Metric(f"FAQ answered at conf >= {AUTO_SEND_THRESHOLD:.2f}", "(shown)", None, "higher", _auto_coverage),
    Metric("intent accuracy", ">= 90%", 90, "higher", _share(lambda x: x.intent == x.message["intent"])),
    Metric(
        "sentiment sign",
        ">= 85%",
        85,
        "higher",
        _share(lambda x: sentiment_label(x.sentiment) == x.message["sentiment"]),
    ),
    Metric(
        "language accuracy",
        ">= 95% (own)",
        95,
        "higher",
        _share(lambda x: x.language == x.message["language"]),
    ),
    Metric("priority (where labelled)", "(shown)", None, "higher", _priority),
    Metric("spam precision", ">= 95%", 95, "higher", _spam_precision),
    Metric("spam recall", ">= 80%", 80, "higher", _spam_recall),
    Metric("latency p50 (ms)", "<= 10 ms (own)", 10, "lower", _latency(50), unit="ms"),
    Metric("latency p95 (ms)", "<= 20 ms", 20, "lower", _latency(95), unit="ms"),
]


def load_messages(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_synonyms(path: Path | None) -> dict[str, list[str]] | None:
    if path is None or not path.exists():
        return None
    return parse_synonyms(path.read_text(encoding="utf-8"))


def build_index(domain: Domain) -> FaqIndex:
    faq = json.loads(domain.faq.read_text(encoding="utf-8"))
    return FaqIndex(load_entries(faq), synonyms=load_synonyms(domain.synonyms))


def evaluate(index: FaqIndex, messages: Sequence[dict]) -> list[Outcome]:
    outcomes = []
    for message in messages:
        text = message["text"]
        started = time.perf_counter()
        result = triage(text, recent_texts=message.get("recent_texts", ()), rating=message.get("rating"))
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
                priority=result.priority,
            )
        )
    return outcomes


def _cell(metric: Metric, outcomes: Sequence[Outcome]) -> tuple[str, bool | None]:
    value, detail = metric.compute(outcomes)
    if value is None:
        return "n/a", None
    shown = f"{value:.1f}%" if metric.unit == "%" else f"{value:.2f}"
    return f"{shown} ({detail})", metric.passes(value)


def report(results: Sequence[tuple[Domain, Sequence[Outcome]]], out: TextIO | None = None) -> None:
    """One row per metric, one column per domain; "MISSED" marks a target missed on a domain."""
    out = out or sys.stdout
    width = 24
    header = f"{'metric':<32}" + "".join(f"{f'{d.name} ({d.kind})':<{width}}" for d, _ in results) + "target"
    print(header, file=out)
    print("-" * len(header), file=out)
    for metric in METRICS:
        cells = []
        for _, outcomes in results:
            shown, passed = _cell(metric, outcomes)
            cells.append(f"{shown + ('' if passed in (True, None) else ' MISSED'):<{width}}")
        print(f"{metric.name:<32}{''.join(cells)}{metric.target}", file=out)


def calibration(outcomes: Sequence[Outcome]) -> list[tuple[float, int, int]]:
    """(threshold, right, sent) for each threshold of ``CALIBRATION_THRESHOLDS``."""
    return [(t, *precision_at(outcomes, t)) for t in CALIBRATION_THRESHOLDS]


def lowest_safe_threshold(
    outcomes: Sequence[Outcome], precision: float = CALIBRATION_PRECISION
) -> float | None:
    """The lowest threshold from which on every higher one keeps at least ``precision`` percent right."""
    rows = calibration(outcomes)
    safe = None
    for threshold, right, sent in reversed(rows):
        if sent and 100.0 * right / sent < precision:
            break
        safe = threshold
    return safe


def report_calibration(
    results: Sequence[tuple[Domain, Sequence[Outcome]]], out: TextIO | None = None
) -> None:
    out = out or sys.stdout
    unseen = [o for d, outcomes in results if d.kind == "unseen" for o in outcomes]
    columns = [(f"{d.name}", list(o)) for d, o in results] + [("unseen pooled", unseen)]
    print(
        "\nCalibration: share of right answers among messages whose best suggestion reaches the threshold",
        file=out,
    )
    print(f"{'threshold':<12}" + "".join(f"{name:<22}" for name, _ in columns), file=out)
    for i, threshold in enumerate(CALIBRATION_THRESHOLDS):
        cells = []
        for _, outcomes in columns:
            _, right, sent = calibration(outcomes)[i]
            cells.append(f"{f'{100.0 * right / sent:.1f}% ({right}/{sent})' if sent else 'n/a':<22}")
        print(f"{threshold:<12.2f}{''.join(cells)}", file=out)
    safe = lowest_safe_threshold(unseen)
    print(
        f"lowest threshold with >= {CALIBRATION_PRECISION:.0f}% on the unseen domains: "
        f"{'none' if safe is None else f'{safe:.2f}'}; "
        f"engine default AUTO_SEND_THRESHOLD = {AUTO_SEND_THRESHOLD:.2f}",
        file=out,
    )


def is_replayed(text: str) -> bool:
    """Deterministic half of the messages, by a hash of the text: the ones replayed as "answered by a
    person" in the learned-phrasings measurement."""
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) % 2 == 0


def with_learned_phrasings(domain: Domain, answered: Sequence[dict]) -> FaqIndex:
    """The domain's index once every answered message has become an accepted phrasing of its entry: what a
    workspace gets when people answer with FAQ entries and a manager accepts the candidates."""
    faq = json.loads(domain.faq.read_text(encoding="utf-8"))
    learned: dict[str, list[str]] = {}
    for message in answered:
        if message["expected_faq"]:
            learned.setdefault(message["expected_faq"], []).append(message["text"])
    entries = load_entries(faq)
    grown = [replace(e, learned=[*e.learned, *learned.get(e.id, [])]) for e in entries]
    return FaqIndex(grown, synonyms=load_synonyms(domain.synonyms))


LearningRow = tuple[Domain, list[tuple[float | None, str]]]  # top-1 before, after, top-3 before, after


def report_learning(
    results: Sequence[tuple[Domain, Sequence[Outcome]]], out: TextIO | None = None
) -> list[LearningRow]:
    """Replay half of each domain's messages as answered by a person, then score the other half."""
    out = out or sys.stdout
    rows: list[LearningRow] = []
    print(
        "\nLearned phrasings: half the messages replayed as answered by a person, the other half scored",
        file=out,
    )
    print(
        f"{'domain':<22}{'top-1 before':<18}{'top-1 after':<18}{'top-3 before':<18}{'top-3 after':<18}",
        file=out,
    )
    for domain, outcomes in results:
        messages = [o.message for o in outcomes]
        answered = [m for m in messages if is_replayed(m["text"])]
        scored = [m for m in messages if not is_replayed(m["text"])]
        before = evaluate(build_index(domain), scored)
        after = evaluate(with_learned_phrasings(domain, answered), scored)
        cells = [_faq(before, 1), _faq(after, 1), _faq(before, 3), _faq(after, 3)]
        shown = "".join(f"{f'{v:.1f}% ({d})' if v is not None else 'n/a':<18}" for v, d in cells)
        print(f"{f'{domain.name} ({domain.kind})':<22}{shown}", file=out)
        rows.append((domain, cells))
    return rows


def record_figures(
    results: Sequence[tuple[Domain, Sequence[Outcome]]], learning: Sequence[LearningRow]
) -> int:
    """Every figure printed above, for the benchmarks' summary (`bench.results`); how many were recorded.
    Imported here, not at the top: the settings page's calibration imports this module, the bench never."""
    from bench.results import record

    recorded = 0
    for domain, outcomes in results:
        for metric in METRICS:
            value, detail = metric.compute(outcomes)
            if value is not None:
                record(
                    "assistant",
                    f"{domain.name} ({domain.kind}): {metric.name}",
                    value,
                    metric.unit,
                    target=metric.limit,
                    better=metric.better,
                    note=detail,
                )
                recorded += 1
    unseen = [o for d, outcomes in results if d.kind == "unseen" for o in outcomes]
    if unseen:
        safe = lowest_safe_threshold(unseen)
        record(
            "assistant",
            f"lowest auto-send threshold with >= {CALIBRATION_PRECISION:.0f}% right (unseen pooled)",
            # None: no threshold up to the highest one tried is safe; 1.0 says so against the default.
            1.0 if safe is None else safe,
            "",
            target=AUTO_SEND_THRESHOLD,
            note=f"engine default AUTO_SEND_THRESHOLD = {AUTO_SEND_THRESHOLD:.2f}"
            + ("; none of the thresholds tried is safe" if safe is None else ""),
        )
        recorded += 1
    for domain, (top1_before, top1_after, top3_before, top3_after) in learning:
        for name, (value, detail), (before, _) in (
            ("top-1", top1_after, top1_before),
            ("top-3", top3_after, top3_before),
        ):
            if value is not None:
                note = f"{detail}; {before:.1f}% before" if before is not None else detail
                record(
                    "assistant",
                    f"{domain.name} ({domain.kind}): {name} after learned phrasings",
                    value,
                    "%",
                    better="higher",
                    note=note,
                )
                recorded += 1
    return recorded


def show_errors(outcomes: Sequence[Outcome], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    for o in outcomes:
        m = o.message
        ids = [f"{s.entry_id}:{s.confidence:.2f}" for s in o.suggestions]
        problems = []
        if m["expected_faq"] and m["expected_faq"] != o.top:
            problems.append(f"faq {m['expected_faq']} got {ids}")
        elif not m["expected_faq"] and o.confidence >= AUTO_SEND_THRESHOLD:
            problems.append(f"faq none got {ids}")
        if o.intent != m["intent"]:
            problems.append(f"intent {m['intent']} got {o.intent}")
        if sentiment_label(o.sentiment) != m["sentiment"]:
            problems.append(f"sentiment {m['sentiment']} got {o.sentiment:+.2f}")
        if o.language != m["language"]:
            problems.append(f"language {m['language']} got {o.language}")
        if problems:
            print(f"- {m['text'][:90]!r}: " + "; ".join(problems), file=out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--domain", action="append", choices=[d.name for d in DOMAINS], help="only these domains (repeatable)"
    )
    parser.add_argument(
        "--errors",
        choices=[d.name for d in DOMAINS if d.kind != "unseen"],
        help="also list the messages the engine gets wrong on this domain (never on an unseen one)",
    )
    parser.add_argument(
        "--workspace-set",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="also score a workspace's own corrected messages (manage.py export_triage_eval writes DIR)",
    )
    parser.add_argument(
        "--no-record", action="store_true", help="do not add the figures to the benchmarks' summary"
    )
    args = parser.parse_args(argv)

    chosen = [d for d in DOMAINS if not args.domain or d.name in args.domain]
    chosen += [workspace_domain(directory) for directory in args.workspace_set]
    results = []
    print("Assistant engine benchmark; latency is triage + suggestions per message, one thread")
    for domain in chosen:
        started = time.perf_counter()
        index = build_index(domain)
        build_ms = (time.perf_counter() - started) * 1000
        messages = load_messages(domain.messages)
        with_faq = sum(bool(m["expected_faq"]) for m in messages)
        print(
            f"- {domain.name} ({domain.kind}): {len(index.entries)} FAQ entries, {len(messages)} messages, "
            f"{with_faq} with an expected FAQ; index built in {build_ms:.1f} ms"
        )
        results.append((domain, evaluate(index, messages)))
    print()
    report(results)
    report_calibration(results)
    learning = report_learning(results)
    if args.errors:
        for domain, outcomes in results:
            if domain.name == args.errors:
                print(f"\nErrors ({domain.name}):")
                show_errors(outcomes)
    if not args.no_record:
        record_figures(results, learning)
    return 0


if __name__ == "__main__":
    sys.exit(main())

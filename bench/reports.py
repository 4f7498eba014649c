"""Reports at scale: 1,000,000 messages in 100,000 conversations in one workspace (PostgreSQL), times
BENCH_SCALE.

Builds the inbox the way bench/inbox_pages.py does (set-based SQL), then what reports read besides:
authors on most outbound messages (the others stay the assistant's auto-replies), resolutions, labels, a
triage on half the inbound messages, and the facts through `facts_rebuild` (timed: it is what
`reports_backfill` runs). The data set is kept between runs (`--rebuild` starts over).

Then it measures, through Django's test client (server time, no network):
- the conversation export over the whole set: rows per second (target >= 20,000), median of 3 runs;
- every report read in CASES, a list of (name, callable or URL): p50 and p95 (target p95 <= 300 ms).
Add a report page by appending its URL to CASES.

Runtime on a 2-core machine: about 5 minutes for the first run (build 200 s, facts 33 s), under 1 minute
once built.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from bench.common import four_channels, machine, members, percentile, setup_django, summary
from bench.results import record, record_p95

SLUG = "bench-reports"
EXPORT_TARGET_ROWS_PER_S = 20_000
PAGE_TARGET_P95_MS = 300
SAMPLES = 30


def build_extras(workspace_id: int, user_ids: list[int], label_ids: list[int]) -> None:
    """What the inbox build leaves out and reports read: who replied, resolutions, labels, triage."""
    from django.db import connection

    with connection.cursor() as cursor:
        # Two outbound messages in three are a person's reply; the third stays an auto-reply (no author).
        cursor.execute(
            """
            UPDATE inbox_message SET author_user_id = (%s::bigint[])[1 + id %% %s]
            WHERE workspace_id = %s AND direction = 'out' AND id %% 3 <> 0
            """,
            [user_ids, len(user_ids), workspace_id],
        )
        cursor.execute(
            """
            UPDATE inbox_conversation SET resolved_at = last_message_at + interval '1 hour'
            WHERE workspace_id = %s AND status = 'resolved'
            """,
            [workspace_id],
        )
        cursor.execute(
            """
            INSERT INTO inbox_conversation_labels (conversation_id, label_id)
            SELECT c.id, (%s::bigint[])[1 + c.id %% %s] FROM inbox_conversation c
            WHERE c.workspace_id = %s AND c.id %% 3 <> 0
            UNION ALL
            SELECT c.id, (%s::bigint[])[1 + (c.id + 1) %% %s] FROM inbox_conversation c
            WHERE c.workspace_id = %s AND c.id %% 3 = 1
            """,
            [label_ids, len(label_ids), workspace_id, label_ids, len(label_ids), workspace_id],
        )
        cursor.execute(
            """
            INSERT INTO assistant_messagetriage (message_id, language, sentiment, intent, priority, spam_score,
                                                 spam_reasons, engine_version, created_at)
            SELECT m.id, 'fr', ((m.id %% 5) - 2) / 2.0,
                   (ARRAY['question','complaint','praise','order','other'])[1 + m.id %% 5], 1, 0.01,
                   '[]'::jsonb, 'bench', now()
            FROM inbox_message m WHERE m.workspace_id = %s AND m.direction = 'in' AND m.id %% 2 = 0
            """,
            [workspace_id],
        )
        cursor.execute(
            "ANALYZE inbox_message; ANALYZE inbox_conversation; ANALYZE inbox_conversation_labels; "
            "ANALYZE assistant_messagetriage"
        )


def ensure_data():
    from django.db import transaction

    from accounts.models import Workspace
    from bench.inbox_pages import CONVERSATIONS, MESSAGES_PER_CONVERSATION, build
    from inbox.models import Contact, Label, Message
    from networks.models import Channel
    from reports.models import ReportingEvent
    from reports.services import facts_rebuild

    workspace, _ = Workspace.objects.get_or_create(slug=SLUG, defaults={"name": "Bench reports"})
    users = members(workspace, email_prefix="reports")
    messages = CONVERSATIONS * MESSAGES_PER_CONVERSATION
    if "--rebuild" in sys.argv or Message.objects.filter(workspace=workspace).count() != messages:
        ReportingEvent.objects.filter(workspace=workspace).delete()
        Channel.objects.filter(workspace=workspace).delete()
        Contact.objects.filter(workspace=workspace).delete()
        Label.objects.filter(workspace=workspace).delete()
        channels = four_channels(workspace)
        labels = [Label.objects.create(workspace=workspace, name=n) for n in ("vip", "billing", "delivery")]
        start = time.perf_counter()
        with transaction.atomic():
            build(workspace.pk, [c.pk for c in channels], [u.pk for u in users])
            build_extras(workspace.pk, [u.pk for u in users], [label.pk for label in labels])
        print(
            f"built {CONVERSATIONS:,} conversations and {messages:,} messages in {time.perf_counter() - start:.0f} s"
        )
    if not ReportingEvent.objects.filter(workspace=workspace).exists():
        start = time.perf_counter()
        written = facts_rebuild(workspace=workspace)
        elapsed = time.perf_counter() - start
        print(
            f"facts_rebuild: {written:,} facts in {elapsed:.0f} s ({CONVERSATIONS / elapsed:,.0f} conversations/s)"
        )
        record(
            "reports",
            "facts_rebuild",
            CONVERSATIONS / elapsed,
            "conversations/s",
            better="higher",
            note=f"{written:,} facts in {elapsed:.1f} s",
        )
    return workspace, users


def main() -> int:
    setup_django()
    from django.db import connection
    from django.http import QueryDict
    from django.test import Client
    from django.utils import timezone

    from reports import selectors
    from reports.framework import report_filter_parse

    if connection.vendor != "postgresql":
        print("bench/reports.py wants PostgreSQL (set DATABASE_URL); skipping.")
        return 0
    workspace, users = ensure_data()
    client = Client()
    client.force_login(users[1])  # a manager
    today = timezone.localdate()

    def report_filter(query: str):
        f, _form = report_filter_parse(
            QueryDict(query), timezone_name=workspace.timezone or "UTC", today=today
        )
        assert f is not None
        return f

    channel_id = workspace.channels.order_by("pk").values_list("pk", flat=True).first()
    # (name, a callable to time, or a URL to GET): report pages join this list as they are written.
    cases: list[tuple[str, Callable[[], object] | str]] = [
        (
            "first_response_summary 30d",
            lambda: selectors.first_response_summary(workspace, report_filter("range=30d")),
        ),
        (
            "first_response_summary 90d",
            lambda: selectors.first_response_summary(workspace, report_filter("range=90d")),
        ),
        (
            "first_response_summary 90d hours",
            lambda: selectors.first_response_summary(workspace, report_filter("range=90d&business_hours=on")),
        ),
        (
            "first_response_summary 90d chan",
            lambda: selectors.first_response_summary(
                workspace, report_filter(f"range=90d&channel={channel_id}")
            ),
        ),
        ("overview page", f"/w/{SLUG}/"),
        ("inbox report page 30d", f"/w/{SLUG}/reports/inbox/?range=30d"),
        ("inbox report page 90d compare", f"/w/{SLUG}/reports/inbox/?range=90d&compare=on"),
        (
            "inbox report page 90d hours weekly",
            f"/w/{SLUG}/reports/inbox/?range=90d&business_hours=on&grouping=week",
        ),
        ("team report page 30d", f"/w/{SLUG}/reports/team/?range=30d"),
        ("team report page 90d", f"/w/{SLUG}/reports/team/?range=90d"),
    ]
    print(f"machine: {machine()}, PostgreSQL {connection.pg_version // 10000}")

    export_url = f"/w/{SLUG}/reports/conversations.csv?range=90d"
    rates = []
    for _ in range(3):
        start = time.perf_counter()
        response = client.get(export_url)
        lines = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1  # less the header
        rates.append(lines / (time.perf_counter() - start))
    median_rate = statistics.median(rates)
    verdict = "ok" if median_rate >= EXPORT_TARGET_ROWS_PER_S else "MISSED"
    print(
        f"{'export conversations.csv (90d)':<34} rows={lines:,}  median={median_rate:,.0f} rows/s"
        f"  best={max(rates):,.0f} rows/s  x{median_rate / EXPORT_TARGET_ROWS_PER_S:.2f} of the "
        f"{EXPORT_TARGET_ROWS_PER_S:,} target  {verdict}"
    )
    record(
        "reports",
        "export conversations.csv (90d), median of 3",
        median_rate,
        "rows/s",
        target=EXPORT_TARGET_ROWS_PER_S,
        better="higher",
        note=f"{lines:,} rows, best {max(rates):,.0f} rows/s",
    )

    for name, case in cases:
        run = _runner(client, case)
        for _ in range(3):
            run()  # warm caches
        samples = []
        for _ in range(SAMPLES):
            start = time.perf_counter()
            run()
            samples.append((time.perf_counter() - start) * 1000)
        p95 = percentile(samples, 95)
        verdict = "ok" if p95 <= PAGE_TARGET_P95_MS else "MISSED"
        print(
            f"{summary(name, samples)}  x{p95 / PAGE_TARGET_P95_MS:.2f} of {PAGE_TARGET_P95_MS} ms  {verdict}"
        )
        record_p95("reports", name, samples, target=PAGE_TARGET_P95_MS)
    return 0  # a miss is a figure to report, not a crash: `make bench` goes on to the next bench


def _runner(client, case: Callable[[], object] | str) -> Callable[[], object]:
    if callable(case):
        return case

    def get() -> object:
        response = client.get(case)
        if response.status_code != 200:
            raise SystemExit(f"{case} answered {response.status_code}")
        return response

    return get


if __name__ == "__main__":
    sys.exit(main())

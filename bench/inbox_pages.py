"""Inbox pages at scale: 100,000, 1,000,000 and 10,000,000 messages (ten per conversation), each size in a
workspace of its own (PostgreSQL), times BENCH_SCALE; BENCH_PAGES_MESSAGES=100000,1000000 picks the sizes.

Builds each data set once with set-based SQL (kept between runs: `--rebuild` to start over), then times
the list, conversation and search pages through Django's test client: server time, no network; and how
much of each page is SQL (the queries' own time, timed around the database driver), the rest being
Python: the view, the template, the response.
Targets: list and conversation p95 <= 50 ms at 1,000,000 messages, search p95 <= 200 ms; at the largest
size every page within 1.3x of the same page at the smallest (same run), search p95 <= 200 ms.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time

from bench.common import four_channels, machine, members, percentile, scaled, setup_django, summary
from bench.results import record, record_p95

MESSAGES_PER_CONVERSATION = 10
CONVERSATIONS = scaled(100_000, minimum=200)  # the reference size: 1,000,000 messages
SLUG = "bench-pages"
SIZES = [
    scaled(int(size), minimum=2_000) // MESSAGES_PER_CONVERSATION
    for size in os.environ.get("BENCH_PAGES_MESSAGES", "100000,1000000,10000000").split(",")
]
LIST_TARGET_MS, SEARCH_TARGET_MS, GROWTH_TARGET = 50, 200, 1.3
PHRASES = [
    "Bonjour, vous livrez à Lyon le dimanche ?",
    "À quelle heure ouvrez-vous demain matin ?",
    "Ma commande n'est jamais arrivée, je veux un remboursement",
    "Le fraisier contient-il des fruits à coque ? Mon fils est allergique",
    "Best croissants in town, thank you!",
    "Do you deliver to Brooklyn on weekends?",
    "I was charged twice for my order, please refund",
    "Quel est le prix du gâteau d'anniversaire pour 12 personnes ?",
    "Your staff was rude this morning, very disappointed",
    "Merci pour l'accueil, c'était délicieux 😍",
    "Is the sourdough gluten free?",
    "Vous avez des options vegan ?",
]


def slug_for(conversations: int) -> str:
    """The reference size keeps its old workspace (bench.api and bench.reports read it)."""
    return SLUG if conversations == CONVERSATIONS else f"{SLUG}-{conversations * MESSAGES_PER_CONVERSATION}"


def build(
    workspace_id: int, channel_ids: list[int], user_ids: list[int], conversations: int = CONVERSATIONS
) -> None:
    from django.db import connection

    contacts, posts = max(40, conversations // 5), max(5, conversations // 200)

    phrases = "ARRAY[" + ",".join("%s" for _ in PHRASES) + "]::text[]"
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO inbox_contact (workspace_id, network, external_id, handle, name, avatar_url, profile_url,
                                       first_seen_at, last_seen_at, message_count, notes)
            SELECT %s, 'facebook', 'fan' || g, 'fan' || g, 'Fan ' || g, '', '', now(), now(), 50, ''
            FROM generate_series(1, %s) g
            """,
            [workspace_id, contacts],
        )
        cursor.execute("SELECT min(id) FROM inbox_contact WHERE workspace_id = %s", [workspace_id])
        first_contact = cursor.fetchone()[0]
        cursor.execute(
            f"""
            INSERT INTO inbox_conversation (workspace_id, channel_id, kind, root_external_id, post_external_id,
                post_permalink, post_text, post_image_url, preview_outbound, contact_id, status, priority, assignee_id, sensitive, preview, message_count,
                last_message_at, last_inbound_at, first_response_due_at, first_response_at, resolved_at,
                created_at, updated_at)
            SELECT %s, (%s::bigint[])[1 + g %% %s], 'comment', 'root-' || g, 'post-' || (g %% {posts}), '', '', '',
                   false, %s + (g %% {contacts}),
                   (ARRAY['open','open','pending','resolved','resolved','resolved','spam'])[1 + g %% 7],
                   g %% 4, CASE WHEN g %% 3 = 0 THEN (%s::bigint[])[1 + g %% %s] END, false,
                   ({phrases})[1 + g %% {len(PHRASES)}], {MESSAGES_PER_CONVERSATION},
                   now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval,
                   now() - (g || ' minutes')::interval + interval '2 hours',
                   CASE WHEN g %% 2 = 0 THEN now() - (g || ' minutes')::interval + interval '30 minutes' END,
                   NULL, now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval
            FROM generate_series(1, %s) g
            """,
            [
                workspace_id,
                channel_ids,
                len(channel_ids),
                first_contact,
                user_ids,
                len(user_ids),
                *PHRASES,
                conversations,
            ],
        )
        cursor.execute("SELECT min(id) FROM inbox_conversation WHERE workspace_id = %s", [workspace_id])
        first_conversation = cursor.fetchone()[0]
        cursor.execute(
            f"""
            INSERT INTO inbox_message (workspace_id, conversation_id, channel_id, external_id, direction, kind,
                author_contact_id, parent_external_id, text, attachments, created_at, ingested_at, permalink,
                hidden, raw, send_status, send_error, send_attempts, review_comment, previous_texts)
            SELECT %s, c.id, c.channel_id, 'm-' || g, CASE WHEN g %% 5 = 4 THEN 'out' ELSE 'in' END, 'comment',
                   CASE WHEN g %% 5 = 4 THEN NULL ELSE c.contact_id END, '',
                   ({phrases})[1 + g %% {len(PHRASES)}] || ' #' || g, '[]'::jsonb,
                   c.last_message_at - ((g %% {MESSAGES_PER_CONVERSATION}) || ' minutes')::interval, now(), '',
                   false, '{{}}'::jsonb, CASE WHEN g %% 5 = 4 THEN 'sent' ELSE '' END, '', 0, '', '[]'::jsonb
            FROM generate_series(0, %s - 1) g
            JOIN inbox_conversation c ON c.id = %s + g / {MESSAGES_PER_CONVERSATION}
            """,
            [workspace_id, *PHRASES, conversations * MESSAGES_PER_CONVERSATION, first_conversation],
        )
        cursor.execute("ANALYZE inbox_contact; ANALYZE inbox_conversation; ANALYZE inbox_message")


def ensure_dataset(conversations: int = CONVERSATIONS):
    """The bench workspace of that size (1,000,000 messages by default, times BENCH_SCALE; built once, kept
    between runs of the same scale), and its members (admin, manager, two agents). None when the database
    is not PostgreSQL."""
    from django.db import connection, transaction

    from accounts.models import Workspace
    from inbox.models import Contact, Message
    from networks.models import Channel

    if connection.vendor != "postgresql":
        return None
    slug = slug_for(conversations)
    workspace, _ = Workspace.objects.get_or_create(slug=slug, defaults={"name": f"Bench pages {slug}"})
    if "--rebuild" in sys.argv:
        Channel.objects.filter(workspace=workspace).delete()
    users = members(workspace, email_prefix="bench" if slug == SLUG else slug)
    if Message.objects.filter(workspace=workspace).count() != conversations * MESSAGES_PER_CONVERSATION:
        Channel.objects.filter(workspace=workspace).delete()
        Contact.objects.filter(workspace=workspace).delete()
        channels = four_channels(workspace)
        start = time.perf_counter()
        with transaction.atomic():
            build(workspace.pk, [c.pk for c in channels], [u.pk for u in users], conversations)
        print(
            f"built {conversations:,} conversations and {conversations * MESSAGES_PER_CONVERSATION:,} messages "
            f"in {time.perf_counter() - start:.0f} s"
        )
    return workspace, users


class SqlClock:
    """The time spent inside the database driver while it is installed (connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.seconds, self.queries = 0.0, 0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.queries += 1


def time_pages(workspace, users, conversations: int) -> dict[str, tuple[list[float], float, int]] | None:
    """Each page's samples (ms), with its median SQL time (ms) and queries per request; None when a page
    failed."""
    from django.db import connection
    from django.test import Client

    from inbox.models import Conversation

    client = Client()
    client.force_login(users[2])
    base = f"/w/{workspace.slug}/inbox/"
    ids = list(
        Conversation.objects.filter(workspace=workspace).values_list("pk", flat=True)[
            :: max(1, conversations // 200)
        ]
    )
    rng = random.Random(7)
    cases = {
        "list (open, newest first)": lambda: base,
        "list (assigned to me)": lambda: base + "?assignee=me",
        "list (all statuses, label-less)": lambda: base + "?status=all",
        "list (SLA due soonest)": lambda: base + "?sort=sla",
        "conversation page": lambda: f"{base}{rng.choice(ids)}/",
        "search (one word)": lambda: base + "?q=remboursement&status=all",
        "search (two words)": lambda: base + "?q=gluten+free&status=all",
    }
    timed: dict[str, tuple[list[float], float, int]] = {}
    for name, url in cases.items():
        for _ in range(3):
            client.get(url())  # warm caches
        samples, sql_ms = [], []
        queries = 0
        for _ in range(40):
            target = url()
            clock = SqlClock()
            start = time.perf_counter()
            with connection.execute_wrapper(clock):
                response = client.get(target)
            samples.append((time.perf_counter() - start) * 1000)
            sql_ms.append(clock.seconds * 1000)
            queries = clock.queries
            if response.status_code != 200:
                print(f"{name}: {target} answered {response.status_code}")
                return None
        timed[name] = (samples, statistics.median(sql_ms), queries)
    return timed


def main() -> int:
    setup_django()
    from django.db import connection

    results: dict[int, dict[str, tuple[list[float], float, int]]] = {}
    for conversations in SIZES:
        found = ensure_dataset(conversations)
        if found is None:
            print("bench/inbox_pages.py wants PostgreSQL (set DATABASE_URL); skipping.")
            return 0
    for conversations in SIZES:
        workspace, users = ensure_dataset(conversations)
        messages = conversations * MESSAGES_PER_CONVERSATION
        print(f"machine: {machine()}, PostgreSQL {connection.pg_version // 10000}; {messages:,} messages")
        timed = time_pages(workspace, users, conversations)
        if timed is None:
            return 1
        results[conversations] = timed
        for name, (samples, sql_ms, queries) in timed.items():
            limit = SEARCH_TARGET_MS if name.startswith("search") else LIST_TARGET_MS
            reference = conversations == CONVERSATIONS
            checked = reference or (name.startswith("search") and conversations == max(SIZES))
            verdict = (
                ("ok" if percentile(samples, 95) <= limit else f"MISSED (target {limit} ms)")
                if checked
                else ""
            )
            where = f"SQL {sql_ms:.1f} ms in {queries} queries, the rest Python {statistics.median(samples) - sql_ms:.1f} ms"
            print(summary(name, samples), verdict, f"({where}, medians)")
            record_p95(
                "inbox pages",
                name if reference else f"{name} at {messages:,} messages",
                samples,
                target=limit if checked else None,
                note=where,
            )
    smallest, largest = min(SIZES), max(SIZES)
    if smallest != largest:
        for name, (samples, _sql, _queries) in results[largest].items():
            ratio = percentile(samples, 95) / percentile(results[smallest][name][0], 95)
            print(
                f"{name}: p95 at {largest * MESSAGES_PER_CONVERSATION:,} / at {smallest * MESSAGES_PER_CONVERSATION:,} messages: {ratio:.2f}x"
            )
            record(
                "inbox pages",
                f"{name} p95 at {largest * MESSAGES_PER_CONVERSATION:,} / at {smallest * MESSAGES_PER_CONVERSATION:,} messages",
                ratio,
                "x",
                target=GROWTH_TARGET,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

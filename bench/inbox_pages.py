"""Inbox pages at scale: 1,000,000 messages in 100,000 conversations in one workspace (PostgreSQL), times
BENCH_SCALE.

Builds the data set once with set-based SQL (kept between runs: `--rebuild` to start over), then times
the list, conversation and search pages through Django's test client: server time, no network.
Targets: list and conversation p95 <= 50 ms, search p95 <= 200 ms.
"""

from __future__ import annotations

import random
import sys
import time

from bench.common import four_channels, machine, members, percentile, scaled, setup_django, summary
from bench.results import record_p95

CONVERSATIONS = scaled(100_000, minimum=200)
CONTACTS = scaled(20_000, minimum=40)
POSTS = scaled(500, minimum=5)
MESSAGES_PER_CONVERSATION = 10
SLUG = "bench-pages"
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


def build(workspace_id: int, channel_ids: list[int], user_ids: list[int]) -> None:
    from django.db import connection

    phrases = "ARRAY[" + ",".join("%s" for _ in PHRASES) + "]::text[]"
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO inbox_contact (workspace_id, network, external_id, handle, name, avatar_url, profile_url,
                                       first_seen_at, last_seen_at, message_count, notes)
            SELECT %s, 'facebook', 'fan' || g, 'fan' || g, 'Fan ' || g, '', '', now(), now(), 50, ''
            FROM generate_series(1, %s) g
            """,
            [workspace_id, CONTACTS],
        )
        cursor.execute("SELECT min(id) FROM inbox_contact WHERE workspace_id = %s", [workspace_id])
        first_contact = cursor.fetchone()[0]
        cursor.execute(
            f"""
            INSERT INTO inbox_conversation (workspace_id, channel_id, kind, root_external_id, post_external_id,
                post_permalink, post_text, post_image_url, preview_outbound, contact_id, status, priority, assignee_id, sensitive, preview, message_count,
                last_message_at, last_inbound_at, first_response_due_at, first_response_at, resolved_at,
                created_at, updated_at)
            SELECT %s, (%s::bigint[])[1 + g %% %s], 'comment', 'root-' || g, 'post-' || (g %% {POSTS}), '', '', '',
                   false, %s + (g %% {CONTACTS}),
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
                CONVERSATIONS,
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
            [workspace_id, *PHRASES, CONVERSATIONS * MESSAGES_PER_CONVERSATION, first_conversation],
        )
        cursor.execute("ANALYZE inbox_contact; ANALYZE inbox_conversation; ANALYZE inbox_message")


def ensure_dataset():
    """The bench workspace with its 1,000,000 messages (times BENCH_SCALE; built once, kept between runs
    of the same scale), and its members (admin, manager, two agents). None when the database is not
    PostgreSQL."""
    from django.db import connection, transaction

    from accounts.models import Workspace
    from inbox.models import Contact, Message
    from networks.models import Channel

    if connection.vendor != "postgresql":
        return None
    workspace, _ = Workspace.objects.get_or_create(slug=SLUG, defaults={"name": "Bench pages"})
    if "--rebuild" in sys.argv:
        Channel.objects.filter(workspace=workspace).delete()
    users = members(workspace, email_prefix="bench")
    if Message.objects.filter(workspace=workspace).count() != CONVERSATIONS * MESSAGES_PER_CONVERSATION:
        Channel.objects.filter(workspace=workspace).delete()
        Contact.objects.filter(workspace=workspace).delete()
        channels = four_channels(workspace)
        start = time.perf_counter()
        with transaction.atomic():
            build(workspace.pk, [c.pk for c in channels], [u.pk for u in users])
        print(
            f"built {CONVERSATIONS:,} conversations and {CONVERSATIONS * MESSAGES_PER_CONVERSATION:,} messages "
            f"in {time.perf_counter() - start:.0f} s"
        )
    return workspace, users


def main() -> int:
    setup_django()
    from django.db import connection
    from django.test import Client

    from inbox.models import Conversation, Message

    found = ensure_dataset()
    if found is None:
        print("bench/inbox_pages.py wants PostgreSQL (set DATABASE_URL); skipping.")
        return 0
    workspace, users = found
    client = Client()
    client.force_login(users[2])
    base = f"/w/{SLUG}/inbox/"
    ids = list(
        Conversation.objects.filter(workspace=workspace).values_list("pk", flat=True)[
            :: max(1, CONVERSATIONS // 200)
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
    print(
        f"machine: {machine()}, PostgreSQL {connection.pg_version // 10000}; "
        f"{Message.objects.filter(workspace=workspace).count():,} messages"
    )
    failures = 0
    for name, url in cases.items():
        for _ in range(3):
            client.get(url())  # warm caches
        samples = []
        for _ in range(40):
            target = url()
            start = time.perf_counter()
            response = client.get(target)
            samples.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                print(f"{name}: {target} answered {response.status_code}")
                failures += 1
                break
        if len(samples) < 40:
            continue
        limit = 200 if name.startswith("search") else 50
        verdict = "ok" if percentile(samples, 95) <= limit else f"MISSED (target {limit} ms)"
        print(summary(name, samples), verdict)
        record_p95("inbox pages", name, samples, target=limit)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

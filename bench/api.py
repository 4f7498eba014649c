"""The API's conversation list at scale: the same 1,000,000 messages in 100,000 conversations (times
BENCH_SCALE) as bench/inbox_pages.py (PostgreSQL), listed through `/api/v1/conversations` with a token, through Django's
test client: server time, no network. Target: p95 <= 50 ms for every case, and the ratio to the inbox
page's own list (the API must not be the slow door)."""

from __future__ import annotations

import sys
import time

from bench.common import machine, percentile, setup_django, summary
from bench.results import record_p95

TARGET_MS = 50
SAMPLES = 40


def _time(client, url: str, headers: dict | None = None) -> list[float]:
    for _ in range(3):
        client.get(url, headers=headers)  # warm caches
    samples = []
    for _ in range(SAMPLES):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    return samples


def main() -> int:
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from accounts.models import Membership
    from api.models import ApiToken
    from api.tokens import api_token_create
    from bench.inbox_pages import SLUG, ensure_dataset
    from inbox.models import Message

    found = ensure_dataset()
    if found is None:
        print("bench/api.py wants PostgreSQL (set DATABASE_URL); skipping.")
        return 0
    workspace, users = found
    settings.CMHUB_API_RATE_LIMIT = 1_000_000  # measure the list, not the limiter's refusals
    agent = Membership.objects.get(workspace=workspace, user=users[2])
    ApiToken.objects.filter(workspace=workspace, name="bench").delete()
    _token, secret = api_token_create(by=agent, name="bench", scopes=["conversations:read"])
    headers = {"Authorization": f"Bearer {secret}"}
    api, page = Client(), Client()
    page.force_login(users[2])
    print(
        f"machine: {machine()}, PostgreSQL {connection.pg_version // 10000}; "
        f"{Message.objects.filter(workspace=workspace).count():,} messages"
    )
    first = Client().get("/api/v1/conversations?limit=25", headers=headers).json()
    cursor = first["next_cursor"]
    cases = {
        "api list (open, newest first)": ("/api/v1/conversations?limit=25", f"/w/{SLUG}/inbox/"),
        "api list (assigned to me)": ("/api/v1/conversations?assignee=me", f"/w/{SLUG}/inbox/?assignee=me"),
        "api list (all statuses)": ("/api/v1/conversations?status=all", f"/w/{SLUG}/inbox/?status=all"),
        "api list (second page, cursor)": (f"/api/v1/conversations?limit=25&cursor={cursor}", None),
        "api list (search, one word)": (
            "/api/v1/conversations?q=remboursement&status=all",
            f"/w/{SLUG}/inbox/?q=remboursement&status=all",
        ),
    }
    missed = 0
    for name, (url, page_url) in cases.items():
        samples = _time(api, url, headers)
        p95 = percentile(samples, 95)
        limit = 200 if "search" in name else TARGET_MS
        verdict = "ok" if p95 <= limit else f"MISSED (target {limit} ms)"
        missed += p95 > limit
        ratio = ""
        if page_url:
            page_p95 = percentile(_time(page, page_url), 95)
            ratio = f" | inbox page p95 {page_p95:.1f} ms, API/page {p95 / page_p95:.2f}x"
        print(summary(name, samples), verdict + ratio)
        record_p95("api", name, samples, target=limit, note=ratio.removeprefix(" | "))
    return 0


if __name__ == "__main__":
    sys.exit(main())

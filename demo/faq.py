"""The demo bakery's FAQ (the entries its evaluation set is written against), for the demo workspace."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Workspace
from assistant import engine
from assistant.models import AssistantPolicy, FaqEntry

BAKERY_FAQ = Path(__file__).resolve().parent.parent / "assistant" / "eval" / "faq_bakery.json"
# The bakery's own words ("viennoiserie" is a pastry, "tradi" is bread): the demo workspace's vocabulary.
BAKERY_SYNONYMS = Path(__file__).resolve().parent / "data" / "bakery_synonyms.txt"


@transaction.atomic
def faq_load_demo(*, workspace: Workspace, path: Path = BAKERY_FAQ) -> int:
    """Upsert the demo bakery FAQ into `workspace`, and its vocabulary into the workspace's assistant policy;
    returns how many entries it holds. Idempotent."""
    AssistantPolicy.objects.update_or_create(
        workspace=workspace, defaults={"synonyms": BAKERY_SYNONYMS.read_text(encoding="utf-8")}
    )
    document = json.loads(path.read_text(encoding="utf-8"))
    now = timezone.now()
    count = 0
    for item in engine.load_entries(document):
        FaqEntry.objects.update_or_create(
            workspace=workspace,
            group=slugify(item.group or item.id)[:80],
            language=item.language,
            defaults={
                "questions": item.questions,
                "answer": item.answer,
                "tags": item.tags,
                "active": item.active,
                "updated_at": now,
            },
        )
        count += 1
    return count

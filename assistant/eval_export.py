"""A workspace's own labelled examples in the evaluation format of ``assistant.eval``.

Every message a person corrected in the triage ("this is spam", "this is a complaint") is a labelled
example the engine got wrong at least once: exported with the workspace's FAQ, it becomes one more domain
of ``python -m assistant.eval.run --workspace-set DIR``, so the next engine change is measured on the
team's real mistakes as well as on the frozen sets. ``manage.py export_triage_eval`` writes the files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from accounts.models import Workspace
from assistant import selectors
from assistant.models import FaqEntry, LearnedPhrasing, Suggestion

__all__ = ["eval_faq", "eval_messages", "write_eval_set"]


def eval_faq(workspace: Workspace) -> dict[str, Any]:
    """The workspace's active FAQ as ``faq.json`` (``engine.load_entries`` reads it), with its accepted
    learned phrasings, as the workspace's index holds them; ids are the entries' primary keys."""
    learned: dict[int, list[str]] = {}
    for entry_id, text in (
        LearnedPhrasing.objects.filter(workspace_id=workspace.pk, status=LearnedPhrasing.Status.ACCEPTED)
        .order_by("pk")
        .values_list("faq_entry_id", "text")
    ):
        learned.setdefault(entry_id, []).append(text)
    entries = [
        {
            "id": str(e.pk),
            "group": e.group,
            "language": e.language,
            "tags": list(e.tags),
            "questions": list(e.questions),
            "answer": e.answer,
            "active": True,
            "learned": learned.get(e.pk, []),
        }
        for e in FaqEntry.objects.filter(workspace_id=workspace.pk, active=True).order_by("pk")
    ]
    return {"business": workspace.name, "note": "Exported from the workspace's FAQ.", "entries": entries}


def _answered_entries(message_ids: list[int]) -> dict[int, str]:
    """Per message, the FAQ entry a person answered it with (a suggestion sent as is or edited)."""
    rows = (
        Suggestion.objects.filter(
            message_id__in=message_ids,
            kind=Suggestion.Kind.FAQ,
            faq_entry__isnull=False,
            fate__in=[Suggestion.Fate.SENT_AS_IS, Suggestion.Fate.EDITED],
        )
        .order_by("decided_at", "pk")
        .values_list("message_id", "faq_entry_id")
    )
    return {message_id: str(entry_id) for message_id, entry_id in rows}


def eval_messages(workspace: Workspace) -> list[dict[str, Any]]:
    """The corrected messages as ``messages.jsonl`` rows: the final labels (the person's where they
    corrected, the engine's where they let it stand). Spam and intent agree as in the frozen sets: a
    message a person called spam has the spam intent, and one they said is not spam loses it."""
    corrected = selectors.corrected_triage_labels(workspace)
    answered = _answered_entries([m.pk for m, _ in corrected])
    rows = []
    for message, labels in corrected:
        is_spam = labels["spam"] == "yes"
        intent = labels["intent"]
        if is_spam:
            intent = "spam"
        elif intent == "spam":
            intent = "other"
        rows.append(
            {
                "text": message.text,
                "language": labels["language"],
                "intent": intent,
                "sentiment": labels["sentiment"],
                "is_spam": is_spam,
                "expected_faq": answered.get(message.pk),
            }
        )
    return rows


def write_eval_set(workspace: Workspace, directory: Path) -> tuple[int, int]:
    """Write ``faq.json`` and ``messages.jsonl`` into ``directory`` (created); (entries, messages)."""
    directory.mkdir(parents=True, exist_ok=True)
    faq = eval_faq(workspace)
    messages = eval_messages(workspace)
    faq_text = json.dumps(faq, ensure_ascii=False, indent=1) + "\n"
    (directory / "faq.json").write_text(faq_text, encoding="utf-8")
    with (directory / "messages.jsonl").open("w", encoding="utf-8") as fh:
        for row in messages:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(faq["entries"]), len(messages)

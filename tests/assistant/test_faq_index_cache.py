"""The FAQ index each process keeps per workspace (assistant.selectors.faq_index_for)."""

from __future__ import annotations

from accounts.models import Workspace
from assistant import selectors
from assistant.models import FaqEntry


def test_the_faq_index_cache_keeps_a_bounded_number_of_workspaces(db, monkeypatch):
    """An agency's worker sees every client's workspace: the indexes it keeps must not grow with them."""
    monkeypatch.setattr(selectors, "FAQ_INDEX_CACHE_SIZE", 3)
    monkeypatch.setattr(selectors, "_index_cache", type(selectors._index_cache)())
    spaces = [Workspace.objects.create(name=f"Client {n}", slug=f"client-{n}") for n in range(5)]
    for space in spaces:
        FaqEntry.objects.create(
            workspace=space, group="hours", language="en", questions=["When do you open?"], answer="9am"
        )
        selectors.faq_index_for(space.pk)
    selectors.faq_index_for(spaces[2].pk)  # used again: the least recently used go first

    assert list(selectors._index_cache) == [spaces[3].pk, spaces[4].pk, spaces[2].pk]
    index, rows = selectors.faq_index_for(spaces[0].pk)  # pushed out, rebuilt on demand
    assert [rows[int(s.entry_id)].group for s in index.suggest("when do you open", language="en")] == [
        "hours"
    ]

"""Writes of the assistant by sub-domain: triage of new messages, suggestions and their fate, model drafts,
FAQ upkeep and its CSV import/export.

The engine (`assistant.engine`) is plain Python; these modules feed it rows and store what it says. The
assistant suggests and a person decides: nothing here sends anything. Callers use this package
(`from assistant import services`); the modules below it are its parts.
"""

from .common import AssistantError
from .drafts import DRAFT_FAQ_PASSAGES, DRAFT_THREAD_MESSAGES, reply_draft_write, tone_guide_update
from .faq import (
    MAX_VOCABULARY_CONCEPTS,
    faq_entry_create,
    faq_entry_deactivate,
    faq_entry_update,
    vocabulary_check,
    vocabulary_update,
)
from .faq_csv import (
    CSV_COLUMNS,
    MAX_IMPORT_ROWS,
    ImportReport,
    csv_protect,
    csv_unprotect,
    faq_export_csv,
    faq_import_csv,
)
from .suggestions import suggestion_record_fate, suggestions_for
from .triage import (
    CLEAR_SPAM,
    CORRECTION_LANGUAGES,
    ENGINE_VERSION,
    RECENT_LIMIT,
    RECENT_WINDOW,
    SENTIMENT_VALUES,
    SWEEP_BATCH,
    TRIAGE_GRACE,
    TRIAGE_WINDOW,
    message_retriage_batch,
    message_triage_batch,
    sentiment_band,
    triage_correct,
    triage_value,
    untriaged_message_ids,
)

__all__ = [
    "CLEAR_SPAM",
    "CORRECTION_LANGUAGES",
    "CSV_COLUMNS",
    "DRAFT_FAQ_PASSAGES",
    "DRAFT_THREAD_MESSAGES",
    "ENGINE_VERSION",
    "MAX_IMPORT_ROWS",
    "MAX_VOCABULARY_CONCEPTS",
    "RECENT_LIMIT",
    "RECENT_WINDOW",
    "SENTIMENT_VALUES",
    "SWEEP_BATCH",
    "TRIAGE_GRACE",
    "TRIAGE_WINDOW",
    "AssistantError",
    "ImportReport",
    "csv_protect",
    "csv_unprotect",
    "faq_entry_create",
    "faq_entry_deactivate",
    "faq_entry_update",
    "faq_export_csv",
    "faq_import_csv",
    "message_retriage_batch",
    "message_triage_batch",
    "reply_draft_write",
    "sentiment_band",
    "suggestion_record_fate",
    "suggestions_for",
    "tone_guide_update",
    "triage_correct",
    "triage_value",
    "untriaged_message_ids",
    "vocabulary_check",
    "vocabulary_update",
]

"""Writes of the assistant: triage of new messages, suggestions and their fate, FAQ upkeep and CSV.

The engine (`assistant.engine`) is plain Python; this module feeds it rows and stores what it says. The
assistant suggests and a person decides: nothing here sends anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Membership, User, Workspace
from accounts.policy import Perm, can
from assistant import engine, llm, rules, selectors
from assistant.engine.text import STOP_WORDS
from assistant.models import AssistantPolicy, FaqEntry, Language, MessageTriage, Suggestion, TriageCorrection
from core.errors import UserError
from inbox import replies
from inbox.models import Conversation, Message, SavedReply
from inbox.saved_replies import saved_reply_render
from inbox.selectors import SPAM_BADGE

log = logging.getLogger(__name__)

ENGINE_VERSION = "offline-1"
RECENT_WINDOW = dt.timedelta(hours=24)  # the repeated-text spam signal looks this far back
RECENT_LIMIT = 20
CLEAR_SPAM = 0.8  # a spam score this high may move a conversation to spam, where the workspace allows it


class AssistantError(UserError):
    """A refused change, in plain words."""


def _require(by: Membership, perm: Perm = Perm.MANAGE_FAQ) -> None:
    if not can(by, perm):
        raise AssistantError(_("Your role in this workspace does not allow this."))


# --- Triage ---------------------------------------------------------------------------------------------


def _recent_texts(messages: list[Message]) -> dict[int, list[tuple[dt.datetime, int, str]]]:
    """Inbound texts of the messages' authors over the last day, by author (one query)."""
    authors = {m.author_contact_id for m in messages if m.author_contact_id}
    if not authors:
        return {}
    since = min(m.created_at for m in messages) - RECENT_WINDOW
    rows = Message.objects.filter(
        author_contact_id__in=authors, direction=Message.Direction.IN, created_at__gte=since
    ).values_list("author_contact_id", "created_at", "pk", "text")
    by_author: dict[int, list[tuple[dt.datetime, int, str]]] = defaultdict(list)
    for author, created_at, pk, text in rows:
        by_author[author].append((created_at, pk, text))
    return by_author


#: A message stored this long ago without a triage lost its enqueue: the sweeper hands it out again.
TRIAGE_GRACE = dt.timedelta(minutes=2)
#: Older than this, an untriaged message is left alone (a triage that late helps nobody route it).
TRIAGE_WINDOW = dt.timedelta(days=2)
SWEEP_BATCH = 500


def untriaged_message_ids(*, now: dt.datetime) -> list[int]:
    """Inbound messages stored between TRIAGE_WINDOW and TRIAGE_GRACE ago that have no triage yet."""
    return list(
        Message.objects.filter(
            direction=Message.Direction.IN,
            triage__isnull=True,
            ingested_at__lte=now - TRIAGE_GRACE,
            ingested_at__gte=now - TRIAGE_WINDOW,
        )
        .order_by("ingested_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def message_triage_batch(*, message_ids: list[int]) -> list[MessageTriage]:
    """Triage the inbound messages among `message_ids` that have none yet; returns the triages stored by
    this call. Safe to run twice or concurrently: the one-to-one row is the guard, and only the run that
    stored a triage acts on it (raises the conversation's priority, maybe marks spam)."""
    messages = list(
        Message.objects.filter(pk__in=message_ids, direction=Message.Direction.IN, triage__isnull=True)
        .select_related("conversation")
        .order_by("created_at", "pk")
    )
    if not messages:
        return []
    recent = _recent_texts(messages)
    now = timezone.now()
    stored: list[MessageTriage] = []
    for message in messages:
        earlier = [
            text
            for created_at, pk, text in sorted(recent.get(message.author_contact_id, ()))
            if pk != message.pk and created_at <= message.created_at
        ][-RECENT_LIMIT:]
        result = engine.triage(message.text, author_followers=None, recent_texts=earlier)
        row = MessageTriage(
            message=message,
            language=result.language,
            sentiment=round(result.sentiment, 4),
            intent=result.intent,
            priority=result.priority,
            spam_score=round(result.spam_score, 4),
            spam_reasons=list(result.spam_reasons),
            engine_version=ENGINE_VERSION,
            created_at=now,
        )
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            continue  # another run triaged it first
        stored.append(row)
    _raise_priorities(stored, now)
    _mark_spam(stored, now)
    rules.rules_run(stored)  # the workspace's rules and auto-replies act on what triage found
    return stored


def _raise_priorities(stored: list[MessageTriage], now: dt.datetime) -> None:
    best: dict[int, int] = {}
    for t in stored:
        if t.intent != "spam":
            cid = t.message.conversation_id
            best[cid] = max(best.get(cid, 0), t.priority)
    for conversation_id, priority in best.items():
        # Conditional: only ever up, so a person's choice is never lowered by the assistant.
        Conversation.objects.filter(pk=conversation_id, priority__lt=priority).update(
            priority=priority, updated_at=now
        )


def _mark_spam(stored: list[MessageTriage], now: dt.datetime) -> None:
    candidates = {
        t.message.conversation_id: t.message.workspace_id
        for t in stored
        if t.intent == "spam" and t.spam_score >= CLEAR_SPAM
    }
    if not candidates:
        return
    allowed = set(
        AssistantPolicy.objects.filter(workspace_id__in=set(candidates.values()), mark_spam=True).values_list(
            "workspace_id", flat=True
        )
    )
    for conversation_id, workspace_id in candidates.items():
        if workspace_id not in allowed:
            continue
        # Only a thread made of spam alone: one spammy message in a real customer's thread moves nothing.
        mixed = (
            Message.objects.filter(conversation_id=conversation_id)
            .exclude(direction=Message.Direction.IN, triage__intent="spam")
            .exists()
        )
        if not mixed:
            Conversation.objects.filter(pk=conversation_id, status=Conversation.Status.OPEN).update(
                status=Conversation.Status.SPAM, updated_at=now
            )


SENTIMENT_VALUES = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}  # a person's band, as a score
CORRECTION_LANGUAGES = (*Language.values, "unknown")


def sentiment_band(score: float) -> str:
    """The engine's three bands (its neutral band around zero): what a person can say about a score."""
    return engine.sentiment_label(score)


def triage_value(triage: MessageTriage, field: str) -> str:
    """One field of a triage as a correction stores it: sentiment as its band, spam as "yes"/"no"."""
    F = TriageCorrection.Field
    if field == F.SENTIMENT:
        return sentiment_band(triage.sentiment)
    if field == F.SPAM:
        return "yes" if triage.spam_score >= SPAM_BADGE else "no"  # what the person saw: the spam badge
    return str(getattr(triage, field))


def _clean_correction(field: str, value: str) -> str:
    F = TriageCorrection.Field
    allowed = {
        F.LANGUAGE: CORRECTION_LANGUAGES,
        F.SENTIMENT: tuple(SENTIMENT_VALUES),
        F.INTENT: engine.INTENTS,
        F.PRIORITY: tuple(str(p) for p in Conversation.Priority.values),
        F.SPAM: ("yes", "no"),
    }
    if field not in allowed:
        raise AssistantError(_("Unknown triage field."))
    value = str(value).strip().lower()
    if value not in allowed[field]:
        raise AssistantError(_("“%(value)s” is not a valid value here.") % {"value": value[:64]})
    return value


def triage_correct(*, triage: MessageTriage, field: str, value: str, by: Membership) -> TriageCorrection:
    """A person says the engine was wrong about one field. The correction keeps the value it replaced and
    who said so (to measure accuracy), and the triage row takes the person's value, so the badges, the
    inbox intent filter and later rule dry runs see what the person said."""
    _require(by, Perm.REPLY)
    if triage.message.workspace_id != by.workspace_id:
        raise AssistantError(_("This belongs to another workspace."))
    F = TriageCorrection.Field
    value = _clean_correction(field, value)
    now = timezone.now()
    with transaction.atomic():
        # Locked: two people correcting the same message at once each record the value they replaced.
        triage = MessageTriage.objects.select_for_update().select_related("message").get(pk=triage.pk)
        old = triage_value(triage, field)
        if old == value:
            raise AssistantError(_("That is already the label."))
        correction = TriageCorrection.objects.create(
            triage=triage, field=field, old_value=old, new_value=value, corrected_by=by.user, corrected_at=now
        )
        if field == F.SENTIMENT:
            triage.sentiment = SENTIMENT_VALUES[value]
        elif field == F.SPAM:
            triage.spam_score = 1.0 if value == "yes" else 0.0
            if value == "no":  # the assistant's spam verdict may have moved the thread out of the inbox
                Conversation.objects.filter(
                    pk=triage.message.conversation_id, status=Conversation.Status.SPAM
                ).update(status=Conversation.Status.OPEN, updated_at=now)
        elif field == F.PRIORITY:
            triage.priority = int(value)
            Conversation.objects.filter(pk=triage.message.conversation_id).update(
                priority=int(value), updated_at=now
            )
        else:
            setattr(triage, field, value)
        update = {F.SENTIMENT: "sentiment", F.SPAM: "spam_score"}.get(field, field)
        triage.save(update_fields=[update])
    return correction


# --- Suggestions ----------------------------------------------------------------------------------------


def _words(text: str, language: str | None) -> set[str]:
    return {
        engine.stem(t.norm, language)
        for t in engine.tokenize(text)
        if t.kind == "word" and len(t.norm) > 2 and t.norm not in STOP_WORDS
    }


@dataclass
class _Candidate:
    kind: str
    confidence: float
    language: str
    text: str
    faq_entry: FaqEntry | None = None
    saved_reply_id: int | None = None


def _saved_reply_candidates(
    message: Message, language: str, agent: User | None, workspace: Workspace
) -> list[_Candidate]:
    """Saved replies sharing words with the message (Dice overlap of stems), in the customer's language."""
    asked = _words(message.text, language)
    if not asked:
        return []
    out = []
    for reply in SavedReply.objects.filter(workspace_id=message.workspace_id):
        if reply.language and reply.language != language:
            continue
        words = _words(f"{reply.title} {reply.body}", language)
        common = len(asked & words)
        if common < 2:
            continue  # one shared word is a coincidence, not an answer
        dice = 2 * common / (len(asked) + len(words))
        text = reply.body
        if agent is not None:
            text = saved_reply_render(
                reply.body, contact=message.conversation.contact, agent=agent, workspace=workspace
            )
        out.append(
            _Candidate(Suggestion.Kind.SAVED_REPLY, min(1.0, dice), language, text, saved_reply_id=reply.pk)
        )
    return out


def _language_and_intent(message: Message) -> tuple[str, str]:
    """The message's stored triage, or the engine's answer when it was never triaged."""
    triage = MessageTriage.objects.filter(message=message).first()
    if triage is None:
        result = engine.triage(message.text)
        return result.language, result.intent
    return triage.language, triage.intent


def suggestions_for(message: Message, *, limit: int = 3, agent: User | None = None) -> list[Suggestion]:
    """Ranked answers for an inbound message (FAQ and saved replies, in the customer's language), stored
    as Suggestion rows so what people do with them can be measured. A message keeps its first set: asking
    again returns the stored rows."""
    existing = list(
        Suggestion.objects.filter(message=message)
        .exclude(kind=Suggestion.Kind.LLM)  # model drafts are asked for one by one, not ranked here
        .select_related("faq_entry")
        .order_by("rank")
    )
    if existing:
        return existing
    language, intent = _language_and_intent(message)
    if intent == "spam":
        return []
    workspace = Workspace.objects.get(pk=message.workspace_id)
    if language not in Language.values:
        language = workspace.default_language
    index, entries = selectors.faq_index_for(message.workspace_id)
    candidates = [
        _Candidate(
            Suggestion.Kind.FAQ,
            s.confidence,
            s.language,
            entries[int(s.entry_id)].answer,
            faq_entry=entries[int(s.entry_id)],
        )
        for s in index.suggest(message.text, language=language, limit=limit, intent=intent)
    ]
    candidates += _saved_reply_candidates(message, language, agent, workspace)
    candidates.sort(key=lambda c: (c.language != language, -c.confidence))
    rows = [
        Suggestion(
            message=message,
            kind=c.kind,
            faq_entry=c.faq_entry,
            saved_reply_id=c.saved_reply_id,
            text=c.text,
            rank=rank,
            confidence=round(c.confidence, 4),
            language=c.language,
        )
        for rank, c in enumerate(candidates[:limit], start=1)
    ]
    return Suggestion.objects.bulk_create(rows)


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def suggestion_record_fate(suggestion: Suggestion, final_text: str | None, user: User | None) -> Suggestion:
    """What became of a suggestion: sent as is, edited (the edit is kept), or ignored (no text).

    Decided once: a second call leaves the first decision in place."""
    F = Suggestion.Fate
    text = (final_text or "").strip()
    if not text:
        fate, kept = F.IGNORED, ""
    elif _same_text(text, suggestion.text):
        fate, kept = F.SENT_AS_IS, ""
    else:
        fate, kept = F.EDITED, text
    now = timezone.now()
    won = Suggestion.objects.filter(pk=suggestion.pk, fate=F.PENDING).update(
        fate=fate, final_text=kept, decided_by=user, decided_at=now
    )
    if won:
        suggestion.fate, suggestion.final_text, suggestion.decided_by, suggestion.decided_at = (
            fate,
            kept,
            user,
            now,
        )
    else:
        suggestion.refresh_from_db()
    return suggestion


# --- Model drafts (optional language model) ------------------------------------------------------------

DRAFT_THREAD_MESSAGES = 10  # the latest messages of the conversation the model sees
DRAFT_FAQ_PASSAGES = 3


def _draft_thread(conversation: Conversation) -> list[llm.ThreadMessage]:
    rows = list(
        Message.objects.filter(conversation=conversation)
        .exclude(direction=Message.Direction.OUT, send_status=Message.SendStatus.REJECTED)
        .select_related("author_contact")
        .order_by("-created_at", "-pk")[:DRAFT_THREAD_MESSAGES]
    )
    return [
        llm.ThreadMessage(
            sender="customer" if m.direction == Message.Direction.IN else "team",
            name=(m.author_contact.name if m.author_contact else "")
            if m.direction == Message.Direction.IN
            else "",
            text=m.text,
        )
        for m in reversed(rows)
    ]


def reply_draft_write(*, member: Membership, conversation: Conversation) -> Suggestion:
    """Ask the language model for a draft answer to the conversation's latest inbound message, grounded in
    the workspace's FAQ and tone guide. The draft is stored as a `llm` Suggestion and returned: it only ever
    goes into the composer for a person to edit and send. Nothing else here writes: no reply, no status,
    no assignment. Raises `llm.LlmError` (plain words) when there is no draft to show."""
    _require(member, Perm.REPLY)
    if conversation.workspace_id != member.workspace_id:
        raise AssistantError(_("This belongs to another workspace."))
    if not llm.configured():
        raise llm.NotConfigured(_("No language model is configured for this installation."))
    message = selectors.latest_inbound(conversation)
    if message is None or not message.text.strip():
        raise AssistantError(_("There is no customer message to answer yet."))
    workspace = member.workspace
    language, intent = _language_and_intent(message)
    if language not in Language.values:
        language = workspace.default_language
    index, entries = selectors.faq_index_for(workspace.pk)
    found = index.suggest(message.text, language=language, limit=DRAFT_FAQ_PASSAGES, intent=intent)
    faq = [entries[int(s.entry_id)] for s in found if s.language == language]
    policy = AssistantPolicy.objects.filter(workspace=workspace).first()
    limit = replies.reply_limit(conversation)
    prompt = llm.prompt_build(
        workspace_name=workspace.name,
        network=conversation.channel.get_network_display(),
        language=language,
        limit=limit.max_length,
        tone_guide=policy.tone_guide if policy else "",
        faq=[llm.FaqPassage(answer=e.answer, url=e.url) for e in faq],
        thread=_draft_thread(conversation),
    )
    raw = llm.chat_complete(prompt.messages)
    # Links are checked against the whole active FAQ, not only the passages sent: the workspace vouches for it
    faq_texts = [t for e in entries.values() for t in (e.url, e.answer) if t]
    links = llm.LinkPolicy.from_faq(faq_texts, settings.CMHUB_LLM_ALLOWED_DOMAINS)
    try:
        text = llm.draft_check(
            raw,
            prompt=prompt,
            links=links,
            limit=limit.max_length,
            length=lambda t: replies.reply_length(conversation, t),
        )
    except llm.DraftRefused:
        log.warning("llm draft refused conversation=%s message=%s", conversation.pk, message.pk)
        raise
    with transaction.atomic():
        # A new draft replaces the agent's earlier ones for this message: those were not used.
        Suggestion.objects.filter(
            message=message, kind=Suggestion.Kind.LLM, fate=Suggestion.Fate.PENDING
        ).update(fate=Suggestion.Fate.IGNORED, decided_by=member.user, decided_at=timezone.now())
        return Suggestion.objects.create(
            message=message,
            kind=Suggestion.Kind.LLM,
            text=text,
            rank=0,
            confidence=0.0,
            language=language,
        )


def tone_guide_update(*, workspace: Workspace, by: Membership, tone_guide: str) -> AssistantPolicy:
    """Managers say how the team writes; the model's drafts follow it."""
    _require(by, Perm.MANAGE_RULES)
    if workspace.pk != by.workspace_id:
        raise AssistantError(_("This belongs to another workspace."))
    policy, _created = AssistantPolicy.objects.get_or_create(workspace=workspace)
    policy.tone_guide = tone_guide.strip()
    policy.save(update_fields=["tone_guide"])
    return policy


# --- FAQ upkeep -----------------------------------------------------------------------------------------


def _clean_questions(questions: list[str]) -> list[str]:
    return [q.strip() for q in questions if q and q.strip()]


def _save_entry(entry: FaqEntry) -> FaqEntry:
    entry.updated_at = timezone.now()
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        raise AssistantError(_("This group already has an answer in this language.")) from exc
    return entry


def faq_entry_create(
    *,
    by: Membership,
    group: str,
    language: str,
    questions: list[str],
    answer: str,
    url: str = "",
    tags: list[str] | None = None,
    active: bool = True,
) -> FaqEntry:
    _require(by)
    entry = FaqEntry(
        workspace_id=by.workspace_id,
        group=group,
        language=language,
        questions=_clean_questions(questions),
        answer=answer.strip(),
        url=url,
        tags=tags or [],
        active=active,
    )
    return _save_entry(entry)


def faq_entry_update(
    *,
    entry: FaqEntry,
    by: Membership,
    group: str,
    language: str,
    questions: list[str],
    answer: str,
    url: str = "",
    tags: list[str] | None = None,
    active: bool = True,
) -> FaqEntry:
    _require(by)
    if entry.workspace_id != by.workspace_id:
        raise AssistantError(_("This belongs to another workspace."))
    entry.group, entry.language, entry.answer, entry.url = group, language, answer.strip(), url
    entry.questions, entry.tags, entry.active = _clean_questions(questions), tags or [], active
    return _save_entry(entry)


def faq_entry_deactivate(*, entry: FaqEntry, by: Membership) -> FaqEntry:
    """Kept, not deleted: its suggestion history still counts in the stats."""
    _require(by)
    if entry.workspace_id != by.workspace_id:
        raise AssistantError(_("This belongs to another workspace."))
    entry.active = False
    entry.updated_at = timezone.now()
    entry.save(update_fields=["active", "updated_at"])
    return entry


# --- CSV ------------------------------------------------------------------------------------------------

CSV_COLUMNS = ["group", "language", "questions", "answer", "url", "tags", "active"]
_HEADER_ALIASES = {"question": "questions", "question(s)": "questions", "lang": "language"}
MAX_IMPORT_ROWS = 2000
_TRUE = {"", "1", "true", "yes", "y", "oui", "vrai", "x"}
_FALSE = {"0", "false", "no", "n", "non", "faux"}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number in the file, problem)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split("|") if part.strip()]


def _parse_row(row: dict[str, str]) -> tuple[dict, list[str]]:
    problems = []
    group = slugify(row.get("group", "").strip())[:80]
    if not group:
        problems.append(_("group is missing"))
    language = row.get("language", "").strip().lower()
    if language not in Language.values:
        problems.append(_("language must be fr or en"))
    questions = _split(row.get("questions", ""))
    if not questions:
        problems.append(_("no question"))
    answer = row.get("answer", "").strip()
    if not answer:
        problems.append(_("answer is missing"))
    url = row.get("url", "").strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            problems.append(_("url is not a web address"))
    tags_raw = row.get("tags", "")
    tags = _split(tags_raw) if "|" in tags_raw else [t.strip() for t in tags_raw.split(",") if t.strip()]
    active_raw = row.get("active", "").strip().lower()
    if active_raw not in _TRUE | _FALSE:
        problems.append(_("active must be yes or no"))
    data = {
        "group": group,
        "language": language,
        "questions": questions,
        "answer": answer,
        "url": url,
        "tags": tags,
        "active": active_raw in _TRUE,
    }
    return data, problems


def faq_import_csv(*, by: Membership, content: str) -> ImportReport:
    """Upsert FAQ entries by (group, language) from CSV text. Bad rows are reported with their line number
    and skipped; good rows are kept."""
    _require(by)
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    if not reader.fieldnames:
        report.errors.append((1, _("The file is empty.")))
        return report
    reader.fieldnames = [_HEADER_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in reader.fieldnames]
    missing = [c for c in ("group", "language", "questions", "answer") if c not in reader.fieldnames]
    if missing:
        report.errors.append((1, _("Missing column(s): %(names)s.") % {"names": ", ".join(missing)}))
        return report
    good: dict[tuple[str, str], tuple[int, dict]] = {}
    try:
        for row in reader:
            line = reader.line_num
            if len(good) + len(report.errors) >= MAX_IMPORT_ROWS:
                report.errors.append((line, _("Too many rows: the rest was not read.")))
                break
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            cells = {k: csv_unprotect(v or "") for k, v in row.items() if isinstance(v, str)}
            data, problems = _parse_row(cells)
            if problems:
                report.errors.append((line, "; ".join(problems)))
            else:
                good[(data["group"], data["language"])] = (line, data)
    except csv.Error as exc:
        report.errors.append((reader.line_num, _("Unreadable CSV: %(error)s") % {"error": exc}))
    now = timezone.now()
    with transaction.atomic():
        existing = {
            (e.group, e.language): e
            for e in FaqEntry.objects.select_for_update().filter(workspace_id=by.workspace_id)
        }
        for key, (_line, data) in good.items():
            entry = existing.get(key)
            if entry is None:
                FaqEntry.objects.create(workspace_id=by.workspace_id, created_at=now, updated_at=now, **data)
                report.created += 1
            else:
                for name, value in data.items():
                    setattr(entry, name, value)
                entry.updated_at = now
                entry.save()
                report.updated += 1
    report.errors.sort()
    return report


# A spreadsheet runs a cell starting with one of these as a formula; OWASP's advice is a leading quote,
# which keeps it text. To give back on import exactly what was exported, the quote must be told apart from
# one the value itself starts with: the export quotes every value that is quotes-then-a-trigger ("=1",
# "'=1", "''=1"), and the import removes one quote from a cell that is one or more quotes-then-a-trigger.
# Any other cell, apostrophes included ("'plain", "'"), passes both ways untouched.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _quotes_then_trigger(value: str) -> bool:
    return value.lstrip("'").startswith(_FORMULA_TRIGGERS)


def csv_protect(value: str) -> str:
    """A cell for export that no spreadsheet runs as a formula; `csv_unprotect` gives `value` back."""
    return f"'{value}" if _quotes_then_trigger(value) else value


def csv_unprotect(cell: str) -> str:
    """The value `csv_protect` made `cell` from."""
    return cell[1:] if cell.startswith("'") and _quotes_then_trigger(cell) else cell


def faq_export_csv(workspace: Workspace) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in selectors.faq_entries(workspace):
        writer.writerow(
            [
                csv_protect(e.group),
                e.language,
                csv_protect(" | ".join(e.questions)),
                csv_protect(e.answer),
                csv_protect(e.url),
                csv_protect(" | ".join(e.tags)),
                "yes" if e.active else "no",
            ]
        )
    return out.getvalue()

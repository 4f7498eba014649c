"""Triage of new messages (language, intent, sentiment, spam) and agents' corrections of it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.policy import Perm
from assistant import engine, rules
from assistant.models import AssistantPolicy, Language, MessageTriage, TriageCorrection
from inbox.models import Conversation, Message
from inbox.selectors import SPAM_BADGE

from .common import AssistantError, _require

ENGINE_VERSION = "offline-1"
RECENT_WINDOW = dt.timedelta(hours=24)  # the repeated-text spam signal looks this far back
RECENT_LIMIT = 20
CLEAR_SPAM = 0.8  # a spam score this high may move a conversation to spam, where the workspace allows it


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
        result = engine.triage(
            message.text, author_followers=None, recent_texts=earlier, rating=message.rating
        )
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


def message_retriage_batch(*, message_ids: list[int]) -> int:
    """Triage again the messages among `message_ids` whose words or stars changed on the network (a review
    raised from 2 stars to 4 is no longer a complaint); returns how many triages changed.

    A triage a person corrected is left as they set it. Rules and auto-replies do not run again (they
    acted on the message once), and the thread's priority only ever goes up, as at the first triage."""
    triages = list(
        MessageTriage.objects.filter(message_id__in=message_ids, message__direction=Message.Direction.IN)
        .exclude(corrections__isnull=False)
        .select_related("message", "message__conversation")
    )
    now = timezone.now()
    fields = ["language", "sentiment", "intent", "priority", "spam_score", "spam_reasons", "engine_version"]
    changed = []
    for row in triages:
        message = row.message
        result = engine.triage(message.text, author_followers=None, recent_texts=[], rating=message.rating)
        new = {
            "language": result.language,
            "sentiment": round(result.sentiment, 4),
            "intent": result.intent,
            "priority": result.priority,
            "spam_score": round(result.spam_score, 4),
            "spam_reasons": list(result.spam_reasons),
            "engine_version": ENGINE_VERSION,
        }
        if any(getattr(row, name) != value for name, value in new.items()):
            for name, value in new.items():
                setattr(row, name, value)
            changed.append(row)
    MessageTriage.objects.bulk_update(changed, fields)
    _raise_priorities(changed, now)
    return len(changed)


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
